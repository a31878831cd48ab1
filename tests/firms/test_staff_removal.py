"""Removing a person from the firm: the clients they were assigned to keep a trace of it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerspace.clients.models import ClientAssignment, ClientHistory, HistorySource
from partnerspace.clients.services import client_assignments_set
from partnerspace.core.errors import Conflict
from partnerspace.firms.services import membership_remove
from tests.factories import make_client, make_member

pytestmark = pytest.mark.django_db


def _assigned_clients(people, person, count):
    clients = [make_client(people.admin) for _ in range(count)]
    for client in clients:
        client_assignments_set(membership=people.admin, client=client, membership_ids=[person.pk])
    return clients


def _unassignments(client):
    return ClientHistory.objects.filter(
        client=client, action="assignment_changed", changes__0__new=None
    )


def test_each_client_of_a_removed_person_records_who_was_unassigned_by_whom(firm_a):
    person = firm_a.accountant
    theirs = _assigned_clients(firm_a, person, 2)
    other = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=other, membership_ids=[firm_a.manager.pk]
    )

    membership_remove(membership=person, actor=firm_a.admin.user)

    assert not ClientAssignment.objects.filter(client__in=theirs).exists()
    for client in theirs:
        entry = _unassignments(client).get()
        assert entry.changes == [{"field": "assigned", "old": str(person.user), "new": None}]
        assert (entry.actor, entry.actor_label, entry.source) == (
            firm_a.admin.user,
            str(firm_a.admin.user),
            HistorySource.STAFF,
        )
        assert entry.at is not None
    assert not _unassignments(other).exists()
    assert ClientAssignment.objects.filter(client=other, membership=firm_a.manager).exists()


def test_removing_a_person_without_clients_writes_no_client_history(firm_a):
    make_client(firm_a.admin)
    before = ClientHistory.objects.count()
    membership_remove(membership=firm_a.accountant, actor=firm_a.admin.user)
    assert ClientHistory.objects.count() == before


def test_a_refused_removal_records_no_unassignment(firm_a):
    (client,) = _assigned_clients(firm_a, firm_a.admin, 1)
    with pytest.raises(Conflict):  # the firm's last administrator
        membership_remove(membership=firm_a.admin, actor=firm_a.admin.user)
    assert not _unassignments(client).exists()
    assert ClientAssignment.objects.filter(client=client, membership=firm_a.admin).exists()


def test_the_client_page_shows_the_unassignment_after_removal_through_the_staff_page(firm_a, web):
    (client,) = _assigned_clients(firm_a, firm_a.accountant, 1)
    removed = web(firm_a.admin).post(f"/f/alfa/users/{firm_a.accountant.pk}/remove/")
    assert removed.status_code == 302
    page = web(firm_a.admin).get(f"/f/alfa/clients/{client.pk}/").text
    history = page.split('data-testid="history"', 1)[1]
    assert f"<del>{firm_a.accountant.user}</del>" in history


def test_recording_the_unassignments_takes_as_many_queries_for_many_clients_as_for_few(firm_a):
    few, many = firm_a.accountant, make_member(firm_a.firm, "accountant")
    _assigned_clients(firm_a, few, 2)
    _assigned_clients(firm_a, many, 12)
    counts = []
    for person in (few, many):
        with CaptureQueriesContext(connection) as queries:
            membership_remove(membership=person, actor=firm_a.admin.user)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert (
        ClientHistory.objects.filter(action="assignment_changed", changes__0__new=None).count()
        == 14
    )
