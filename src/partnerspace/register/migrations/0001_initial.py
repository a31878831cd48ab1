from django.db import migrations, models

from partnerspace.register import tables


def create_tables(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        tables.tables_create(cursor, connection.vendor, tables.LIVE)
        tables.indexes_create(cursor, connection.vendor, tables.LIVE, "g0")


def drop_tables(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        tables.tables_drop(cursor, connection.vendor, tables.LIVE)


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="RegisterExtract",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("full", "Full extract"), ("update", "Update")], max_length=8)),
                ("extract_number", models.PositiveIntegerField()),
                ("snapshot_date", models.DateField()),
                ("extract_timestamp", models.DateTimeField(blank=True, null=True)),
                ("version", models.CharField(blank=True, max_length=32)),
                ("file_name", models.CharField(blank=True, max_length=255)),
                ("applied_at", models.DateTimeField(auto_now_add=True)),
                ("enterprises", models.PositiveIntegerField(default=0)),
                ("name_sequence", models.BigIntegerField(default=1)),
            ],
            options={"ordering": ["-id"]},
        ),
        migrations.RunPython(create_tables, drop_tables),
    ]
