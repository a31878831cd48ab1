"""`__any_of`: the rows whose key is among a list of ids, the list sent as one parameter, on
both databases (core.lookups)."""

import pytest

from partnerspace.clients.models import Client, ClientAssignment
from partnerspace.clients.services import client_assignments_set
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
