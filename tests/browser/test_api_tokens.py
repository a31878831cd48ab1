import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _me(raw: str) -> int:
    return Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code


def test_a_user_creates_a_token_sees_it_once_and_revokes_it(page, firm_a):
    log_in(page, "accountant@alfa.example", PASSWORD)
    page.get_by_test_id("user-menu").locator("summary").click()
    page.get_by_role("link", name="API-sleutels").click()
    expect(page.get_by_role("heading", name="API-sleutels", level=1)).to_be_visible()
    address = page.url

    page.get_by_label("Naam").fill("Excel-koppeling")
    page.get_by_label("Geldig gedurende").select_option("30")
    page.get_by_role("button", name="API-sleutel aanmaken").click()

    secret = page.get_by_test_id("new-token").get_by_role("textbox")
    expect(secret).to_have_value(re.compile(r"^ps_[0-9a-f]{12}"))
    raw = secret.input_value()
    page.get_by_role("button", name="Kopiëren").click()
    selected = secret.evaluate("box => box.value.slice(box.selectionStart, box.selectionEnd)")
    assert selected == raw
    expect(page.get_by_test_id("token-table")).to_contain_text("Excel-koppeling")
    assert page.url == address  # htmx swapped the tokens part of the page
    assert _me(raw) == 200

    page.reload()
    expect(page.get_by_test_id("token-table")).to_contain_text("Excel-koppeling")
    expect(page.get_by_test_id("new-token")).to_have_count(0)  # shown once only

    page.get_by_role("button", name="Intrekken").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Deze API-sleutel intrekken?")
    dialog.get_by_role("button", name="Intrekken").click()

    expect(page.get_by_text("is ingetrokken: hij werkt niet meer")).to_be_visible()
    expect(page.get_by_test_id("token-table")).to_have_count(0)
    assert _me(raw) == 401
