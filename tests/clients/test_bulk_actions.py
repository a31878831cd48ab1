"""Bulk actions on the ticked rows: the selection lives in the session and survives paging."""

import re

import pytest
from django.urls import reverse

from partnerspace.clients.models import Client, ClientAssignment, ClientHistory, ClientStatus
from partnerspace.clients.services import client_assignments_set
from partnerspace.firms.models import AuditEvent
from tests.factories import make_client

pytestmark = pytest.mark.django_db

SELECTION = reverse("clients:selection", args=["alfa"])
BULK = reverse("clients:bulk", args=["alfa"])
LIST = reverse("clients:list", args=["alfa"])


def with_status(client, status):
    Client.objects.filter(pk=client.pk).update(status=status)
    client.status = status
    return client


def tick(browser, visible, selected):
    return browser.post(
        SELECTION, {"visible": [c.pk for c in visible], "selected": [c.pk for c in selected]}
    )


def selection_of(browser, people) -> set[int]:
    return set(browser.session.get(f"client_selection:{people.firm.pk}", []))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def english(firm_a):
    """Messages are asserted in the source language; the catalogs are being translated."""
    for membership in (firm_a.admin, firm_a.manager, firm_a.accountant):
        membership.user.language = "en"
        membership.user.save(update_fields=["language"])


@pytest.fixture
def clients(firm_a):
    return [make_client(firm_a.admin, f"Klant {n:02d}") for n in range(30)]


def test_the_selection_survives_paging(firm_a, web, clients):
    browser = web(firm_a.manager)
    page_one, page_two = clients[:25], clients[25:]
    tick(browser, page_one, [clients[0], clients[3]])
    response = tick(browser, page_two, [clients[27]])
    assert selection_of(browser, firm_a) == {clients[0].pk, clients[3].pk, clients[27].pk}
    assert response.status_code == 200
    assert 'data-testid="selection-count">' in response.text
    assert re.search(r'data-testid="selection-count">\s*3\b', response.text)


def test_unticking_a_row_keeps_the_rows_of_other_pages(firm_a, web, clients):
    browser = web(firm_a.manager)
    tick(browser, clients[:25], [clients[0], clients[3]])
    tick(browser, clients[25:], [clients[27]])
    tick(browser, clients[:25], [clients[3]])
    assert selection_of(browser, firm_a) == {clients[3].pk, clients[27].pk}


def test_the_selection_can_be_cleared(firm_a, web, clients):
    browser = web(firm_a.manager)
    tick(browser, clients[:2], clients[:2])
    response = browser.post(SELECTION, {"clear": "1"})
    assert response["HX-Trigger"] == "selection-cleared"
    assert selection_of(browser, firm_a) == set()


def test_the_list_shows_ticked_rows_as_ticked_on_return(firm_a, web, clients):
    browser = web(firm_a.manager)
    tick(browser, clients[:25], [clients[3]])
    html = browser.get(LIST, {"tab": "inactive"}).text
    boxes = re.findall(r'name="selected" value="(\d+)"[^>]*?( checked)?>', html)
    assert len(boxes) == 25
    assert [int(pk) for pk, checked in boxes if checked] == [clients[3].pk]


def test_bulk_archive_archives_the_selection_across_pages(firm_a, web, english, clients):
    browser = web(firm_a.manager)
    tick(browser, clients[:25], [clients[0], clients[3]])
    tick(browser, clients[25:], [clients[27]])
    response = browser.post(BULK, {"action": "archive"}, follow=True)
    archived = set(Client.objects.filter(status=ClientStatus.ARCHIVED).values_list("pk", flat=True))
    assert archived == {clients[0].pk, clients[3].pk, clients[27].pk}
    assert messages_of(response) == ["3 clients archived."]
    assert ClientHistory.objects.filter(action="status_changed").count() == 3
    assert selection_of(browser, firm_a) == set()


def test_bulk_archive_skips_the_archived_ones(firm_a, web, english, clients):
    browser = web(firm_a.manager)
    with_status(clients[1], ClientStatus.ARCHIVED)
    tick(browser, clients[:25], clients[:2])
    response = browser.post(BULK, {"action": "archive"}, follow=True)
    assert messages_of(response) == ["1 client archived. 1 skipped."]


def test_bulk_delete_deletes_drafts_and_counts_the_others_as_skipped(firm_a, web, english, clients):
    browser = web(firm_a.manager)
    with_status(clients[1], ClientStatus.ACTIVE)
    with_status(clients[2], ClientStatus.INVITED)
    tick(browser, clients[:25], clients[:3])
    tick(browser, clients[25:], [clients[29]])
    response = browser.post(BULK, {"action": "delete"}, follow=True)
    remaining = set(Client.objects.values_list("pk", flat=True))
    assert clients[0].pk not in remaining and clients[29].pk not in remaining
    assert {clients[1].pk, clients[2].pk} <= remaining
    assert len(remaining) == 28
    assert messages_of(response) == [
        "2 clients deleted. 2 skipped."
        " Only clients in Draft, not registered on Peppol, can be deleted."
    ]
    assert AuditEvent.objects.filter(action="client.deleted").count() == 2


def test_bulk_assign_adds_staff_and_records_it(firm_a, web, english, clients):
    browser = web(firm_a.manager)
    client_assignments_set(
        membership=firm_a.admin, client=clients[1], membership_ids=[firm_a.accountant.pk]
    )
    tick(browser, clients[:25], clients[:2])
    response = browser.post(
        BULK, {"action": "assign", "staff": [firm_a.accountant.pk]}, follow=True
    )
    assert set(clients[0].assigned.all()) == {firm_a.accountant}
    assert set(clients[1].assigned.all()) == {firm_a.accountant}
    assert messages_of(response) == ["Staff assigned to 1 client. 1 skipped."]
    entry = ClientHistory.objects.filter(client=clients[0], action="assignment_changed").get()
    assert entry.changes == [{"field": "assigned", "old": None, "new": str(firm_a.accountant.user)}]
    assert entry.actor == firm_a.manager.user


def test_bulk_unassign_takes_staff_off_and_records_it(firm_a, web, english, clients):
    browser = web(firm_a.manager)
    for client in clients[:2]:
        client_assignments_set(
            membership=firm_a.admin,
            client=client,
            membership_ids=[firm_a.accountant.pk, firm_a.manager.pk],
        )
    tick(browser, clients[:25], clients[:3])
    response = browser.post(
        BULK, {"action": "unassign", "staff": [firm_a.accountant.pk]}, follow=True
    )
    assert messages_of(response) == ["Staff unassigned from 2 clients. 1 skipped."]
    for client in clients[:2]:
        assert set(client.assigned.all()) == {firm_a.manager}
    entry = ClientHistory.objects.filter(
        client=clients[0], action="assignment_changed", actor=firm_a.manager.user
    ).get()
    assert entry.changes == [{"field": "assigned", "old": str(firm_a.accountant.user), "new": None}]
    # The accountant no longer sees them.
    assert web(firm_a.accountant).get(f"/f/alfa/clients/{clients[0].pk}/").status_code == 404


def test_bulk_assign_refuses_staff_of_another_firm(firm_a, firm_b, web, clients):
    browser = web(firm_a.manager)
    tick(browser, clients[:25], clients[:2])
    browser.post(BULK, {"action": "assign", "staff": [firm_b.accountant.pk]})
    assert not ClientAssignment.objects.exists()


def test_another_firms_user_cannot_select_or_delete_our_clients(firm_a, firm_b, web, clients):
    theirs = make_client(firm_b.admin, "Van B")
    browser = web(firm_b.manager)
    browser.post(
        SELECTION.replace("alfa", "beta"),
        {"visible": [clients[0].pk, theirs.pk], "selected": [clients[0].pk]},
    )
    assert selection_of(browser, firm_b) == set()
    browser.post(BULK.replace("alfa", "beta"), {"action": "delete"})
    assert Client.objects.filter(pk=clients[0].pk).exists()


def test_a_client_of_another_firm_posted_as_selected_is_ignored(firm_a, firm_b, web, clients):
    theirs = make_client(firm_b.admin, "Van B")
    browser = web(firm_a.manager)
    browser.post(SELECTION, {"visible": [theirs.pk, clients[0].pk], "selected": [theirs.pk]})
    assert selection_of(browser, firm_a) == set()
    browser.post(BULK, {"action": "delete"})
    assert Client.objects.filter(pk=theirs.pk).exists()


def test_an_accountant_cannot_run_bulk_actions_even_on_assigned_clients(firm_a, web, clients):
    client_assignments_set(
        membership=firm_a.admin, client=clients[0], membership_ids=[firm_a.accountant.pk]
    )
    browser = web(firm_a.accountant)
    tick(browser, [clients[0]], [clients[0]])
    assert selection_of(browser, firm_a) == {clients[0].pk}
    for action in ("archive", "delete"):
        browser.post(BULK, {"action": action})
    browser.post(BULK, {"action": "assign", "staff": [firm_a.manager.pk]})
    client = Client.objects.get(pk=clients[0].pk)
    assert client.status == ClientStatus.DRAFT
    assert set(client.assigned.all()) == {firm_a.accountant}


def test_an_accountant_cannot_select_clients_not_assigned_to_them(firm_a, web, clients):
    browser = web(firm_a.accountant)
    tick(browser, clients[:2], clients[:2])
    assert selection_of(browser, firm_a) == set()


def test_an_unknown_action_does_nothing(firm_a, web, english, clients):
    browser = web(firm_a.manager)
    tick(browser, clients[:2], clients[:2])
    response = browser.post(BULK, {"action": "explode"}, follow=True)
    assert messages_of(response) == ["Choose an action."]
    assert Client.objects.count() == 30
    assert selection_of(browser, firm_a) == {clients[0].pk, clients[1].pk}


def test_bulk_actions_need_a_post(firm_a, web):
    assert web(firm_a.manager).get(BULK).status_code == 405
    assert web(firm_a.manager).get(SELECTION).status_code == 405


def test_after_a_bulk_action_the_user_returns_to_the_list_they_came_from(firm_a, web, clients):
    browser = web(firm_a.manager)
    tick(browser, clients[:1], clients[:1])
    back = f"{LIST}?tab=inactive&page=2"
    response = browser.post(BULK, {"action": "archive", "back": back})
    assert response["Location"] == back
    response = browser.post(BULK, {"action": "archive", "back": "https://evil.example/"})
    assert response["Location"] == LIST


def test_select_all_matching_selects_every_client_the_filters_find_on_every_page(
    firm_a, web, english, clients
):
    browser = web(firm_a.manager)
    with_status(clients[3], ClientStatus.ARCHIVED)
    page = browser.get("/f/alfa/clients/?tab=inactive&status=draft").text
    assert 'data-testid="select-all-matching"' in page

    response = browser.post(SELECTION, {"all": "1", "tab": "inactive", "status": "draft"})
    assert response.headers["HX-Trigger"] == "selection-all"
    drafts = {c.pk for c in clients} - {clients[3].pk}
    assert selection_of(browser, firm_a) == drafts
    assert "29 clients selected" in response.text


def test_select_all_matching_keeps_to_what_the_user_may_see(firm_a, firm_b, web, clients):
    make_client(firm_b.admin, "Van B")
    mine = clients[:2]
    for client in mine:
        client_assignments_set(
            membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
        )
    browser = web(firm_a.accountant)
    browser.post(SELECTION, {"all": "1", "tab": "inactive"})
    assert selection_of(browser, firm_a) == {client.pk for client in mine}
    manager = web(firm_a.manager)
    rare = make_client(firm_a.admin, "Zeldzame Naam BV")
    manager.post(SELECTION, {"all": "1", "tab": "inactive", "q": "zeldzame"})
    assert selection_of(manager, firm_a) == {rare.pk}


def test_bulk_assign_and_unassign_take_as_many_queries_for_thirty_clients_as_for_three(
    firm_a, clients
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerspace.clients.services import clients_bulk_assign, clients_bulk_unassign

    def queries(action, chosen) -> int:
        with CaptureQueriesContext(connection) as captured:
            outcome = action(
                membership=firm_a.manager, clients=chosen, membership_ids=[firm_a.accountant.pk]
            )
        assert outcome.done == len(chosen)
        return len(captured)

    few, many = clients[:3], clients[3:]
    assert queries(clients_bulk_assign, few) == queries(clients_bulk_assign, many)
    assert queries(clients_bulk_unassign, few) == queries(clients_bulk_unassign, many)
    assert not ClientAssignment.objects.exists()
    assert ClientHistory.objects.filter(action="assignment_changed").count() == 60


def test_bulk_archive_takes_as_many_queries_for_thirty_clients_as_for_three(
    firm_a, clients, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerspace.clients.services import clients_bulk_archive
    from partnerspace.invitations.models import Invitation
    from partnerspace.invitations.services import client_invite

    with django_capture_on_commit_callbacks(execute=False):
        client_invite(membership=firm_a.manager, client=clients[0])

    def queries(chosen) -> int:
        with CaptureQueriesContext(connection) as captured:
            outcome = clients_bulk_archive(membership=firm_a.manager, clients=chosen)
        assert outcome.done == len(chosen)
        return len(captured)

    assert queries(clients[:3]) == queries(clients[3:])
    assert Client.objects.exclude(status=ClientStatus.ARCHIVED).count() == 0
    # The invitation still open cannot make the archived client Active any more.
    assert Invitation.objects.get().revoked_at is not None
    entry = (
        ClientHistory.objects.filter(client=clients[0], action="status_changed")
        .order_by("id")
        .last()
    )
    assert entry.changes == [{"field": "status", "old": "invited", "new": "archived"}]
    assert entry.actor == firm_a.manager.user


def test_bulk_delete_takes_as_many_queries_for_twenty_drafts_as_for_three(firm_a, clients):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerspace.clients.services import clients_bulk_delete

    with_status(clients[0], ClientStatus.ACTIVE)

    def queries(chosen) -> int:
        with CaptureQueriesContext(connection) as captured:
            clients_bulk_delete(membership=firm_a.manager, clients=chosen)
        return len(captured)

    assert queries(clients[:4]) == queries(clients[10:30])
    remaining = set(Client.objects.values_list("pk", flat=True))
    assert remaining == {c.pk for c in clients[:1] + clients[4:10]}
    events = AuditEvent.objects.filter(action="client.deleted")
    assert events.count() == 23
    assert set(events.values_list("target_label", flat=True)) == {
        c.legal_name for c in clients[1:4] + clients[10:30]
    }


def test_bulk_assign_and_archive_leave_another_firms_client_alone_even_when_passed_in(
    firm_a, firm_b, clients
):
    """The view passes only visible clients; the services keep to the firm on their own too."""
    from partnerspace.clients.services import (
        clients_bulk_archive,
        clients_bulk_assign,
        clients_bulk_delete,
    )

    theirs = make_client(firm_b.admin, "Van B")
    assigned = clients_bulk_assign(
        membership=firm_a.manager,
        clients=[theirs, clients[0]],
        membership_ids=[firm_a.accountant.pk],
    )
    archived = clients_bulk_archive(membership=firm_a.manager, clients=[theirs])
    deleted = clients_bulk_delete(membership=firm_a.manager, clients=[theirs])

    assert (assigned.done, archived.done, deleted.done) == (1, 0, 0)
    assert not ClientAssignment.objects.filter(client=theirs).exists()
    theirs.refresh_from_db()
    assert theirs.status == ClientStatus.DRAFT


@pytest.mark.parametrize("action", ["assign", "unassign"])
def test_assigning_with_no_staff_chosen_is_refused_and_keeps_the_selection(
    firm_a, web, clients, english, action
):
    browser = web(firm_a.admin)
    tick(browser, clients[:25], clients[:2])
    response = browser.post(BULK, {"action": action}, follow=True)
    assert messages_of(response) == ["Choose at least one staff member."]
    assert selection_of(browser, firm_a) == {clients[0].pk, clients[1].pk}
    assert not ClientAssignment.objects.filter(client__in=clients[:2]).exists()
