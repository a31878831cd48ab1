"""`__any_of`: the rows whose key is among a list of ids, the list sent as one parameter, on
both databases; `ReadByIds`, such a read compiled once (core.lookups)."""

import threading
from datetime import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from partnerspace.clients.models import Client, ClientAssignment
from partnerspace.clients.services import client_assignments_set
from partnerspace.core.lookups import ReadByIds
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_any_of_finds_the_rows_of_the_ids_given_and_no_others(firm_a):
    first, second, third = (make_client(firm_a.admin) for _ in range(3))
    for client in (first, second, third):
        client_assignments_set(
            membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
        )
    found = ClientAssignment.objects.filter(client_id__any_of=[first.pk, third.pk])
    assert sorted(found.values_list("client_id", flat=True)) == sorted([first.pk, third.pk])
    assert set(Client.objects.filter(pk__any_of=[second.pk])) == {second}


def test_any_of_an_empty_list_finds_nothing(firm_a):
    make_client(firm_a.admin)
    assert not Client.objects.filter(pk__any_of=[]).exists()


def test_any_of_takes_more_ids_than_a_statement_has_parameters(firm_a):
    client = make_client(firm_a.admin)
    ids = [*range(10**9, 10**9 + 40_000), client.pk]  # SQLite allows 32,766 parameters
    assert list(Client.objects.filter(pk__any_of=ids)) == [client]


def test_any_of_refuses_what_is_not_a_whole_number(firm_a):
    for value in ("1 OR 1=1", 1.5):
        with pytest.raises(TypeError):
            list(Client.objects.filter(pk__any_of=[value]))


# ReadByIds: the same reads, compiled once


def staff_of_clients() -> ReadByIds:
    return ReadByIds(
        lambda ids: (
            ClientAssignment.objects.filter(client_id__any_of=ids)
            .order_by("membership__user__last_name", "client_id")
            .values_list("client_id", "membership__user__last_name")
        )
    )


def test_a_read_compiled_once_answers_each_call_for_its_own_ids(firm_a):
    first, second, third = (make_client(firm_a.admin) for _ in range(3))
    for client in (first, third):
        client_assignments_set(
            membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
        )
    read = staff_of_clients()
    last_name = firm_a.accountant.user.last_name

    assert read.rows([first.pk, second.pk]) == [(first.pk, last_name)]
    with CaptureQueriesContext(connection) as queries:
        assert read.rows([second.pk, third.pk]) == [(third.pk, last_name)]
        assert read.rows([first.pk, third.pk]) == [(first.pk, last_name), (third.pk, last_name)]
    assert len(queries) == 2
    assert read.rows([]) == []


def test_a_read_compiled_once_converts_values_as_the_orm_does(firm_a):
    client = make_client(firm_a.admin)
    read = ReadByIds(lambda ids: Client.objects.filter(pk__any_of=ids).values_list("created_at"))

    assert read.rows([client.pk]) == [(Client.objects.get(pk=client.pk).created_at,)]
    assert isinstance(read.rows([client.pk])[0][0], datetime)


def test_a_read_compiled_once_refuses_what_is_not_a_whole_number(firm_a):
    read = staff_of_clients()
    for value in ("1 OR 1=1", 1.5):
        with pytest.raises(TypeError):
            read.rows([value])


def test_a_read_without_its_ids_or_of_model_instances_is_refused(firm_a):
    with pytest.raises(ImproperlyConfigured):
        ReadByIds(lambda ids: Client.objects.values_list("pk")).rows([1])
    with pytest.raises(ImproperlyConfigured):
        ReadByIds(lambda ids: Client.objects.filter(pk__any_of=ids)).rows([1])


@pytest.mark.django_db(transaction=True)
def test_a_read_compiled_in_one_thread_answers_in_another(firm_a):
    client = make_client(firm_a.admin)
    read = ReadByIds(
        lambda ids: Client.objects.filter(pk__any_of=ids).values_list("pk", "created_at")
    )
    expected = [(client.pk, Client.objects.get(pk=client.pk).created_at)]
    assert read.rows([client.pk]) == expected  # compiled here

    answers = []

    def elsewhere():
        try:
            answers.append(read.rows([client.pk]))
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert answers == [expected]
