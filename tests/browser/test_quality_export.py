"""The client list's data-quality filter in Chromium: choose "no primary contact e-mail" and
Export downloads just those clients (the button submits the list's filters to the export)."""

import io

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Contact
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client

pytestmark = pytest.mark.browser


def test_the_export_downloads_what_the_chosen_filter_keeps(page, firm_a):
    make_client(firm_a.admin, "Met Mail BV")
    quiet = make_client(firm_a.admin, "Zonder Mail BV")
    Contact.objects.filter(client=quiet).update(email="")
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(reverse("clients:list", args=[firm_a.firm.slug]) + "?tab=inactive")

    page.get_by_test_id("filter-contact_email").select_option("missing")
    expect(page.get_by_text("Met Mail BV")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_test_id("export-clients").click()

    with open(download.value.path(), "rb") as handle:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(handle.read()))
    exported = [row[0] for row in workbook.get_sheet_by_index(0).to_python()[1:]]
    assert exported == ["Zonder Mail BV"]
