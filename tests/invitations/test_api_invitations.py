"""The invitations API: POST and GET /api/v1/clients/{client_id}/invitations, and
DELETE /api/v1/invitations/{invitation_id}."""

import pytest
from django.core import mail
from django.test import Client as Browser

from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.clients.services import contact_add
from partnerspace.invitations.models import Invitation
from tests.invitations.helpers import accept_as_new_user, contact, draft_client, link_in

pytestmark = pytest.mark.django_db


def invite(api, membership, client, capture, payload=None):
    with capture(execute=True):
        return api(membership).post(f"/clients/{client.pk}/invitations", payload or {})


def test_post_invites_the_primary_contact_and_the_mail_goes_out_after_commit(
    firm_a, api, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    response = invite(
        api, firm_a.admin, client, django_capture_on_commit_callbacks, {"message": "Hallo!"}
    )
    assert response.status_code == 201, response.content
    [body] = response.json()
    invitation = Invitation.objects.get()
    assert body["id"] == invitation.pk
    assert body["client"] == client.pk
    assert body["email"] == "jan@peeters.example"
    assert body["language"] == "en"
    assert body["state"] == "queued"  # answered before the commit that lets it be sent
    assert body["accepted_at"] is None
    [message] = mail.outbox
    assert "Hallo!" in message.body
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED
    # The history says which door the change came through.
    invited = ClientHistory.objects.get(client=client, action="invited")
    assert invited.source == HistorySource.API
    assert invited.actor == firm_a.admin.user


def test_post_to_chosen_contacts(firm_a, api, django_capture_on_commit_callbacks):
    client = draft_client(firm_a.admin)
    contact_add(
        membership=firm_a.admin, client=client, data=contact("marie@peeters.example", "fr-BE")
    )
    marie = client.contacts.get(email="marie@peeters.example")
    response = invite(
        api, firm_a.admin, client, django_capture_on_commit_callbacks, {"contacts": [marie.pk]}
    )
    assert response.status_code == 201
    assert [(i["email"], i["language"]) for i in response.json()] == [
        ("marie@peeters.example", "fr")
    ]
    assert [m.to for m in mail.outbox] == [["marie@peeters.example"]]


def test_post_refuses_a_contact_of_another_client_with_422(
    firm_a, firm_b, api, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    foreign = draft_client(firm_b.admin, "Ander", "x@ander.example").contacts.get()
    response = invite(
        api, firm_a.admin, client, django_capture_on_commit_callbacks, {"contacts": [foreign.pk]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contacts"
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_post_for_an_active_client_is_a_409(firm_a, api, django_capture_on_commit_callbacks):
    client = draft_client(firm_a.admin)
    Client.objects.filter(pk=client.pk).update(status=ClientStatus.ACTIVE)
    response = invite(api, firm_a.admin, client, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert response.json()["code"] == "already_active"
    assert not Invitation.objects.exists()


def test_post_with_a_malformed_body_is_a_422(firm_a, api):
    client = draft_client(firm_a.admin)
    response = api(firm_a.admin).post(f"/clients/{client.pk}/invitations", {"contacts": "all"})
    assert response.status_code == 422
    assert not Invitation.objects.exists()


def test_an_accountant_may_read_an_assigned_clients_invitations_but_not_invite(
    firm_a, api, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    unassigned = draft_client(firm_a.admin, "Ander BV", "a@ander.example")
    client.assigned.add(firm_a.accountant)
    invite(api, firm_a.admin, client, django_capture_on_commit_callbacks)
    accountant = api(firm_a.accountant)
    assert accountant.post(f"/clients/{client.pk}/invitations", {}).status_code == 403
    assert accountant.get(f"/clients/{client.pk}/invitations").status_code == 200
    assert accountant.get(f"/clients/{unassigned.pk}/invitations").status_code == 404
    invitation = Invitation.objects.get()
    assert accountant.delete(f"/invitations/{invitation.pk}").status_code == 403
    assert Invitation.objects.get().revoked_at is None
    assert Invitation.objects.count() == 1


def test_get_lists_the_clients_invitations_newest_first_with_their_state(
    firm_a, api, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    invite(api, firm_a.admin, client, django_capture_on_commit_callbacks)
    invite(api, firm_a.admin, client, django_capture_on_commit_callbacks)
    response = api(firm_a.manager).get(f"/clients/{client.pk}/invitations")
    assert response.status_code == 200
    listed = response.json()
    newest, oldest = Invitation.objects.order_by("-created_at", "-id")
    assert [i["id"] for i in listed] == [newest.pk, oldest.pk]
    assert [i["state"] for i in listed] == ["sent", "replaced"]
    assert listed[0]["send_attempts"] == 1 and listed[0]["sent_at"]
    assert "token" not in str(listed).lower()


def test_delete_withdraws_the_invitation_and_the_link_stops_working(
    firm_a, api, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [body] = invite(api, firm_a.admin, client, django_capture_on_commit_callbacks).json()
    link = link_in(mail.outbox[0])
    response = api(firm_a.admin).delete(f"/invitations/{body['id']}")
    assert response.status_code == 204
    client.refresh_from_db()
    assert client.status == ClientStatus.DRAFT
    assert Browser().get(link).status_code == 404
    listed = api(firm_a.admin).get(f"/clients/{client.pk}/invitations").json()
    assert listed[0]["state"] == "revoked"
    assert ClientHistory.objects.get(client=client, action="invitation_revoked").source == (
        HistorySource.API
    )
    # Withdrawing again changes nothing.
    assert api(firm_a.admin).delete(f"/invitations/{body['id']}").status_code == 204


def test_delete_of_an_accepted_invitation_is_a_409(firm_a, api, django_capture_on_commit_callbacks):
    client = draft_client(firm_a.admin)
    [body] = invite(api, firm_a.admin, client, django_capture_on_commit_callbacks).json()
    accept_as_new_user(link_in(mail.outbox[0]))
    response = api(firm_a.admin).delete(f"/invitations/{body['id']}")
    assert response.status_code == 409
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE


def test_firm_b_gets_404_for_firm_as_clients_and_invitations(
    firm_a, firm_b, api, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [body] = invite(api, firm_a.admin, client, django_capture_on_commit_callbacks).json()
    theirs = api(firm_b.admin)
    assert theirs.post(f"/clients/{client.pk}/invitations", {}).status_code == 404
    assert theirs.get(f"/clients/{client.pk}/invitations").status_code == 404
    assert theirs.delete(f"/invitations/{body['id']}").status_code == 404
    assert Invitation.objects.count() == 1
    assert Invitation.objects.get().revoked_at is None


def test_without_a_token_the_api_answers_401(firm_a):
    client = draft_client(firm_a.admin)
    assert Browser().get(f"/api/v1/clients/{client.pk}/invitations").status_code == 401
    assert Browser().post(f"/api/v1/clients/{client.pk}/invitations").status_code == 401


def test_the_three_operations_are_in_the_openapi_schema(firm_a):
    paths = Browser().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/clients/{client_id}/invitations"]) >= {"get", "post"}
    assert "delete" in paths["/api/v1/invitations/{invitation_id}"]
