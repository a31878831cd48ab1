"""The tab counts of a large firm come from a short-lived cache; a small firm's are exact."""

import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerspace.clients import selectors
from partnerspace.clients.services import client_assignments_set
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


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


def test_a_large_firms_counts_are_counted_once_per_half_minute(firm_a, web, monkeypatch):
    monkeypatch.setattr(selectors, "COUNTS_CACHE_FROM", 2)
    monkeypatch.setattr(selectors, "COUNTS_CACHE_SECONDS", 1)
    browser = web(firm_a.admin)
    make_client(firm_a.admin)
    make_client(firm_a.admin)
    assert inactive_count(browser) == 2
    assert not counted(browser)

    make_client(firm_a.admin)
    assert inactive_count(browser) == 2  # as counted a moment ago
    time.sleep(1.1)
    assert inactive_count(browser) == 3


def test_an_accountant_gets_counts_of_their_own(firm_a, web, monkeypatch):
    monkeypatch.setattr(selectors, "COUNTS_CACHE_FROM", 1)
    clients = [make_client(firm_a.admin) for _ in range(3)]
    client_assignments_set(
        membership=firm_a.admin, client=clients[0], membership_ids=[firm_a.accountant.pk]
    )
    assert inactive_count(web(firm_a.admin)) == 3
    assert inactive_count(web(firm_a.accountant)) == 1
    assert inactive_count(web(firm_a.admin)) == 3
