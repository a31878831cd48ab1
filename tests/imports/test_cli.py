"""partnerspace import_clients and export_clients."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Client, ClientHistory, Contact
from partnerspace.identifiers.messages import ERROR_MESSAGES
from partnerspace.imports.columns import headers_for
from partnerspace.imports.models import ImportJob, ImportStatus
from tests.factories import make_client

from .rows import KEYS, client_row, enterprise_number, xlsx_of

pytestmark = pytest.mark.django_db

COL = {key: index for index, key in enumerate(KEYS)}


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def write(tmp_path, rows, name="klanten.xlsx", language="nl"):
    path = tmp_path / name
    path.write_bytes(xlsx_of(rows, language))
    return path


def import_clients(*args, stderr=None):
    """(exit status, stdout, stderr) of one run."""
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    try:
        call_command("import_clients", *map(str, args), stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def counts():
    return (Client.objects.count(), Contact.objects.count(), ClientHistory.objects.count())


def test_json_has_exactly_the_shape_of_the_issue_and_some_refused_rows_exit_1(firm_a, tmp_path):
    number = enterprise_number(1)
    dotted = f"{number[:4]}.{number[4:7]}.{number[7:]}"
    path = write(
        tmp_path,
        [
            client_row(1, company_number=dotted, vat_number=""),
            client_row(2, country="Atlantis"),
            client_row(3),
        ],
    )
    status, out, err = import_clients("--firm", "alfa", path, "--json")

    assert status == 1
    data = json.loads(out)
    assert list(data) == ["id", "rows", "created", "updated", "refused", "errors", "warnings"]
    assert (data["rows"], data["created"], data["updated"], data["refused"]) == (3, 2, 0, 1)
    assert data["errors"] == [
        {
            "row": 3,
            "field": "country",
            "code": "invalid_country",
            "value": "Atlantis",
            "message": data["errors"][0]["message"],
        }
    ]
    assert data["errors"][0]["message"]
    assert {
        "row": 2,
        "field": "company_number",
        "code": "normalized",
        "value": dotted,
        "normalized": number,
    } in data["warnings"]
    assert all(list(w) == ["row", "field", "code", "value", "normalized"] for w in data["warnings"])
    assert err == ""  # no terminal: no progress bar


def test_no_refused_row_exits_0(firm_a, tmp_path):
    status, out, _ = import_clients("--firm", "alfa", write(tmp_path, [client_row(1)]), "--json")
    assert status == 0
    assert json.loads(out)["created"] == 1


def test_a_refused_file_exits_2_with_a_file_level_error(firm_a, tmp_path):
    path = tmp_path / "klanten.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00" * 50)
    status, out, _ = import_clients("--firm", "alfa", path, "--json")

    assert status == 2
    data = json.loads(out)
    assert list(data) == ["id", "rows", "created", "updated", "refused", "errors", "warnings"]
    assert data["errors"] == [
        {
            "row": None,
            "field": None,
            "code": "unsupported_format",
            "value": "",
            "message": data["errors"][0]["message"],
        }
    ]
    job = ImportJob.objects.get()
    assert (job.status, job.source, job.file_error["code"]) == (
        ImportStatus.REFUSED,
        "cli",
        "unsupported_format",
    )


def test_missing_columns_are_a_refused_file_too(firm_a, tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("Juridische naam;Land\nBakkerij;BE\n", encoding="utf-8")
    status, out, err = import_clients("--firm", "alfa", path)

    assert status == 2
    assert out == ""
    assert err.strip()


def test_the_run_is_recorded_as_an_import_job_with_its_issues(firm_a, tmp_path):
    path = write(tmp_path, [client_row(1), client_row(2, country="Atlantis")], name="mijn.xlsx")
    status, _, _ = import_clients(
        "--firm", "alfa", path, "--actor", "MANAGER@alfa.example", "--json"
    )

    assert status == 1
    job = ImportJob.objects.get()
    assert (job.source, job.file_name, job.status, job.created_by) == (
        "cli",
        "mijn.xlsx",
        ImportStatus.DONE,
        firm_a.manager.user,
    )
    assert (job.rows, job.created, job.refused, job.mode) == (2, 1, 1, "create")
    assert list(job.issues.filter(is_error=True).values_list("row", "code")) == [
        (3, "invalid_country")
    ]
    assert Client.objects.get().created_by == firm_a.manager.user


def test_an_actor_who_may_not_import_is_refused(firm_a, tmp_path):
    path = write(tmp_path, [client_row(1)])
    with pytest.raises(CommandError) as refused:
        import_clients("--firm", "alfa", path, "--actor", "accountant@alfa.example")
    assert refused.value.returncode == 2
    assert Client.objects.count() == 0


def test_an_unknown_firm_is_refused(firm_a, tmp_path):
    with pytest.raises(CommandError) as refused:
        import_clients("--firm", "nope", write(tmp_path, [client_row(1)]))
    assert refused.value.returncode == 2


def test_a_missing_file_is_refused(firm_a, tmp_path):
    with pytest.raises(CommandError) as refused:
        import_clients("--firm", "alfa", tmp_path / "er-niet.xlsx")
    assert refused.value.returncode == 2


def test_a_dry_run_writes_no_client(firm_a, tmp_path):
    make_client(firm_a.manager, "Bestaat BV", company_number=enterprise_number(2))
    before = counts()
    path = write(tmp_path, [client_row(1), client_row(2, vat_number="", city="Brugge")])
    status, out, _ = import_clients("--firm", "alfa", path, "--dry-run", "--update", "--json")

    assert status == 0
    data = json.loads(out)
    assert (data["created"], data["updated"], data["refused"]) == (1, 1, 0)
    assert counts() == before
    assert Client.objects.get(legal_name="Bestaat BV").city == ""
    assert ImportJob.objects.get().status == ImportStatus.PREVIEWED


def test_update_mode_updates_and_without_it_the_client_is_refused(firm_a, tmp_path):
    client = make_client(firm_a.manager, "Bestaat BV", company_number=enterprise_number(1))
    path = write(tmp_path, [client_row(1, vat_number="", city="Brugge")])

    status, out, _ = import_clients("--firm", "alfa", path, "--json")
    assert status == 1
    assert json.loads(out)["errors"][0]["code"] == "already_exists"

    status, out, _ = import_clients("--firm", "alfa", path, "--update", "--json")
    assert status == 0
    assert json.loads(out)["updated"] == 1
    client.refresh_from_db()
    assert client.city == "Brugge"
    assert ImportJob.objects.order_by("id").last().mode == "update"


def test_report_writes_only_the_refused_rows(firm_a, tmp_path):
    rows = [client_row(1), client_row(2, country="Atlantis"), client_row(3, iban="BE00")]
    out_file = tmp_path / "fouten.xlsx"
    status, _, _ = import_clients(
        "--firm", "alfa", write(tmp_path, rows), "--report", out_file, "--json"
    )

    assert status == 1
    sheet = CalamineWorkbook.from_path(str(out_file)).get_sheet_by_index(0).to_python()
    assert sheet[0] == [*headers_for("nl"), "Meldingen"]
    assert [row[:17] for row in sheet[1:]] == [rows[1], rows[2]]


def test_report_of_a_refused_file_holds_its_message(firm_a, tmp_path):
    path = tmp_path / "k.xlsx"
    path.write_bytes(b"PK\x03\x04kapot")
    out_file = tmp_path / "fouten.xlsx"
    status, _, err = import_clients("--firm", "alfa", path, "--report", out_file)

    assert status == 2
    sheet = CalamineWorkbook.from_path(str(out_file)).get_sheet_by_index(0).to_python()
    assert sheet[2][:17] == headers_for("nl")
    assert err.strip().split(": ", 1)[1] in sheet[0][0]


def test_language_sets_the_messages_and_the_reports_headers(firm_a, tmp_path):
    out_file = tmp_path / "erreurs.xlsx"
    path = write(tmp_path, [client_row(1, country="Atlantis")], language="fr")
    status, out, _ = import_clients(
        "--firm", "alfa", path, "--language", "fr", "--report", out_file, "--json"
    )

    assert status == 1
    with translation.override("fr"):
        french = str(ERROR_MESSAGES["invalid_country"])
    with translation.override("en"):
        english = str(ERROR_MESSAGES["invalid_country"])
    assert french != english
    assert json.loads(out)["errors"][0]["message"] == french
    sheet = CalamineWorkbook.from_path(str(out_file)).get_sheet_by_index(0).to_python()
    assert sheet[0] == [*headers_for("fr"), "Problèmes"]


def test_without_json_a_summary_is_printed(firm_a, tmp_path):
    path = write(tmp_path, [client_row(1), client_row(2, country="Atlantis")])
    status, out, _ = import_clients("--firm", "alfa", path, "--language", "en")

    assert status == 1
    assert "2 rows read. New: 1 · Changed: 0 · Unchanged: 0 · Refused: 1" in out
    assert "Row 3, Country (letter code) *:" in out


def test_a_progress_bar_is_drawn_on_a_terminal_only(firm_a, tmp_path):
    path = write(tmp_path, [client_row(n) for n in range(1, 6)])
    status, out, err = import_clients("--firm", "alfa", path, "--json", stderr=Terminal())

    assert status == 0
    assert json.loads(out)["created"] == 5  # stdout holds the JSON alone
    assert err.startswith("\r[")
    assert "] 5/5 100%" in err
    assert err.endswith("\n")


# --------------------------------------------------------------------------------------
# export_clients
# --------------------------------------------------------------------------------------


def test_export_clients_writes_the_firms_clients_and_they_import_back(firm_a, tmp_path):
    make_client(firm_a.manager, "Klant BV", company_number=enterprise_number(1), city="Gent")
    out_file = tmp_path / "export.xlsx"
    out = io.StringIO()
    call_command("export_clients", "--firm", "alfa", str(out_file), stdout=out)

    sheet = CalamineWorkbook.from_path(str(out_file)).get_sheet_by_index(0).to_python()
    assert sheet[0] == headers_for("nl")
    assert sheet[1][COL["legal_name"]] == "Klant BV"
    assert str(out_file) in out.getvalue()

    status, out, _ = import_clients("--firm", "alfa", out_file, "--update", "--json")
    assert (status, json.loads(out)["refused"]) == (0, 0)


def test_export_clients_in_french(firm_a, tmp_path):
    out_file = tmp_path / "export.xlsx"
    call_command(
        "export_clients", "--firm", "alfa", "--language", "fr", str(out_file), stdout=io.StringIO()
    )
    sheet = CalamineWorkbook.from_path(str(out_file)).get_sheet_by_index(0).to_python()
    assert sheet == [headers_for("fr")]


def test_export_clients_refuses_an_unknown_firm(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("export_clients", "--firm", "nope", str(tmp_path / "x.xlsx"))
