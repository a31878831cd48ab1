"""A client without any number gets its identity key (folded name and primary contact's
address), unique per firm. Clients that already collide keep their rows: the oldest gets
the key, the others stay NULL (nothing is deleted), and are found as duplicates as before
by the import's match on name and address."""

from django.conf import settings
from django.db import migrations, models

BATCH = 2000


def fill_identity_keys(apps, schema_editor):
    from partnerspace.clients.search import identity_key

    Client = apps.get_model("clients", "Client")
    Contact = apps.get_model("clients", "Contact")
    without_numbers = Client.objects.filter(
        company_number__isnull=True, vat_number__isnull=True, external_reference__isnull=True
    )
    emails = dict(
        Contact.objects.filter(is_primary=True, client__in=without_numbers).values_list(
            "client_id", "email"
        )
    )
    taken: set[tuple[int, str]] = set()
    changed = []
    for client in without_numbers.order_by("firm_id", "created_at", "id").only(
        "id", "firm_id", "legal_name", "company_number", "vat_number", "external_reference"
    ).iterator(chunk_size=BATCH):
        key = identity_key(client, emails.get(client.pk))
        if key is None or (client.firm_id, key) in taken:
            continue
        taken.add((client.firm_id, key))
        client.identity_key = key
        changed.append(client)
        if len(changed) >= BATCH:
            Client.objects.bulk_update(changed, ["identity_key"])
            changed = []
    Client.objects.bulk_update(changed, ["identity_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0006_fewer_indexes"),
        ("companies", "0001_initial"),
        ("configuration", "0004_template_unique_name_key"),
        ("firms", "0002_sending_claim"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="identity_key",
            field=models.CharField(blank=True, max_length=460, null=True),
        ),
        migrations.RunPython(fill_identity_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="client",
            constraint=models.UniqueConstraint(
                condition=models.Q(("identity_key__isnull", False)),
                fields=("firm", "identity_key"),
                name="client_unique_identity",
            ),
        ),
    ]
