"""A client without any number is one per firm by its name and its primary contact's
address (client_unique_identity): every door refuses a second one as a duplicate, names the
existing client only to someone who may see it, and the key follows every change."""

import pytest
from django.apps import apps as global_apps

from partnerspace.clients import services
from partnerspace.clients.models import Client, ClientAssignment, Contact
from partnerspace.core.errors import Conflict
from tests.factories import make_client

pytestmark = pytest.mark.django_db

JAN = {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "nl-BE"}
ELS = {"first_name": "Els", "last_name": "Maes", "email": "els@alfa.example", "locale": "nl-BE"}


def new_client(**fields) -> dict:
    return {"legal_name": "Alfa Bouw BV", "contacts": [JAN], "template": None, **fields}


def test_the_api_refuses_a_second_client_without_numbers_of_the_same_name_and_contact(firm_a, api):
    first = api(firm_a.manager).post("/clients", new_client())
    assert first.status_code == 201, first.content

    again = api(firm_a.manager).post("/clients", new_client(legal_name="ALFA BOUW bv"))

    assert again.status_code == 409, again.content
    body = again.json()
    assert (body["code"], body["field"]) == ("already_exists", "legal_name")
    assert body["existing_id"] == first.json()["id"]
    assert Client.objects.count() == 1
    # another contact, or a number, tells them apart
    other = api(firm_a.manager).post("/clients", new_client(contacts=[ELS]))
    assert other.status_code == 201, other.content


def test_the_form_refuses_it_with_a_link_to_the_existing_client(firm_a, web):
    existing = make_client(firm_a.admin, "Alfa Bouw BV", contact=JAN)
    page = web(firm_a.manager).post(
        "/f/alfa/clients/new/",
        {
            "legal_name": "Alfa Bouw BV",
            "country": "BE",
            "contact-first_name": "Jan",
            "contact-last_name": "Peeters",
            "contact-email": "jan@alfa.example",
            "contact-locale": "nl-BE",
        },
    )
    assert page.status_code == 200
    assert f"/f/alfa/clients/{existing.pk}/".encode() in page.content
    assert Client.objects.count() == 1


def test_an_accountant_is_not_told_the_name_of_a_client_they_do_not_see(firm_a, api):
    hidden = make_client(firm_a.admin, "Geheim BV", contact=JAN)
    theirs = make_client(firm_a.admin, "Eigen BV", contact=JAN)
    ClientAssignment.objects.create(client=theirs, membership=firm_a.accountant)

    response = api(firm_a.accountant).patch(f"/clients/{theirs.pk}", {"legal_name": "geheim bv"})

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "already_exists"
    assert "Geheim" not in body["message"] and "existing_id" not in body
    assert Client.objects.get(pk=theirs.pk).legal_name == "Eigen BV"
    assert hidden.pk


def test_the_key_follows_the_name_the_numbers_and_the_primary_contact(firm_a):
    client = make_client(firm_a.admin, "Alfa Bouw BV", contact=JAN)
    assert Client.objects.get(pk=client.pk).identity_key == "alfa bouw bv\njan@alfa.example"

    services.client_update(
        membership=firm_a.manager, client=client, data={"company_number": "0403019261"}
    )
    assert Client.objects.get(pk=client.pk).identity_key is None
    services.client_update(membership=firm_a.manager, client=client, data={"company_number": ""})
    assert Client.objects.get(pk=client.pk).identity_key == "alfa bouw bv\njan@alfa.example"

    services.contact_add(membership=firm_a.manager, client=client, data={**ELS, "is_primary": True})
    assert Client.objects.get(pk=client.pk).identity_key == "alfa bouw bv\nels@alfa.example"
    jan = client.contacts.get(email=JAN["email"])
    services.contact_make_primary(membership=firm_a.manager, contact=jan)
    assert Client.objects.get(pk=client.pk).identity_key == "alfa bouw bv\njan@alfa.example"
    services.contact_update(
        membership=firm_a.manager, contact=jan, data={"email": "jan.peeters@alfa.example"}
    )
    assert Client.objects.get(pk=client.pk).identity_key.endswith("\njan.peeters@alfa.example")


def test_a_contact_change_that_would_make_a_duplicate_is_refused_and_undone(firm_a):
    make_client(firm_a.admin, "Alfa Bouw BV", contact=JAN)
    other = make_client(firm_a.admin, "Alfa Bouw BV", contact=ELS)
    els = other.contacts.get()

    with pytest.raises(Conflict) as refused:
        services.contact_update(
            membership=firm_a.manager, contact=els, data={"email": JAN["email"]}
        )

    assert refused.value.code == "already_exists"
    assert Contact.objects.get(pk=els.pk).email == ELS["email"]  # nothing half-written


def test_the_same_client_in_another_firm_is_allowed(firm_a, firm_b):
    make_client(firm_b.admin, "Alfa Bouw BV", contact=JAN)
    assert make_client(firm_a.admin, "Alfa Bouw BV", contact=JAN).identity_key


def test_the_migration_keeps_the_oldest_of_clients_that_already_collide(firm_a):
    """Rows from before the constraint: the oldest gets the key, the others stay, keyless."""
    migration = __import__("partnerspace.clients.migrations.0002_squashed", fromlist=["x"])
    clients = [make_client(firm_a.admin, f"Dubbel {n} BV", contact=JAN) for n in range(3)]
    Client.objects.filter(pk__in=[c.pk for c in clients]).update(
        legal_name="Dubbel BV", identity_key=None
    )
    numbered = make_client(firm_a.admin, "Dubbel BV", contact=JAN, company_number="0403019261")

    migration.fill_identity_keys(global_apps, None)

    keys = dict(Client.objects.values_list("pk", "identity_key"))
    assert keys[clients[0].pk] == "dubbel bv\njan@alfa.example"
    assert keys[clients[1].pk] is None and keys[clients[2].pk] is None
    assert keys[numbered.pk] is None
    assert Client.objects.count() == 4
