"""Verwijderen: only a Draft, with its contacts and history; the audit log keeps a line."""

import pytest
from django.urls import reverse

from partnerspace.clients.models import Client, ClientHistory, ClientStatus, Contact
from partnerspace.clients.services import client_assignments_set, client_delete
from partnerspace.core.errors import Conflict, NotAllowed
from partnerspace.firms.models import AuditEvent
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def with_status(client, status):
    Client.objects.filter(pk=client.pk).update(status=status)
    client.status = status
    return client


def delete_url(client):
    return reverse("clients:delete", args=[client.firm.slug, client.pk])


def test_deleting_a_draft_removes_it_with_its_contacts_and_history(firm_a):
    client = make_client(firm_a.admin, "Alfa Bouw BV")
    assert ClientHistory.objects.filter(client=client).exists()
    client_delete(membership=firm_a.manager, client=client)
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not Contact.objects.exists()
    assert not ClientHistory.objects.exists()


def test_the_audit_log_keeps_who_deleted_which_client_and_when(firm_a):
    client = make_client(firm_a.admin, "Alfa Bouw BV", vat_number="BE0403019261")
    client_delete(membership=firm_a.manager, client=client)
    event = AuditEvent.objects.get(action="client.deleted")
    assert event.firm == firm_a.firm
    assert event.actor == firm_a.manager.user
    assert event.actor_label == "manager@alfa.example"
    assert event.at is not None
    assert (event.target_id, event.target_label) == (str(client.pk), "Alfa Bouw BV")
    assert event.data["vat_number"] == "BE0403019261"


@pytest.mark.parametrize(
    "status", [ClientStatus.INVITED, ClientStatus.ACTIVE, ClientStatus.ARCHIVED]
)
def test_a_client_that_is_not_a_draft_cannot_be_deleted(firm_a, status):
    client = with_status(make_client(firm_a.admin), status)
    with pytest.raises(Conflict) as refused:
        client_delete(membership=firm_a.manager, client=client)
    assert refused.value.code == "not_draft"
    assert Client.objects.filter(pk=client.pk).exists()
    assert not AuditEvent.objects.filter(action="client.deleted").exists()


def test_the_service_checks_the_status_in_the_database_not_the_callers_copy(firm_a):
    client = make_client(firm_a.admin)
    with_status(Client.objects.get(pk=client.pk), ClientStatus.ACTIVE)
    assert client.status == ClientStatus.DRAFT  # the caller's stale copy
    with pytest.raises(Conflict):
        client_delete(membership=firm_a.manager, client=client)
    assert Client.objects.filter(pk=client.pk).exists()


def test_an_accountant_cannot_delete_even_an_assigned_draft(firm_a):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    with pytest.raises(NotAllowed):
        client_delete(membership=firm_a.accountant, client=client)
    assert Client.objects.filter(pk=client.pk).exists()


# The pages


def test_the_delete_button_deletes_a_draft_and_returns_to_the_list(firm_a, web):
    client = make_client(firm_a.admin, "Alfa Bouw BV")
    response = web(firm_a.manager).post(delete_url(client))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:list", args=["alfa"]) + "?tab=inactive"
    assert not Client.objects.filter(pk=client.pk).exists()


def test_the_server_refuses_to_delete_an_active_client_posted_directly(firm_a, web):
    client = with_status(make_client(firm_a.admin), ClientStatus.ACTIVE)
    response = web(firm_a.manager).post(delete_url(client))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=["alfa", client.pk])
    assert Client.objects.filter(pk=client.pk).exists()


def test_deleting_needs_a_post(firm_a, web):
    client = make_client(firm_a.admin)
    assert web(firm_a.manager).get(delete_url(client)).status_code == 405
    assert Client.objects.filter(pk=client.pk).exists()


def test_an_accountant_is_refused_the_delete_action(firm_a, web):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    assert web(firm_a.accountant).post(delete_url(client)).status_code == 403
    assert Client.objects.filter(pk=client.pk).exists()


def test_the_client_page_of_a_draft_offers_delete_behind_a_confirmation_dialog(firm_a, web):
    client = make_client(firm_a.admin)
    html = web(firm_a.manager).get(reverse("clients:detail", args=["alfa", client.pk])).text
    assert f'data-open-dialog="delete-{client.pk}"' in html
    assert f'<dialog id="delete-{client.pk}"' in html
    assert f'action="{delete_url(client)}"' in html


@pytest.mark.parametrize(
    "status", [ClientStatus.INVITED, ClientStatus.ACTIVE, ClientStatus.ARCHIVED]
)
def test_the_client_page_offers_no_delete_for_another_status(firm_a, web, status):
    client = with_status(make_client(firm_a.admin), status)
    html = web(firm_a.manager).get(reverse("clients:detail", args=["alfa", client.pk])).text
    assert delete_url(client) not in html
    assert f"delete-{client.pk}" not in html


def test_the_client_page_offers_no_delete_to_an_accountant(firm_a, web):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    html = web(firm_a.accountant).get(reverse("clients:detail", args=["alfa", client.pk])).text
    assert delete_url(client) not in html


def test_the_lists_menu_offers_delete_only_for_drafts(firm_a, web):
    draft = make_client(firm_a.admin, "Concept BV")
    invited = with_status(make_client(firm_a.admin, "Uitgenodigd BV"), ClientStatus.INVITED)
    archived = with_status(make_client(firm_a.admin, "Archief BV"), ClientStatus.ARCHIVED)
    response = web(firm_a.manager).get(reverse("clients:list", args=["alfa"]) + "?tab=inactive")
    html = response.text
    assert {c.pk for c in response.context["page"].rows} == {draft.pk, invited.pk, archived.pk}
    # One shared confirmation dialog; each Draft row's button hands it that client's address.
    assert '<dialog id="delete-client"' in html
    assert f'data-dialog-action="{delete_url(draft)}"' in html
    for other in (invited, archived):
        assert delete_url(other) not in html
