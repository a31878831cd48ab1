"""Another staff member deletes the client (or its contact) between the access check of a
request and its change: the change answers 404 (it is gone), never a 500."""

import pytest

from partnerspace.clients import api as clients_api
from partnerspace.clients.models import Contact
from partnerspace.invitations import api as invitations_api
from tests.factories import make_client
from tests.meanwhile import deleted_after_fetch

pytestmark = pytest.mark.django_db


def _deleted_meanwhile(monkeypatch, module):
    deleted_after_fetch(monkeypatch, module, "client_get_for_user")


def test_the_second_of_two_deletes_at_once_gets_404(firm_a, api, monkeypatch):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    _deleted_meanwhile(monkeypatch, clients_api)
    assert api(firm_a.manager).delete(f"/clients/{client.pk}").status_code == 404


def test_an_edit_of_a_client_deleted_meanwhile_gets_404(firm_a, api, monkeypatch):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    _deleted_meanwhile(monkeypatch, clients_api)
    response = api(firm_a.manager).patch(f"/clients/{client.pk}", {"legal_name": "Nieuw BV"})
    assert response.status_code == 404


def test_a_contact_added_to_a_client_deleted_meanwhile_gets_404(firm_a, api, monkeypatch):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    _deleted_meanwhile(monkeypatch, clients_api)
    response = api(firm_a.manager).post(
        f"/clients/{client.pk}/contacts",
        {"first_name": "Els", "last_name": "Peeters", "email": "els@peeters.example"},
    )
    assert response.status_code == 404


def test_an_invitation_to_a_client_deleted_meanwhile_gets_404(firm_a, api, monkeypatch):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    _deleted_meanwhile(monkeypatch, invitations_api)
    response = api(firm_a.manager).post(f"/clients/{client.pk}/invitations", {})
    assert response.status_code == 404


def _contact_removed_meanwhile(monkeypatch):
    real = clients_api.contact_get_for_user
    calls = []

    def fetch_then_someone_removes(membership, client_id, contact_id):
        contact = real(membership, client_id, contact_id)
        if not calls:
            Contact.objects.filter(pk=contact.pk).delete()  # the other request's removal
        calls.append(contact_id)
        return contact

    monkeypatch.setattr(clients_api, "contact_get_for_user", fetch_then_someone_removes)


def _second_contact(client):
    return Contact.objects.create(
        client=client, first_name="Els", last_name="Peeters", email="els@peeters.example"
    )


def test_an_edit_of_a_contact_removed_meanwhile_gets_404(firm_a, api, monkeypatch):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    els = _second_contact(client)
    _contact_removed_meanwhile(monkeypatch)
    response = api(firm_a.manager).patch(
        f"/clients/{client.pk}/contacts/{els.pk}", {"first_name": "Elsa"}
    )
    assert response.status_code == 404


def test_removing_a_contact_removed_meanwhile_gets_404(firm_a, api, monkeypatch):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    els = _second_contact(client)
    _contact_removed_meanwhile(monkeypatch)
    response = api(firm_a.manager).delete(f"/clients/{client.pk}/contacts/{els.pk}")
    assert response.status_code == 404
