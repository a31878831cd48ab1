"""The tab counts of a large firm come from the cache until its clients change; a small
firm's are counted on every page. A change shows at once, whichever process made it: the
cache is keyed by the firm's clients_version, which every change raises (clients.counts)."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from partnerspace.clients import selectors
from partnerspace.clients.services import (
    client_assignments_set,
    client_delete,
    clients_bulk_archive,
    clients_bulk_assign,
    clients_bulk_unassign,
)
from tests.factories import make_client
from tests.imports.rows import client_row, run

# Committed for real: the counts move on once a change commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def large(monkeypatch):
    """Every firm counts as large: its counts are cached."""
    monkeypatch.setattr(selectors, "COUNTS_CACHE_FROM", 1)


def inactive_count(browser) -> int:
    html = browser.get("/f/alfa/clients/").text
    return int(re.search(r'data-testid="count-inactive">([\d.,]+)<', html).group(1))


def counted(browser) -> bool:
    """Whether showing the list counted the clients (the grouped count over the firm)."""
    with CaptureQueriesContext(connection) as queries:
        browser.get("/f/alfa/clients/")
    return any("GROUP BY" in query["sql"] and "COUNT" in query["sql"] for query in queries)


def test_a_small_firms_counts_are_exact_on_every_page(firm_a, web):
    browser = web(firm_a.admin)
    make_client(firm_a.admin)
    assert inactive_count(browser) == 1
    make_client(firm_a.admin)
    assert inactive_count(browser) == 2
    assert counted(browser)


def test_a_large_firms_counts_are_counted_once_until_a_client_is_added(firm_a, web, large):
    browser = web(firm_a.admin)
    make_client(firm_a.admin)
    make_client(firm_a.admin)
    assert inactive_count(browser) == 2
    assert not counted(browser)
    assert not counted(browser)

    make_client(firm_a.admin)
    assert inactive_count(browser) == 3  # at once, not half a minute later
    assert not counted(browser)


def test_an_import_deleting_and_archiving_show_at_once(firm_a, web, large):
    browser = web(firm_a.admin)
    assert inactive_count(browser) == 0

    outcome = run(firm_a.firm, [client_row(1), client_row(2), client_row(3)])
    assert outcome.created == 3
    assert inactive_count(browser) == 3  # rows written past the ORM

    first, second, third = firm_a.firm.clients.order_by("pk")
    client_delete(membership=firm_a.admin, client=first)
    assert inactive_count(browser) == 2

    clients_bulk_archive(membership=firm_a.admin, clients=[second, third])  # QuerySet.update
    assert browser.get("/f/alfa/clients/?status=archived").context["page"].count == 2
    assert inactive_count(browser) == 2
    assert not counted(browser)


def test_an_accountants_counts_follow_their_assignments(firm_a, web, large):
    clients = [make_client(firm_a.admin) for _ in range(3)]
    accountant = web(firm_a.accountant)
    assert inactive_count(accountant) == 0
    client_assignments_set(
        membership=firm_a.admin, client=clients[0], membership_ids=[firm_a.accountant.pk]
    )
    assert inactive_count(accountant) == 1
    assert inactive_count(web(firm_a.admin)) == 3

    clients_bulk_assign(
        membership=firm_a.admin, clients=clients, membership_ids=[firm_a.accountant.pk]
    )
    assert inactive_count(accountant) == 3
    clients_bulk_unassign(
        membership=firm_a.admin, clients=clients[1:], membership_ids=[firm_a.accountant.pk]
    )
    assert inactive_count(accountant) == 1
    client_assignments_set(membership=firm_a.admin, client=clients[0], membership_ids=[])
    assert inactive_count(accountant) == 0


def test_a_change_made_by_another_process_shows_at_once(firm_a, web, large):
    """Each web process has a cache of its own: what tells it the counts changed is the
    firm's row, not its cache."""
    browser = web(firm_a.admin)
    make_client(firm_a.admin)
    assert inactive_count(browser) == 1  # counted, and kept in this process's cache

    another_process = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "another-process",
        }
    }
    with override_settings(CACHES=another_process):
        make_client(firm_a.admin)

    assert inactive_count(browser) == 2


def test_a_change_rolled_back_changes_nothing_and_the_next_one_counts(firm_a, web, large):
    from django.db import transaction

    browser = web(firm_a.admin)
    assert inactive_count(browser) == 0
    with transaction.atomic():
        make_client(firm_a.admin)
        transaction.set_rollback(True)
    assert inactive_count(browser) == 0
    with transaction.atomic():
        make_client(firm_a.admin)
        make_client(firm_a.admin)
    assert inactive_count(browser) == 2
