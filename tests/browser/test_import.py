"""Klanten importeren, end to end in Chromium: download the template, fill it, upload it, see the
preview with one bad row, import, download the error report, correct the row in it, import that
file, and find the client in the list."""

import re
import zipfile

import pytest
import xlsxwriter
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Client
from partnerspace.imports.columns import header_key
from partnerspace.imports.models import ImportIssue, ImportJob, ImportStatus
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

BAD_NUMBER = "0403019262"  # 0403019261 with a wrong check digit


def enterprise_number(n: int) -> str:
    first_eight = 3_000_000 + 11 * n
    return f"{first_eight:08d}{97 - first_eight % 97:02d}"


def client_values(n: int) -> dict[str, str]:
    return {
        "legal_name": f"Bakkerij {n} BV",
        "country": "BE",
        "contact_email": f"an{n}@bakkerij{n}.example",
        "contact_first_name": "An",
        "contact_last_name": f"Peeters{n}",
        "contact_locale": "nl-BE",
        "company_number": enterprise_number(n),
        "city": "Gent",
    }


def read_rows(path) -> list[list[str]]:
    """The first sheet's rows as text, as a person sees them."""
    with CalamineWorkbook.from_path(str(path)) as workbook:
        rows = workbook.get_sheet_by_index(0).to_python()
    return [["" if cell is None else str(cell) for cell in row] for row in rows]


def write_rows(path, rows: list[list[str]]) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Clients")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    workbook.close()


def download(page, testid: str, folder):
    with page.expect_download() as info:
        page.get_by_test_id(testid).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def comments_of(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode()
            for name in archive.namelist()
            if re.fullmatch(r"xl/comments\d+\.xml", name)
        )


def test_import_from_the_template_with_one_bad_row_then_the_corrected_report(
    page, firm_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = firm_a.admin.user
    admin.language = "en"
    admin.save(update_fields=["language"])
    log_in(page, admin.email, PASSWORD)

    # 1. Download the template, from the client list.
    page.goto("/f/alfa/clients/")
    page.get_by_role("link", name="Import clients").click()
    expect(page.get_by_role("heading", name="Import clients", level=1)).to_be_visible()
    template = download(page, "download-template", tmp_path)
    assert template.suffix == ".xlsx"

    # 2. Fill it in: three good rows and one with a wrong check digit.
    headers = read_rows(template)[0]
    keys = [header_key(header) for header in headers]
    assert "legal_name" in keys and "company_number" in keys
    values = [client_values(n) for n in (1, 2, 3, 4)]
    values[3]["company_number"] = BAD_NUMBER
    filled = tmp_path / "our-clients.xlsx"
    write_rows(filled, [headers, *[[v.get(key, "") for key in keys] for v in values]])

    # 3. Upload it: the preview, nothing written yet.
    page.get_by_label("Your saved .xlsx file").set_input_files(filled)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    expect(page.get_by_test_id("count-refused")).to_have_text("1")
    bad_row = page.get_by_test_id("error-row")
    expect(bad_row).to_have_count(1)
    expect(bad_row).to_have_attribute("data-row", "5")  # the header is row 1
    expect(bad_row).to_contain_text("Company number")
    expect(bad_row).to_contain_text(BAD_NUMBER)
    message = ImportIssue.objects.get(is_error=True).message
    expect(bad_row).to_contain_text(message)
    assert not Client.objects.exists()

    # Import: the good rows are written, the bad one is skipped.
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    expect(page.get_by_test_id("count-refused")).to_have_text("1")
    assert Client.objects.count() == 3
    first = ImportJob.objects.get()
    assert first.status == ImportStatus.DONE and first.created_by == admin

    # The error report holds only the bad row, its cell commented.
    report = download(page, "download-report", tmp_path)
    rows = [row for row in read_rows(report) if any(row)]
    report_keys = [header_key(header) for header in rows[0]]
    assert len(rows) == 2, rows
    bad = dict(zip(report_keys, rows[1], strict=True))
    assert bad["legal_name"] == "Bakkerij 4 BV"
    assert bad["company_number"] == BAD_NUMBER
    assert message in comments_of(report)

    # Correct the row in the report and import that file.
    rows[1][report_keys.index("company_number")] = enterprise_number(4)
    corrected = tmp_path / "corrected.xlsx"
    write_rows(corrected, rows)
    page.get_by_test_id("another-file").click()
    page.get_by_label("Your saved .xlsx file").set_input_files(corrected)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("count-created")).to_have_text("1")
    expect(page.get_by_test_id("count-refused")).to_have_text("0")
    expect(page.get_by_test_id("error-row")).to_have_count(0)
    # The report's own Problems column is read past without a word.
    expect(page.get_by_test_id("unknown-columns")).to_have_count(0)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("1")

    page.get_by_test_id("to-clients").click()
    page.get_by_role("link", name=re.compile("^Not active")).click()  # new clients are Draft
    expect(page.get_by_test_id("count-inactive")).to_have_text("4")
    expect(page.get_by_role("link", name="Bakkerij 4 BV")).to_be_visible()
    assert Client.objects.get(legal_name="Bakkerij 4 BV").company_number == enterprise_number(4)

    # Both imports are kept, with who ran them.
    page.goto("/f/alfa/imports/history/")
    expect(page.get_by_test_id("import-row")).to_have_count(2)
    expect(page.get_by_test_id("import-history")).to_contain_text("our-clients.xlsx")
