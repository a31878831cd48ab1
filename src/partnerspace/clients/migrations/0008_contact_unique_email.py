"""A client's contact persons each have their own e-mail address, compared without case.

Contacts that already share an address (in any case) are merged first: the primary one is
kept, else the oldest; it takes a phone number only the other had, the other's invitations
point to it, and the client's history says which contact was merged away."""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower


def merge_duplicate_contacts(apps, schema_editor):
    Contact = apps.get_model("clients", "Contact")
    ClientHistory = apps.get_model("clients", "ClientHistory")
    Invitation = apps.get_model("invitations", "Invitation")
    groups = (
        Contact.objects.annotate(address=Lower("email"))
        .values("client_id", "address")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
    )
    for group in groups.iterator():
        same = list(
            Contact.objects.annotate(address=Lower("email"))
            .filter(client_id=group["client_id"], address=group["address"])
            .order_by("-is_primary", "created_at", "id")
        )
        kept, merged = same[0], same[1:]
        for other in merged:
            if not kept.phone and other.phone:
                kept.phone = other.phone
                kept.save(update_fields=["phone"])
            Invitation.objects.filter(contact_id=other.pk).update(contact_id=kept.pk)
            ClientHistory.objects.create(
                client_id=kept.client_id,
                source="system",
                action="contact_removed",
                changes=[
                    {
                        "field": "contact",
                        "old": f"{other.first_name} {other.last_name} <{other.email}>",
                        "new": None,
                    }
                ],
            )
            other.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0007_client_identity_key"),
        ("invitations", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(merge_duplicate_contacts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(
                models.F("client"),
                django.db.models.functions.text.Lower("email"),
                name="contact_unique_email_per_client",
            ),
        ),
    ]
