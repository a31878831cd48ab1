"""Show the next step: a firm whose clients are all still to be invited opens its list on
Niet actief, where they are."""

import re

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client

pytestmark = pytest.mark.browser


def test_the_list_opens_on_not_active_while_no_client_is_active(page, firm_a):
    draft = make_client(firm_a.admin, "Bakkerij Aerts BV")
    log_in(page, "admin@alfa.example", PASSWORD)
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role(
        "link", name="Klanten"
    ).click()
    current = page.get_by_role("navigation", name="Klantstatus").locator('[aria-current="page"]')
    expect(current).to_contain_text("Niet actief")
    expect(page.get_by_role("link", name="Bakkerij Aerts BV")).to_be_visible()

    # Once a client is active, the list opens on Actief again.
    Client.objects.filter(pk=draft.pk).update(status="active")
    page.goto("/f/alfa/clients/")
    expect(current).to_contain_text(re.compile(r"^Actief"))


def test_a_draft_client_has_one_primary_action_invite(page, firm_a):
    draft = make_client(firm_a.admin, "Bakkerij Aerts BV")
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/clients/{draft.pk}/")
    actions = page.locator(".page-header .page-actions")
    expect(actions.locator(".btn-primary:visible, .btn-danger:visible")).to_have_count(1)
    expect(actions.locator(".btn-primary:visible")).to_have_text("Uitnodigen")
    expect(actions.get_by_role("button", name="Verwijderen")).to_be_visible()
    expect(actions.get_by_role("button", name="Archiveren")).to_have_count(0)
