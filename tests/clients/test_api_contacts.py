"""/api/v1/clients/{client_id}/contacts: a client's contact persons, through the services."""

import pytest

from partnerspace.clients.models import ClientAssignment, ClientHistory, Contact
from tests.factories import make_client

pytestmark = pytest.mark.django_db

JAN = {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "nl-BE"}
ELS = {"first_name": "Els", "last_name": "Maes", "email": "els@alfa.example", "locale": "fr-BE"}


@pytest.fixture
def client_of_a(firm_a):
    return make_client(firm_a.admin, "Alfa Bouw BV", contact=JAN)


def primary_email(client) -> str:
    return client.contacts.get(is_primary=True).email


def test_list_answers_the_contacts_primary_first(firm_a, api, client_of_a):
    Contact.objects.create(client=client_of_a, **{**ELS, "last_name": "Aerts"})

    response = api(firm_a.manager).get(f"/clients/{client_of_a.pk}/contacts")

    assert response.status_code == 200
    assert [(c["email"], c["is_primary"]) for c in response.json()] == [
        ("jan@alfa.example", True),
        ("els@alfa.example", False),
    ]


def test_add_a_contact_answers_201_with_it_and_its_warnings(firm_a, api, client_of_a):
    response = api(firm_a.manager).post(
        f"/clients/{client_of_a.pk}/contacts", {**ELS, "locale": "fr", "phone": "+32 9 123 45 67"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    contact = Contact.objects.get(pk=body["id"])
    assert (contact.client, contact.email, contact.locale) == (client_of_a, ELS["email"], "fr-BE")
    assert (body["locale"], body["is_primary"], body["phone"]) == (
        "fr-BE",
        False,
        "+32 9 123 45 67",
    )
    [warning] = body["warnings"]
    assert (warning["field"], warning["value"], warning["normalized"]) == ("locale", "fr", "fr-BE")
    assert ClientHistory.objects.filter(
        client=client_of_a, action="contact_added", source="api"
    ).exists()


def test_add_a_contact_as_primary_switches_the_primary(firm_a, api, client_of_a):
    response = api(firm_a.manager).post(
        f"/clients/{client_of_a.pk}/contacts", {**ELS, "is_primary": True}
    )

    assert response.json()["is_primary"] is True
    assert primary_email(client_of_a) == ELS["email"]
    assert client_of_a.contacts.filter(is_primary=True).count() == 1


def test_a_refused_contact_answers_422_with_every_error(firm_a, api, client_of_a):
    response = api(firm_a.manager).post(
        f"/clients/{client_of_a.pk}/contacts", {**ELS, "email": "els@", "first_name": ""}
    )

    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("email", "invalid_email"),
        ("first_name", "required"),
    }
    assert client_of_a.contacts.count() == 1


def test_patch_a_contact_changes_only_the_fields_sent(firm_a, api, client_of_a):
    jan = client_of_a.contacts.get()

    response = api(firm_a.manager).patch(
        f"/clients/{client_of_a.pk}/contacts/{jan.pk}", {"phone": "09 123 45 67"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["phone"], body["email"], body["first_name"]) == (
        "09 123 45 67",
        JAN["email"],
        "Jan",
    )
    assert body["warnings"] == []


def test_patch_a_contact_refuses_a_bad_email(firm_a, api, client_of_a):
    jan = client_of_a.contacts.get()

    response = api(firm_a.manager).patch(
        f"/clients/{client_of_a.pk}/contacts/{jan.pk}", {"email": "not an address"}
    )

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("email", "invalid_email")
    ]
    assert Contact.objects.get(pk=jan.pk).email == JAN["email"]


def test_patch_is_primary_makes_the_contact_primary(firm_a, api, client_of_a):
    els = Contact.objects.create(client=client_of_a, **ELS)

    response = api(firm_a.manager).patch(
        f"/clients/{client_of_a.pk}/contacts/{els.pk}", {"is_primary": True}
    )

    assert response.status_code == 200, response.content
    assert response.json()["is_primary"] is True
    assert primary_email(client_of_a) == ELS["email"]
    assert client_of_a.contacts.filter(is_primary=True).count() == 1


def test_patch_is_primary_false_on_the_primary_answers_409_and_changes_nothing(
    firm_a, api, client_of_a
):
    jan = client_of_a.contacts.get()
    Contact.objects.create(client=client_of_a, **ELS)

    response = api(firm_a.manager).patch(
        f"/clients/{client_of_a.pk}/contacts/{jan.pk}", {"is_primary": False, "first_name": "J"}
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "primary_stays"
    assert "andere contactpersoon" in response.json()["message"]
    assert primary_email(client_of_a) == JAN["email"]
    assert client_of_a.contacts.get(pk=jan.pk).first_name == "Jan"


def test_patch_is_primary_false_on_another_contact_changes_nothing_else(firm_a, api, client_of_a):
    els = Contact.objects.create(client=client_of_a, **ELS)

    response = api(firm_a.manager).patch(
        f"/clients/{client_of_a.pk}/contacts/{els.pk}", {"is_primary": False}
    )

    assert response.status_code == 200, response.content
    assert primary_email(client_of_a) == JAN["email"]


def test_delete_a_contact_answers_204_and_the_next_becomes_primary(firm_a, api, client_of_a):
    jan = client_of_a.contacts.get()
    Contact.objects.create(client=client_of_a, **ELS)

    response = api(firm_a.manager).delete(f"/clients/{client_of_a.pk}/contacts/{jan.pk}")

    assert response.status_code == 204
    assert primary_email(client_of_a) == ELS["email"]


def test_deleting_the_last_contact_answers_409_last_contact(firm_a, api, client_of_a):
    jan = client_of_a.contacts.get()

    response = api(firm_a.manager).delete(f"/clients/{client_of_a.pk}/contacts/{jan.pk}")

    assert response.status_code == 409
    assert response.json()["code"] == "last_contact"
    assert response.json()["message"]
    assert client_of_a.contacts.count() == 1


def test_a_contact_of_another_client_is_404_under_this_clients_path(firm_a, api, client_of_a):
    other = make_client(firm_a.admin)
    theirs = other.contacts.get()
    manager = api(firm_a.manager)
    path = f"/clients/{client_of_a.pk}/contacts/{theirs.pk}"

    assert manager.patch(path, {"phone": "09"}).status_code == 404
    assert manager.delete(path).status_code == 404
    assert Contact.objects.get(pk=theirs.pk).phone == ""


def test_an_accountant_reaches_the_contacts_of_assigned_clients_only(firm_a, api, client_of_a):
    other = make_client(firm_a.admin)
    ClientAssignment.objects.create(client=client_of_a, membership=firm_a.accountant)
    accountant = api(firm_a.accountant)

    assert accountant.get(f"/clients/{client_of_a.pk}/contacts").status_code == 200
    assert accountant.post(f"/clients/{client_of_a.pk}/contacts", ELS).status_code == 201
    assert accountant.get(f"/clients/{other.pk}/contacts").status_code == 404
    assert accountant.post(f"/clients/{other.pk}/contacts", ELS).status_code == 404
    assert other.contacts.count() == 1
