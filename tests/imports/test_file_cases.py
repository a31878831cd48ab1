"""The files people really have, through the import: error cells refuse their row in
words, the reader's notes become warnings, a reference read from a number never overwrites
the one a client has, and the sheet read can be chosen on the page, the API and the command
line. The reading itself is tested in test_reading."""

import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse
from django.utils import translation

from partnerspace.clients.models import Client
from partnerspace.imports.models import ImportIssue, ImportJob, ImportStatus
from partnerspace.imports.reading import read_table
from tests.factories import make_client

from .builders import HEADERS_NL, csv_bytes, xlsx
from .rows import KEYS, client_row, codes, enterprise_number, run

pytestmark = pytest.mark.django_db

REFERENCE = KEYS.index("external_reference")
OVERVIEW = [
    ["Overzicht klanten"],
    ["Juridische naam", "Land", "E-mail", "Aantal"],
    ["Totaal", "", "", 2],
]


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def xlsx_with(write) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Klanten")
    sheet.write_row(0, 0, HEADERS_NL)
    write(workbook, sheet)
    workbook.close()
    return buffer.getvalue()


def overview_workbook() -> bytes:
    return xlsx(
        [HEADERS_NL, client_row(1), client_row(2)],
        sheet_name="Klanten",
        sheets_before={"Overzicht": OVERVIEW},
    )


# --------------------------------------------------------------------------------------
# The import's rules
# --------------------------------------------------------------------------------------


def test_an_error_cell_refuses_its_row_as_an_error_not_as_a_missing_value(firm_a):
    def write(workbook, sheet):
        sheet.write_row(1, 0, client_row(1))
        sheet.write_formula(1, 2, "=VLOOKUP(A2,Contacten!A:B,2,FALSE)", None, "#N/A")
        sheet.write_row(2, 0, client_row(2))

    sheet = read_table(xlsx_with(write), filename="k.xlsx")
    with translation.override("nl"):
        outcome = run(firm_a.firm, sheet)
    assert (outcome.created, outcome.refused) == (1, 1)
    assert codes(outcome) == [(2, "contact_email", "cell_error")]
    assert "cel bevat een fout: #N/A" in outcome.errors[0].message
    with translation.override("fr"):
        outcome = run(firm_a.firm, sheet, dry_run=True)
    assert "contient une erreur : #N/A" in outcome.errors[0].message


def test_the_readers_notes_are_warnings_of_their_rows(firm_a):
    first, second = client_row(1), client_row(2)
    first[0] = "Bakkerij\nPeeters BV"

    def write(workbook, sheet):
        sheet.write_row(1, 0, first)
        sheet.write_row(2, 0, second)
        sheet.set_row(2, None, None, {"hidden": True})

    with translation.override("nl"):
        outcome = run(firm_a.firm, read_table(xlsx_with(write), filename="k.xlsx"))
        messages = [w.as_issue().message for w in outcome.warnings]
    assert outcome.created == 2
    warnings = [(w.row, w.warning.code) for w in outcome.warnings]
    assert (2, "text_tidied") in warnings and (3, "hidden_row") in warnings
    assert Client.objects.get(legal_name="Bakkerij Peeters BV")
    assert any("verborgen" in message for message in messages)
    shown = outcome.as_json()["warnings"]
    tidied = {"value": "Bakkerij\nPeeters BV", "normalized": "Bakkerij Peeters BV"}
    assert {"row": 2, "field": "legal_name", "code": "text_tidied", **tidied} in shown
    assert {"row": 3, "field": None, "code": "hidden_row", "value": "", "normalized": ""} in shown


def _reference_as_number(n: int, number: int) -> bytes:
    def write(workbook, sheet):
        row = client_row(n)
        sheet.write_row(1, 0, row)
        sheet.write_number(1, REFERENCE, number)

    return xlsx_with(write)


def test_an_update_never_overwrites_a_reference_with_a_number_that_lost_its_zeros(firm_a):
    number = client_row(1)[KEYS.index("company_number")]
    client = make_client(
        firm_a.manager, "Bakkerij 1 BV", company_number=number, external_reference="000108"
    )
    sheet = read_table(_reference_as_number(1, 108), filename="k.xlsx")
    outcome = run(firm_a.firm, sheet, update=True)
    assert (outcome.updated + outcome.unchanged, outcome.refused) == (1, 0)
    client.refresh_from_db()
    assert client.external_reference == "000108"
    assert [(w.row, w.warning.code) for w in outcome.warnings][:1] == [(2, "reference_number")]


def test_a_reference_read_from_a_number_still_finds_the_client_it_names_exactly(firm_a):
    other = make_client(firm_a.manager, "Ander BV", external_reference="108")
    sheet = read_table(_reference_as_number(3, 108), filename="k.xlsx")
    outcome = run(firm_a.firm, sheet, update=True)
    assert (outcome.updated, outcome.created, outcome.refused) == (1, 0, 0)
    other.refresh_from_db()
    assert (other.legal_name, other.external_reference) == ("Bakkerij 3 BV", "108")


def test_a_new_client_gets_the_number_as_its_reference_with_a_warning(firm_a):
    outcome = run(firm_a.firm, read_table(_reference_as_number(4, 108), filename="k.xlsx"))
    assert outcome.created == 1
    assert Client.objects.get(company_number=enterprise_number(4)).external_reference == "108"
    assert [w.warning.code for w in outcome.warnings][:1] == ["reference_number"]


# --------------------------------------------------------------------------------------
# Choosing the sheet, and showing what was read
# --------------------------------------------------------------------------------------


def _url(name: str, people, *args) -> str:
    return reverse(f"imports:{name}", args=[people.firm.slug, *args])


def _upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_the_preview_names_the_sheet_read_and_reads_another_on_request(firm_a, web):
    client = web(firm_a.manager)
    response = client.post(
        _url("upload", firm_a), {"file": _upload(overview_workbook(), "k.xlsx"), "mode": "create"}
    )
    job = ImportJob.objects.filter(firm=firm_a.firm).latest("id")
    assert response.status_code == 302
    assert (job.status, job.rows, job.read_info["sheet"]) == (ImportStatus.PREVIEWED, 2, "Klanten")
    page = client.get(_url("preview", firm_a, job.pk)).content.decode()
    assert 'data-testid="sheet-choice"' in page
    assert '<option value="Klanten" selected>Klanten</option>' in page

    # The overview's headers are not the template's: its columns are to be matched, and
    # the mapping step offers the data sheet again.
    response = client.post(_url("sheet", firm_a, job.pk), {"sheet": "Overzicht"})
    job.refresh_from_db()
    assert (job.status, job.sheet, job.read_info["sheet"]) == (
        ImportStatus.MAPPING,
        "Overzicht",
        "Overzicht",
    )
    assert response["Location"] == _url("mapping", firm_a, job.pk)
    page = client.get(_url("mapping", firm_a, job.pk)).content.decode()
    assert '<option value="Overzicht" selected>Overzicht</option>' in page
    client.post(_url("sheet", firm_a, job.pk), {"sheet": "Klanten"})
    job.refresh_from_db()
    assert (job.status, job.rows, job.created) == (ImportStatus.PREVIEWED, 2, 2)
    assert ImportIssue.objects.filter(job=job, is_error=True).count() == 0
    # another firm's person, or one who may not import, reads no sheet of it
    assert (
        web(firm_a.accountant).post(_url("sheet", firm_a, job.pk), {"sheet": "x"}).status_code
        == 403
    )


def test_a_sheet_chosen_while_a_check_runs_in_the_background_is_the_one_read(firm_a, monkeypatch):
    """The check under way is taken over: its end writes nothing over the person's choice."""
    from partnerspace.imports import services

    monkeypatch.setattr(services, "INLINE_PREVIEW_BYTES", 0)  # checked in the background
    content = xlsx(
        [HEADERS_NL, client_row(2)],
        sheet_name="Archief",
        sheets_before={"Klanten": [HEADERS_NL, client_row(1)]},
    )
    manager = firm_a.manager
    job = services.import_job_create(membership=manager, file_name="k.xlsx", content=content)
    services.import_check_start(membership=manager, job=job)
    running = ImportJob.objects.get(pk=job.pk)
    attempt = services._claim(running, dry_run=True)  # a worker starts the check

    job = services.import_sheet_choose(membership=manager, job=job, sheet="Archief")
    services.import_check_start(membership=manager, job=job)
    services._run_claimed(running, attempt, dry_run=True, progress=False)  # and ends it
    services.import_run(job_id=job.pk, preview=True)  # the check of the sheet chosen

    job.refresh_from_db()
    assert (job.status, job.sheet, job.read_info["sheet"]) == (
        ImportStatus.PREVIEWED,
        "Archief",
        "Archief",
    )
    assert [client["row"] for client in job.preview_clients] == [2]


def test_the_upload_form_takes_a_sheet_by_name(firm_a, web):
    data = xlsx(
        [HEADERS_NL, client_row(2)],
        sheet_name="Klanten 2026",
        sheets_before={"Klanten 2025": [HEADERS_NL, client_row(1)]},
    )
    web(firm_a.manager).post(
        _url("upload", firm_a),
        {"file": _upload(data, "k.xlsx"), "mode": "create", "sheet": "Klanten 2026"},
    )
    job = ImportJob.objects.filter(firm=firm_a.firm).latest("id")
    assert job.read_info["sheet"] == "Klanten 2026"
    assert job.preview_clients[0]["name"] == "Bakkerij 2 BV"


def test_the_preview_shows_a_detected_character_set_and_the_decoded_names(firm_a, web):
    rows = [client_row(1), client_row(2)]
    rows[0][0], rows[1][0] = "Café Crème SRL", "Bäckerei Müller GmbH"
    data = csv_bytes([HEADERS_NL, *rows], delimiter=";", encoding="cp850")
    client = web(firm_a.manager)
    client.post(_url("upload", firm_a), {"file": _upload(data, "k.csv"), "mode": "create"})
    job = ImportJob.objects.filter(firm=firm_a.firm).latest("id")
    page = client.get(_url("preview", firm_a, job.pk)).content.decode()
    assert 'data-testid="import-encoding"' in page and "MS-DOS (850)" in page
    assert "Café Crème SRL" in page and "Bäckerei Müller GmbH" in page


def test_the_api_reads_the_sheet_it_is_given_and_lists_the_workbooks_sheets(firm_a, api):
    client = api(firm_a.manager)
    body = client.post(
        "/imports",
        {"file": _upload(overview_workbook(), "k.xlsx"), "dry_run": "true"},
        content_type=MULTIPART_CONTENT,
    ).json()
    assert (body["status"], body["sheet"], body["sheets"]) == (
        "previewed",
        "Klanten",
        ["Overzicht", "Klanten"],
    )
    body = client.post(
        "/imports",
        {"file": _upload(overview_workbook(), "k.xlsx"), "dry_run": "true", "sheet": "Blad9"},
        content_type=MULTIPART_CONTENT,
    ).json()
    assert body["status"] == "refused"
    assert body["errors"][0]["code"] == "sheet_not_found"
    assert "Overzicht, Klanten" in body["errors"][0]["message"]


def test_the_command_line_reads_the_sheet_it_is_given(firm_a, tmp_path):
    path = tmp_path / "k.xlsx"
    path.write_bytes(overview_workbook())
    out = io.StringIO()
    with translation.override("en"):
        call_command(
            "import_clients",
            str(path),
            "--firm",
            "alfa",
            "--dry-run",
            "--language",
            "en",
            stdout=out,
        )
    assert "Sheet Klanten was read; the file's sheets: Overzicht, Klanten" in out.getvalue()
    with pytest.raises(SystemExit) as exit:
        call_command(
            "import_clients", str(path), "--firm", "alfa", "--sheet", "Overzicht", "--json",
            stdout=io.StringIO(),
        )  # fmt: skip
    assert exit.value.code == 2
    job = ImportJob.objects.filter(firm=firm_a.firm).latest("id")
    assert (job.sheet, job.file_error["code"]) == ("Overzicht", "missing_columns")
