"""Undo an import in Chromium: import a small file made from the template, undo it from the
import's page (the plan first, then confirm), and find its clients gone."""

import re

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from partnerspace.imports.columns import header_key
from partnerspace.imports.models import ImportJob
from tests.browser.conftest import log_in
from tests.browser.test_import import client_values, download, read_rows, write_rows
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_an_import_is_undone_from_its_page_and_its_clients_are_gone(
    page, firm_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = firm_a.admin.user
    admin.language = "en"
    admin.save(update_fields=["language"])
    log_in(page, admin.email, PASSWORD)

    page.goto("/f/alfa/imports/")
    template = download(page, "download-template", tmp_path)
    headers = read_rows(template)[0]
    keys = [header_key(header) for header in headers]
    filled = tmp_path / "small.xlsx"
    write_rows(filled, [headers, *[[client_values(n).get(k, "") for k in keys] for n in (1, 2)]])
    page.get_by_label("Your saved .xlsx file").set_input_files(filled)
    page.get_by_test_id("upload-submit").click()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    assert Client.objects.count() == 2

    # The plan first: nothing changed yet.
    page.get_by_test_id("undo-import").click()
    expect(page.get_by_role("heading", name="Undo the import", level=1)).to_be_visible()
    expect(page.get_by_test_id("undo-count-deleted")).to_have_text("2")
    expect(page.get_by_test_id("undo-delete")).to_have_count(2)
    expect(page.get_by_test_id("undo-delete-list")).to_contain_text("Bakkerij 1 BV")
    assert Client.objects.count() == 2

    page.get_by_test_id("undo-confirm").click()
    expect(page.get_by_test_id("import-undone")).to_be_visible()
    expect(page.get_by_test_id("import-undone")).to_contain_text("2 deleted")
    expect(page.get_by_test_id("undo-import")).to_have_count(0)
    assert not Client.objects.exists()
    assert ImportJob.objects.get().undone_by == admin

    page.goto("/f/alfa/clients/")
    page.get_by_role("link", name=re.compile("^Not active")).click()
    expect(page.get_by_role("link", name="Bakkerij 1 BV")).to_have_count(0)
    page.goto("/f/alfa/imports/history/")
    expect(page.get_by_test_id("import-undone-badge")).to_be_visible()
