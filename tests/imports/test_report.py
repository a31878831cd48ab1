"""The error report: the refused rows, as typed, each bad cell marked with its message."""

import datetime
import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Client
from partnerspace.imports import report, services
from partnerspace.imports.columns import COLUMN_BY_KEY, COLUMNS, headers_for
from partnerspace.imports.downloads import report_download
from partnerspace.imports.models import ImportJob, ImportMode, ImportStatus
from partnerspace.imports.pipeline import Importer
from partnerspace.imports.reading import read_table
from partnerspace.imports.report import MESSAGES_LABEL, error_report_bytes, job_error_report

from .builders import xlsx
from .rows import KEYS, client_row, sheet_of

pytestmark = pytest.mark.django_db

COL = {key: index for index, key in enumerate(KEYS)}
LETTERS = "ABCDEFGHIJKLMNOPQR"


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def rows_of(content: bytes) -> list[list[str]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return workbook.get_sheet_by_index(0).to_python()


def sheet_xml(content: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()


def comments(content: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    if "xl/comments1.xml" not in archive.namelist():
        return {}
    xml = archive.read("xl/comments1.xml").decode()
    return {
        ref: re.sub(r"<[^>]+>", "", body).replace("&apos;", "'")
        for ref, body in re.findall(r'<comment ref="([A-Z]+\d+)"[^>]*>(.*?)</comment>', xml, re.S)
    }


def red_cells(content: bytes) -> set[str]:
    """The cells whose style fills them light red."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    styles = archive.read("xl/styles.xml").decode()
    fills = re.findall(
        r"<fill>(.*?)</fill>", re.search(r"<fills[^>]*>(.*?)</fills>", styles, re.S)[1], re.S
    )
    xfs = re.findall(r"<xf ([^>]*)", re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)[1])
    red = {
        index
        for index, xf in enumerate(xfs)
        if "FFC7CE" in fills[int(re.search(r'fillId="(\d+)"', xf)[1])]
    }
    return {
        ref for ref, style in re.findall(r'<c r="([A-Z]+\d+)" s="(\d+)"', sheet_xml(content))
        if int(style) in red
    }  # fmt: skip


def imported(firm, rows, **options):
    sheet = sheet_of(rows)
    return sheet, Importer(firm=firm, **options).run(sheet)


def test_the_report_holds_the_refused_rows_only_in_the_files_order_as_typed(firm_a):
    rows = [
        client_row(1),
        client_row(2, country="Atlantis"),
        client_row(3),
        client_row(4, company_number="0403.019.262", vat_number="", contact_email="x@"),
    ]
    sheet, outcome = imported(firm_a.firm, rows)
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")
    found = rows_of(content)

    assert found[0] == [*headers_for("nl"), "Meldingen"]
    assert [row[:17] for row in found[1:]] == [rows[1], rows[3]]
    assert found[1][COL["country"]] == "Atlantis"
    assert found[2][COL["company_number"]] == "0403.019.262"  # as typed, not repaired


def test_each_bad_cell_is_red_with_its_message_as_comment_and_the_row_lists_them(firm_a):
    rows = [client_row(1, country="Atlantis", contact_email="x@", peppol_mandate="?")]
    sheet, outcome = imported(firm_a.firm, rows)
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")
    messages = {issue.field: issue.message for issue in outcome.errors}

    bad = {f"{LETTERS[COL[key]]}2" for key in ("country", "contact_email", "peppol_mandate")}
    assert red_cells(content) == bad
    notes = comments(content)
    assert set(notes) == bad
    assert notes[f"{LETTERS[COL['country']]}2"] == messages["country"]
    listed = rows_of(content)[1][17].split("\n")
    assert listed == [
        f"{COLUMN_BY_KEY[issue.field].label('nl')}: {issue.message}" for issue in outcome.errors
    ]


@pytest.mark.parametrize(("language", "label"), [("fr", "Problèmes"), ("en", "Problems")])
def test_the_headers_follow_the_language(firm_a, language, label):
    sheet, outcome = imported(firm_a.firm, [client_row(1, country="Atlantis")])
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language=language)
    assert rows_of(content)[0] == [*headers_for(language), label]
    assert MESSAGES_LABEL[language] == label


def test_a_file_with_fewer_columns_in_another_order_gives_the_templates_columns(firm_a):
    keys = ["contact_locale", "legal_name", "contact_email", "country", "contact_last_name",
            "contact_first_name", "city"]  # fmt: skip
    values = {"legal_name": "Klant BV", "country": "Atlantis", "contact_email": "a@b.be",
              "contact_first_name": "An", "contact_last_name": "Ee", "contact_locale": "nl-BE",
              "city": "Gent"}  # fmt: skip
    headers = [COLUMN_BY_KEY[key].label("fr") for key in keys]
    sheet = read_table(xlsx([headers, [values[k] for k in keys]]), filename="k.xlsx")
    outcome = Importer(firm=firm_a.firm).run(sheet)
    found = rows_of(error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl"))

    assert found[0][:17] == headers_for("nl")
    expected = [values.get(key, "") for key in KEYS]
    assert found[1][:17] == expected


def test_errors_given_as_dicts_make_the_same_report(firm_a):
    sheet, outcome = imported(firm_a.firm, [client_row(1, iban="BE00")])
    as_dicts = [issue.as_error() for issue in outcome.errors]
    from_issues = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")
    from_dicts = error_report_bytes(sheet=sheet, errors=as_dicts, language="nl")

    assert rows_of(from_issues) == rows_of(from_dicts)
    assert comments(from_issues) == comments(from_dicts)


def test_a_message_about_the_whole_row_goes_to_the_last_column_only(firm_a):
    sheet = sheet_of([client_row(1)])
    errors = [{"row": 2, "field": None, "code": "already_exists", "value": "", "message": "Dubbel"}]
    content = error_report_bytes(sheet=sheet, errors=errors, language="nl")

    assert rows_of(content)[1][17] == "Dubbel"
    assert red_cells(content) == set()


def test_file_level_problems_stand_above_the_header_and_the_report_still_reads(firm_a):
    sheet, outcome = imported(firm_a.firm, [client_row(1, country="Atlantis")])
    errors = [{"row": None, "field": None, "code": "x", "message": "Het bestand was vreemd."}]
    content = error_report_bytes(sheet=sheet, errors=[*errors, *outcome.errors], language="nl")
    found = rows_of(content)

    assert "Het bestand was vreemd." in found[0][0]
    assert found[2][:17] == headers_for("nl")
    again = read_table(content, filename="report.xlsx")
    assert [values for _, values in again.rows] == [tuple(client_row(1, country="Atlantis"))]
    assert again.header_row == 3


def test_a_date_read_as_empty_shows_what_the_cell_held(firm_a):
    row = client_row(1)
    row[COL["box"]] = datetime.date(2024, 3, 1)
    sheet = read_table(xlsx([headers_for("nl"), row]), filename="k.xlsx")
    outcome = Importer(firm=firm_a.firm).run(sheet)
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")

    assert rows_of(content)[1][COL["box"]] == "2024-03-01"
    assert red_cells(content) == {f"{LETTERS[COL['box']]}2"}


def test_refused_values_that_look_like_formulas_stay_text(firm_a):
    rows = [client_row(1, legal_name="=1+1", country="@SUM(A1)")]
    sheet, outcome = imported(firm_a.firm, rows)
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")

    assert rows_of(content)[1][:2] == ["=1+1", "@SUM(A1)"]
    assert "<f>" not in sheet_xml(content)


def test_beyond_the_comment_limit_cells_are_still_red(firm_a, monkeypatch):
    monkeypatch.setattr(report, "MAX_COMMENTS", 1)
    rows = [client_row(1, country="Atlantis"), client_row(2, country="Atlantis")]
    sheet, outcome = imported(firm_a.firm, rows)
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")

    assert len(comments(content)) == 1
    assert len(red_cells(content)) == 2


def test_the_corrected_report_imports(firm_a):
    rows = [client_row(1), client_row(2, country="Atlantis"), client_row(3, peppol_mandate="?")]
    sheet, outcome = imported(firm_a.firm, rows)
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")
    # the person corrects the two red cells in the report and uploads it
    archive = zipfile.ZipFile(io.BytesIO(content))
    corrected = io.BytesIO()
    with zipfile.ZipFile(corrected, "w") as target:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b">Atlantis<", b">BE<").replace(b">?<", b">Ja<")
            target.writestr(info, data)

    again = read_table(corrected.getvalue(), filename="rapport.xlsx")
    second = Importer(firm=firm_a.firm).run(again)

    assert again.unknown_headers == ()  # its Meldingen column is the report's own
    assert (second.rows, second.created, second.errors) == (2, 2, [])
    assert Client.objects.get(legal_name="Bakkerij 3 BV").peppol_mandate is True
    assert Client.objects.filter(firm=firm_a.firm).count() == 3


# --------------------------------------------------------------------------------------
# A job's report
# --------------------------------------------------------------------------------------


def _job(firm_a, rows, **options):
    job = services.import_job_create(
        membership=firm_a.manager,
        file_name="klanten.xlsx",
        content=xlsx([headers_for("nl"), *rows]),
        mode=options.get("mode", ImportMode.CREATE),
        language=options.get("language", "nl"),
    )
    return services.import_start(membership=firm_a.manager, job=job)


def test_a_jobs_report_reads_its_file_again_with_its_recorded_errors(firm_a):
    job = _job(firm_a, [client_row(1), client_row(2, country="Atlantis")], language="fr")
    assert (job.status, job.created, job.refused) == (ImportStatus.DONE, 1, 1)
    found = rows_of(job_error_report(job=job))

    assert found[0] == [*headers_for("fr"), "Problèmes"]
    assert [row[:17] for row in found[1:]] == [client_row(2, country="Atlantis")]
    message = job.issues.get(is_error=True).message
    assert found[1][17] == f"{COLUMN_BY_KEY['country'].label('fr')}: {message}"


def test_a_report_made_again_reads_the_sheet_the_person_chose(firm_a):
    """A job with no report kept (it stopped before its end) has one made from its file:
    the worksheet chosen for it, not the one the reader would pick by itself."""
    header = headers_for("nl")
    content = xlsx(
        [header, client_row(1), client_row(2, country="Atlantis")],
        sheet_name="Klanten",
        sheets_before={"Oud": [header, client_row(5), client_row(6)]},
    )
    job = services.import_job_create(
        membership=firm_a.manager, file_name="klanten.xlsx", content=content, sheet="Klanten"
    )
    job = services.import_start(membership=firm_a.manager, job=job)
    assert (job.created, job.refused) == (1, 1)
    job.report_file.delete(save=True)

    found = rows_of(job_error_report(job=job))

    assert [row[:17] for row in found[1:]] == [client_row(2, country="Atlantis")]


def test_the_report_of_a_refused_file_gives_its_message_above_the_headers(firm_a):
    job = services.import_job_create(
        membership=firm_a.manager, file_name="k.xlsx", content=b"PK\x03\x04kapot"
    )
    services.import_preview(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED
    found = rows_of(job_error_report(job=job))

    assert job.file_error["message"] in found[0][0]
    assert found[2][:17] == headers_for("nl")
    assert len(found) == 3


def _download(membership, job, slug=None):
    request = RequestFactory().get("/")
    request.user = membership.user
    request.LANGUAGE_CODE = "nl"
    return report_download(request, firm_slug=slug or membership.firm.slug, import_id=job.pk)


def test_the_report_downloads_for_the_firms_importers(firm_a):
    job = _job(firm_a, [client_row(1, country="Atlantis")])
    response = _download(firm_a.manager, job)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert rows_of(response.content)[1][COL["country"]] == "Atlantis"
    with pytest.raises(PermissionDenied):
        _download(firm_a.accountant, job)


def test_another_firms_report_is_not_found(firm_a, firm_b):
    job = _job(firm_a, [client_row(1, country="Atlantis")])
    with pytest.raises(Http404):
        _download(firm_b.admin, job)
    with pytest.raises(Http404):
        _download(firm_b.admin, job, slug=firm_a.firm.slug)


def test_every_column_of_the_report_is_text(firm_a):
    sheet, outcome = imported(firm_a.firm, [client_row(1, country="Atlantis")])
    xml = sheet_xml(error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl"))
    covered = set()
    for first, last in re.findall(r'<col min="(\d+)" max="(\d+)" [^>]*style="\d+"', xml):
        covered |= set(range(int(first), int(last) + 1))
    assert covered >= set(range(1, len(COLUMNS) + 1))


@pytest.fixture
def register_loaded(tmp_path):
    from tests.register.conftest import full_register

    with full_register(tmp_path):
        yield


def test_a_refused_row_lists_what_the_register_says_of_it_after_its_errors(firm_a, register_loaded):
    from tests.register.conftest import DUPONT, PEETERS

    def kbo_row(n, number, **cells):
        return client_row(n, company_number=number, vat_number=f"BE{number}", **cells)

    rows = [
        kbo_row(1, DUPONT, legal_name="Bakkerij Janssens", contact_email="x@"),
        client_row(2, contact_email="x@"),
        kbo_row(3, PEETERS, legal_name="", contact_email="x@"),
        client_row(4),  # imported, with its warning: not in the report
    ]
    sheet, outcome = imported(firm_a.firm, rows)
    content = error_report_bytes(sheet=sheet, errors=outcome.errors, language="nl")
    found = rows_of(content)
    listed = [row[17].split("\n") for row in found[1:]]
    name, number, email = (COLUMN_BY_KEY[key].label("nl") for key in
                           ("legal_name", "company_number", "contact_email"))  # fmt: skip

    assert len(found) == 4
    assert [lines[0].split(":")[0] for lines in listed] == [email, email, email]
    assert listed[0][1:] == [f"{name}: In de KBO heet dit bedrijf Boulangerie Dupont."]
    assert listed[1][1].startswith(f"{number}: {rows[1][COL['company_number']]} staat niet in")
    assert listed[2][1:] == [f"{name}: Leeg in het bestand; ingevuld uit de KBO: Bakkerij Peeters."]
    # The cells stay as the file held them, and only the errors are red.
    assert found[3][COL["legal_name"]] == ""
    assert red_cells(content) == {f"{LETTERS[COL['contact_email']]}{row}" for row in (2, 3, 4)}


def test_a_job_report_written_at_its_end_lists_the_registers_word_too(firm_a, register_loaded):
    from tests.register.conftest import DUPONT

    row = client_row(1, company_number=DUPONT, vat_number="", legal_name="X BV", contact_email="x@")
    job = _job(firm_a, [row])
    assert job.refused == 1

    listed = rows_of(job_error_report(job=job))[1][17]
    assert "In de KBO heet dit bedrijf Boulangerie Dupont." in listed


@pytest.mark.parametrize(
    "status", [ImportStatus.UPLOADED, ImportStatus.QUEUED, ImportStatus.RUNNING]
)
def test_an_import_under_way_has_no_report_yet_on_the_page_as_in_the_api(firm_a, web, api, status):
    job = _job(firm_a, [client_row(1, country="Atlantis")])
    ImportJob.objects.filter(pk=job.pk).update(status=status)

    browser = web(firm_a.manager)
    response = browser.get(reverse("imports:report", args=["alfa", job.pk]), follow=True)

    assert response.redirect_chain[0] == (reverse("imports:job", args=["alfa", job.pk]), 302)
    assert "Deze import is nog niet klaar" in response.text
    answer = api(firm_a.manager).get(f"/imports/{job.pk}/report")
    assert (answer.status_code, answer.json()["code"]) == (409, "import_not_finished")
