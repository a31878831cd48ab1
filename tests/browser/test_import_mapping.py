"""An Exact Online–style export, end to end in Chromium: upload it, see each column with its first
values and the suggested field, change one, confirm, see the preview with the split addresses
and names, import it, find the clients in the list, and find the matching suggested again for
the next export."""

import re

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from partnerspace.imports.models import ColumnMapping, ImportJob, ImportStatus
from tests.browser.conftest import log_in
from tests.factories import PASSWORD
from tests.imports.exports import EXACT, EXACT_FIELDS, exact_csv

pytestmark = pytest.mark.browser


def test_an_exact_export_is_matched_checked_and_imported(page, firm_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = firm_a.admin.user
    admin.language = "en"
    admin.save(update_fields=["language"])
    log_in(page, admin.email, PASSWORD)
    export = tmp_path / "Relaties.csv"
    export.write_bytes(exact_csv(3))

    # 1. Upload the export as it came out of the accounting package.
    page.goto("/f/alfa/imports/")
    page.get_by_label("Your saved .xlsx file").set_input_files(export)
    page.get_by_test_id("upload-submit").click()

    # 2. The columns step: each column, its first values and the suggested field.
    expect(page.get_by_role("heading", name="Match the columns", level=1)).to_be_visible()
    expect(page.locator('[data-testid="import-steps"] [aria-current="step"]')).to_have_text(
        "Columns"
    )
    rows = page.get_by_test_id("mapping-row")
    expect(rows).to_have_count(len(EXACT))
    address = page.locator('[data-testid="mapping-row"][data-header="Adresregel 1"]')
    expect(address).to_contain_text("Stationsstraat 1/2")
    for header, field in EXACT_FIELDS.items():
        row = page.locator(f'[data-testid="mapping-row"][data-header="{header}"]')
        expect(row.get_by_test_id("mapping-select")).to_have_value(field)
    expect(page.get_by_test_id("mapping-missing")).to_have_count(0)

    # Giving one field to two columns is refused beside the column, and nothing moves on.
    code = page.locator('[data-testid="mapping-row"][data-header="Relatiecode"]')
    code.get_by_test_id("mapping-select").select_option("legal_name")
    page.get_by_test_id("mapping-submit").click()
    expect(page.get_by_test_id("mapping-errors")).to_be_visible()
    expect(code.get_by_test_id("mapping-select")).to_have_attribute("aria-invalid", "true")

    # This firm keeps its own references elsewhere: the code column is not imported.
    code.get_by_test_id("mapping-select").select_option(label="Do not import")
    page.get_by_test_id("mapping-submit").click()

    # 3. The preview: the addresses and the names split, a warning for each.
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    expect(page.get_by_test_id("count-refused")).to_have_text("0")
    expect(page.get_by_test_id("import-preview")).to_contain_text("Stationsstraat / 1 / 2")
    expect(page.get_by_test_id("import-preview")).to_contain_text("Jan / Van den Broeck1")
    assert not Client.objects.exists()

    # 4. Import.
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE
    client = Client.objects.get(legal_name="Schrijnwerkerij 2 BV")
    assert (client.street, client.house_number, client.box) == ("Stationsstraat", "2", "3")
    assert client.external_reference is None  # the column was not imported
    assert client.contacts.get().last_name == "Van den Broeck2"

    page.get_by_test_id("to-clients").click()
    page.get_by_role("link", name=re.compile("^Not active")).click()
    expect(page.get_by_role("link", name="Schrijnwerkerij 3 BV")).to_be_visible()

    # 5. Undo the import from its page: the undo (issue 17, item 1) joins this test here.

    # 6. The next export with the same headers gets the firm's matching at once.
    assert ColumnMapping.objects.filter(firm=firm_a.firm).count() == 1
    page.goto("/f/alfa/imports/")
    page.get_by_label("Your saved .xlsx file").set_input_files(export)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("mapping-remembered")).to_be_visible()
    expect(code.get_by_test_id("mapping-select")).to_have_value("")
