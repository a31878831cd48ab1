"""Search by name, numbers in any spelling, reference, contact, city, accents; only the visible."""

import pytest
from django.urls import reverse

from partnerspace.clients.models import Client
from partnerspace.clients.search import search_terms
from partnerspace.clients.selectors import ClientFilters, client_page
from partnerspace.clients.services import client_assignments_set, client_update
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def found(membership, query) -> set[str]:
    page = client_page(membership, ClientFilters(query=query, tab="inactive"), page_size=100)
    return {client.legal_name for client in page.rows}


@pytest.fixture
def clients(firm_a):
    make_client(
        firm_a.admin,
        "Bêta Bouw BV",
        vat_number="BE0403019261",
        external_reference="EXACT-0042",
        postal_code="9000",
        city="Gent",
        contact={
            "first_name": "Sofie",
            "last_name": "Vermeulen",
            "email": "sofie@beta-bouw.example",
            "locale": "nl-BE",
        },
    )
    make_client(
        firm_a.admin,
        "Gamma Transport NV",
        company_number="0202239951",
        city="Brugge",
        contact={
            "first_name": "Luc",
            "last_name": "Dubois",
            "email": "luc@gamma.example",
            "locale": "fr-BE",
        },
    )
    make_client(firm_a.admin, "Delta Café", city="Liège")


@pytest.mark.parametrize(
    "query",
    [
        "0403.019.261",
        "BE 0403 019 261",
        "403019261",
        "be0403019261",
        "BE0403019261",
        "0403019261",
        "BE 0403.019.261",
        "403.019.261",
    ],
)
def test_a_vat_number_is_found_in_any_spelling(firm_a, clients, query):
    assert found(firm_a.admin, query) == {"Bêta Bouw BV"}


@pytest.mark.parametrize("query", ["0202.239.951", "202239951", "BE0202239951", "be 0202 239 951"])
def test_an_enterprise_number_is_found_in_any_spelling(firm_a, clients, query):
    assert found(firm_a.admin, query) == {"Gamma Transport NV"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bêta", {"Bêta Bouw BV"}),
        ("beta", {"Bêta Bouw BV"}),
        ("BETA BOUW", {"Bêta Bouw BV"}),
        ("transport", {"Gamma Transport NV"}),
        ("cafe", {"Delta Café"}),
        ("liege", {"Delta Café"}),
        ("Gent", {"Bêta Bouw BV"}),
        ("9000", {"Bêta Bouw BV"}),
        ("exact-0042", {"Bêta Bouw BV"}),
        ("Vermeulen", {"Bêta Bouw BV"}),
        ("sofie vermeulen", {"Bêta Bouw BV"}),
        ("luc@gamma.example", {"Gamma Transport NV"}),
        ("dubois", {"Gamma Transport NV"}),
    ],
)
def test_search_finds_by_each_kind_of_value(firm_a, clients, query, expected):
    assert found(firm_a.admin, query) == expected


def test_every_term_must_match(firm_a, clients):
    assert found(firm_a.admin, "bouw gent") == {"Bêta Bouw BV"}
    assert found(firm_a.admin, "bouw brugge") == set()


def test_short_terms_match_the_start_of_the_name(firm_a, clients):
    assert found(firm_a.admin, "ga") == {"Gamma Transport NV"}
    assert found(firm_a.admin, "de") == {"Delta Café"}


def test_like_wildcards_typed_by_the_user_match_only_themselves(firm_a, clients):
    assert found(firm_a.admin, "%%%") == set()
    assert found(firm_a.admin, "b_ta") == set()
    make_client(firm_a.admin, "100% Bio")
    assert found(firm_a.admin, "100%") == {"100% Bio"}


def test_an_empty_search_lists_everything_in_the_tab(firm_a, clients):
    assert len(found(firm_a.admin, "   ")) == 3


def test_a_number_query_becomes_its_digits():
    assert search_terms("BE 0403.019.261") == ["0403019261"]
    assert search_terms("Bêta  BOUW") == ["beta", "bouw"]


def test_search_follows_a_change_of_details(firm_a, clients):
    client = Client.objects.get(legal_name="Delta Café")
    client_update(membership=firm_a.admin, client=client, data={"city": "Namur"})
    assert found(firm_a.admin, "namur") == {"Delta Café"}
    assert found(firm_a.admin, "liege") == set()


def test_search_never_shows_another_firms_clients(firm_a, firm_b, clients):
    make_client(firm_b.admin, "Bêta van B", vat_number="BE0403019261")
    assert found(firm_a.admin, "0403019261") == {"Bêta Bouw BV"}
    assert found(firm_b.admin, "0403019261") == {"Bêta van B"}


def test_an_accountant_finds_only_the_clients_assigned_to_them(firm_a, clients):
    gamma = Client.objects.get(legal_name="Gamma Transport NV")
    client_assignments_set(
        membership=firm_a.admin, client=gamma, membership_ids=[firm_a.accountant.pk]
    )
    assert found(firm_a.accountant, "bouw") == set()
    assert found(firm_a.accountant, "0403019261") == set()
    assert found(firm_a.accountant, "transport") == {"Gamma Transport NV"}
    assert found(firm_a.manager, "bouw") == {"Bêta Bouw BV"}


def test_the_search_box_on_the_page(firm_a, web, clients):
    url = reverse("clients:list", args=["alfa"])
    response = web(firm_a.manager).get(url, {"tab": "inactive", "q": "BE 0403 019 261"})
    assert [c.legal_name for c in response.context["page"].rows] == ["Bêta Bouw BV"]
    assert 'value="BE 0403 019 261"' in response.text


def test_the_search_triggers_survive_a_migration_that_rebuilds_the_client_table(db):
    from django.db import connection

    from partnerspace.clients.search import SQLITE_TRIGGERS, search_index_repair

    if connection.vendor != "sqlite":
        assert search_index_repair(connection) == []
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'clients_client'"
        )
        assert {row[0] for row in cursor.fetchall()} == set(SQLITE_TRIGGERS)
        # What SQLite does to a table's triggers when a migration rebuilds the table:
        cursor.execute("DROP TRIGGER clients_client_fts_insert")
    assert search_index_repair(connection) == ["clients_client_fts_insert"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'clients_client'"
        )
        assert {row[0] for row in cursor.fetchall()} == set(SQLITE_TRIGGERS)
