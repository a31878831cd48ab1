"""Overzicht, the firm's home: its figures per status, each linking to the list it counts."""

import re

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client

pytestmark = pytest.mark.browser


def test_the_overview_counts_the_clients_and_opens_the_filtered_list(page, firm_a):
    for name in ("Bakkerij Aerts BV", "Brouwerij Claes NV"):
        make_client(firm_a.admin, name)
    active = make_client(firm_a.admin, "Slagerij Dubois BV", peppol_mandate=True)
    Client.objects.filter(pk=active.pk).update(status="active")

    log_in(page, "admin@alfa.example", PASSWORD)
    expect(page.get_by_role("heading", name="Overzicht")).to_be_visible()
    expect(page.get_by_test_id("figure-draft")).to_contain_text("2 Concept")
    expect(page.get_by_test_id("figure-active")).to_contain_text("1 Actief")
    expect(page.get_by_test_id("figure-mandates")).to_contain_text("1 mandaat bevestigd")
    expect(page.get_by_test_id("figure-waiting")).to_contain_text("0 wachten op antwoord")

    page.get_by_test_id("figure-draft").click()
    expect(page).to_have_url(re.compile(r"/clients/\?tab=inactive&status=draft$"))
    expect(page.get_by_test_id("result-count")).to_contain_text("1–2 van 2")
    nav = page.get_by_role("navigation", name="Hoofdnavigatie")
    expect(nav.get_by_role("link", name="Klanten")).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Overzicht").click()
    expect(page.get_by_role("heading", name="Overzicht")).to_be_visible()
