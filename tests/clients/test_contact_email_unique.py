"""A client's contact persons each have their own e-mail address, in any case: the services
refuse a second one beside the e-mail field, and the database refuses it too."""

from datetime import timedelta

import pytest
from django.apps import apps as global_apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from partnerspace.clients.models import ClientHistory, Contact
from partnerspace.clients.services import client_create, contact_add, contact_update
from partnerspace.core.errors import ValidationFailed
from partnerspace.invitations.models import Invitation
from tests.factories import make_client

PIETER = {"first_name": "Pieter", "last_name": "Peeters", "email": "pieter@alfa.example"}


@pytest.fixture
def client(firm_a):
    return make_client(firm_a.admin, "Alfa Bouw BV", contact={**PIETER, "locale": "nl-BE"})


def other(email: str) -> dict:
    return {"first_name": "Piet", "last_name": "Peeters", "email": email, "locale": "nl-BE"}


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["pieter@alfa.example", "Pieter@Alfa.EXAMPLE"])
def test_a_second_contact_with_the_same_address_is_refused_beside_the_email(firm_a, client, email):
    with pytest.raises(ValidationFailed) as refused:
        contact_add(membership=firm_a.admin, client=client, data=other(email))
    (error,) = refused.value.errors
    assert error.field == "email"
    assert error.code == "contact_email_taken"
    assert "is al een contactpersoon van deze klant" in error.message
    assert client.contacts.count() == 1


@pytest.mark.django_db
def test_changing_a_contact_to_another_contacts_address_is_refused(firm_a, client):
    contact_add(membership=firm_a.admin, client=client, data=other("piet@alfa.example"))
    piet = client.contacts.get(email="piet@alfa.example")
    with pytest.raises(ValidationFailed) as refused:
        contact_update(membership=firm_a.admin, contact=piet, data={"email": "PIETER@alfa.example"})
    assert refused.value.errors[0].field == "email"
    # Its own address in another case is no clash.
    contact_update(membership=firm_a.admin, contact=piet, data={"email": "Piet@alfa.example"})
    assert client.contacts.filter(email="Piet@alfa.example").exists()


@pytest.mark.django_db
def test_a_new_client_with_two_contacts_of_one_address_is_refused(firm_a):
    with pytest.raises(ValidationFailed) as refused:
        client_create(
            membership=firm_a.admin,
            data={"legal_name": "Dubbel BV", "country": "BE"},
            contacts=[other("jan@alfa.example"), other("JAN@alfa.example")],
        )
    assert [e.field for e in refused.value.errors] == ["contacts.1.email"]


@pytest.mark.django_db
def test_the_same_address_at_another_client_is_fine(firm_a, client):
    second = make_client(firm_a.admin, "Beta Bouw BV", contact={**PIETER, "locale": "nl-BE"})
    assert second.contacts.get().email == client.contacts.get().email


@pytest.mark.django_db
def test_the_database_refuses_the_same_address_in_another_case(client):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(client=client, **other("PIETER@ALFA.example"))


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_contacts_that_already_share_an_address(firm_a):
    """Rows from before the constraint: the primary is kept, the others merged into it."""
    migration = __import__("partnerspace.clients.migrations.0002_squashed", fromlist=["x"])
    client = make_client(firm_a.admin, "Alfa Bouw BV", contact={**PIETER, "locale": "nl-BE"})
    constraint = next(
        c for c in Contact._meta.constraints if c.name == "contact_unique_email_per_client"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(Contact, constraint)
    try:
        twin = Contact.objects.create(
            client=client, phone="+32 9 123 45 67", **other("Pieter@alfa.example")
        )
        invitation = Invitation.objects.create(
            firm=firm_a.firm,
            client=client,
            contact=twin,
            email=twin.email,
            expires_at=timezone.now() + timedelta(days=30),
        )
        kept = client.contacts.get(is_primary=True)
        migration.merge_duplicate_contacts(global_apps, None)
        assert list(client.contacts.values_list("pk", flat=True)) == [kept.pk]
        kept.refresh_from_db()
        assert kept.phone == "+32 9 123 45 67"
        entry = ClientHistory.objects.filter(client=client, action="contact_removed").get()
        assert entry.source == "system"
        assert entry.changes[0]["old"] == "Piet Peeters <Pieter@alfa.example>"
        invitation.refresh_from_db()
        assert invitation.contact_id == kept.pk
    finally:
        with connection.schema_editor() as editor:
            editor.add_constraint(Contact, constraint)
