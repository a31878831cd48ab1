from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("firms", "0004_firm_choices_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="firm",
            name="register_changes_version",
            field=models.PositiveBigIntegerField(db_default=0, default=0, editable=False),
        ),
    ]
