"""/api/v1/imports: upload (dry run or import, both modes), follow, and fetch the error report."""

import io

import pytest
from django.test.client import MULTIPART_CONTENT
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Client
from partnerspace.imports import reading, services
from partnerspace.imports.models import ImportJob, ImportStatus
from tests.factories import make_client
from tests.imports.builders import csv_bytes, xlsx
from tests.imports.test_views import (  # noqa: F401 (a fixture)
    BAD_NUMBER,
    HEADERS_NL,
    enterprise_number,
    row,
    upload,
    uploads_in_tmp,
    workbook,
)

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {
    "id",
    "status",
    "resumable",
    "file_name",
    "mode",
    "rows",
    "processed",
    "progress",
    "created",
    "updated",
    "unchanged",
    "refused",
    "warning_count",
    "outcome_labels",
    "warnings",
    "errors",
    "report_url",
    "mapping",
    "columns",
    "sheet",
    "sheets",
    "encoding",
}


def post_import(client, content: bytes, *, name="klanten.xlsx", **fields):
    data = {"file": upload(content, name), **{k: str(v).lower() for k, v in fields.items()}}
    return client.post("/imports", data, content_type=MULTIPART_CONTENT)


def test_a_dry_run_checks_the_file_and_writes_nothing(firm_a, api):
    client = api(firm_a.manager)
    content = workbook([row(1), row(2), row(3, company_number=BAD_NUMBER)])

    response = post_import(client, content, dry_run=True)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SUMMARY_KEYS | {"dry_run"}
    assert body["dry_run"] is True
    assert body["status"] == "previewed"
    assert body["file_name"] == "klanten.xlsx"
    assert body["mode"] == "create"
    assert (body["rows"], body["created"], body["updated"], body["refused"]) == (3, 2, 0, 1)
    assert body["progress"] == 100
    assert body["errors"] == [
        {
            "row": 4,
            "field": "company_number",
            "code": "company_number_checksum",
            "value": BAD_NUMBER,
            "message": body["errors"][0]["message"],
        }
    ]
    assert body["errors"][0]["message"]
    assert body["report_url"].endswith(f"/api/v1/imports/{body['id']}/report")
    assert not Client.objects.exists()
    job = ImportJob.objects.get(pk=body["id"])
    assert job.source == "api" and job.created_by == firm_a.manager.user


def test_an_import_writes_the_valid_rows(firm_a, api):
    response = post_import(api(firm_a.admin), workbook([row(1), row(2, company_number=BAD_NUMBER)]))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "done" and body["dry_run"] is False
    assert (body["created"], body["refused"]) == (1, 1)
    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Bakkerij 1 BV"]


def test_update_mode_updates_an_existing_client(firm_a, api):
    make_client(firm_a.admin, "Oude Naam BV", company_number=enterprise_number(1))
    client = api(firm_a.admin)
    content = workbook([row(1, legal_name="Nieuwe Naam BV")])

    refused = post_import(client, content).json()
    assert refused["refused"] == 1 and refused["errors"][0]["code"] == "already_exists"

    body = post_import(client, content, mode="update").json()
    assert body["mode"] == "update"
    assert (body["updated"], body["refused"]) == (1, 0)
    assert Client.objects.get().legal_name == "Nieuwe Naam BV"


def test_an_unknown_mode_is_refused(firm_a, api):
    response = post_import(api(firm_a.admin), workbook([row(1)]), mode="replace")
    assert response.status_code == 422
    assert not ImportJob.objects.exists()


def test_a_file_it_cannot_read_is_refused_with_its_reason(firm_a, api):
    response = post_import(api(firm_a.admin), b"%PDF-1.7", name="klanten.pdf")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "refused"
    assert [error["code"] for error in body["errors"]] == ["unsupported_format"]
    assert body["errors"][0]["row"] is None and body["errors"][0]["field"] is None


def test_a_file_over_20_mb_is_refused_before_it_is_read(firm_a, api, monkeypatch):
    content = csv_bytes([["x"]])
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", len(content) - 1)
    response = post_import(api(firm_a.admin), content, name="big.csv")
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not ImportJob.objects.exists()


def test_a_large_import_is_queued_and_followed(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 2)
    client = api(firm_a.manager)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_import(client, workbook([row(1), row(2), row(3)]))

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == 0
    assert not Client.objects.exists()
    assert client.get(f"/imports/{body['id']}").json()["status"] == "queued"

    callbacks[0]()
    followed = client.get(f"/imports/{body['id']}").json()
    assert followed["status"] == "done" and followed["progress"] == 100
    assert followed["created"] == 3
    assert Client.objects.count() == 3


def test_a_file_too_large_to_check_at_once_is_imported_in_the_background(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    content = workbook([row(1), row(2, company_number=BAD_NUMBER)])
    monkeypatch.setattr(services, "INLINE_PREVIEW_BYTES", len(content) - 1)
    client = api(firm_a.manager)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        imported = post_import(client, content)
        checked = post_import(client, content, dry_run=True)

    assert (imported.status_code, imported.json()["status"]) == (202, "queued")
    assert (checked.status_code, checked.json()["status"]) == (202, "uploaded")
    for callback in callbacks:
        callback()
    imported = client.get(f"/imports/{imported.json()['id']}").json()
    checked = client.get(f"/imports/{checked.json()['id']}").json()
    assert (imported["status"], imported["created"], imported["refused"]) == ("done", 1, 1)
    assert (checked["status"], checked["created"], checked["refused"]) == ("previewed", 0, 2)


def test_get_answers_the_same_summary(firm_a, api):
    client = api(firm_a.admin)
    created = post_import(client, workbook([row(1, company_number=BAD_NUMBER)]), dry_run=True)
    body = client.get(f"/imports/{created.json()['id']}").json()
    assert set(body) == SUMMARY_KEYS
    assert {k: v for k, v in created.json().items() if k != "dry_run"} == body


def test_the_report_holds_the_refused_rows(firm_a, api):
    client = api(firm_a.admin)
    content = workbook([row(1), row(2, company_number=BAD_NUMBER)])
    body = post_import(client, content).json()

    response = client.get(f"/imports/{body['id']}/report")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    report = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(report)).get_sheet_by_index(0).to_python()
    cells = [str(value) for line in sheet for value in line]
    assert BAD_NUMBER in cells
    assert "Bakkerij 1 BV" not in cells


def test_the_report_waits_for_the_import_to_finish(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 1)
    client = api(firm_a.admin)
    with django_capture_on_commit_callbacks(execute=False):
        body = post_import(client, workbook([row(1), row(2, company_number=BAD_NUMBER)])).json()
    assert body["status"] == "queued"
    response = client.get(f"/imports/{body['id']}/report")
    assert response.status_code == 409
    assert response.json()["code"] == "import_not_finished"


def test_another_firms_import_is_not_found(firm_a, firm_b, api):
    body = post_import(api(firm_a.admin), workbook([row(1)])).json()
    other = api(firm_b.admin)
    for path in (f"/imports/{body['id']}", f"/imports/{body['id']}/report"):
        response = other.get(path)
        assert response.status_code == 404, path
        assert "klanten" not in response.content.decode()


def test_an_accountants_token_may_not_import(firm_a, api):
    job_id = post_import(api(firm_a.admin), workbook([row(1)])).json()["id"]
    accountant = api(firm_a.accountant)
    response = post_import(accountant, workbook([row(2)]))
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert ImportJob.objects.count() == 1
    for path in (f"/imports/{job_id}", f"/imports/{job_id}/report"):
        assert accountant.get(path).status_code == 403, path


def test_without_a_token_nothing_is_answered(firm_a, client):
    response = client.post("/api/v1/imports", {"file": upload(workbook([row(1)]))})
    assert response.status_code == 401
    assert not ImportJob.objects.exists()


def test_the_answer_lists_at_most_1000_errors(firm_a, api, monkeypatch):
    bad = [row(n, company_number=BAD_NUMBER, contact_email="not an address") for n in range(600)]
    body = post_import(api(firm_a.admin), workbook(bad), dry_run=True).json()
    assert body["refused"] == 600
    assert len(body["errors"]) == 1000
    assert ImportJob.objects.get().issues.filter(is_error=True).count() > 1000


def test_the_status_is_documented(firm_a, api):
    schema = api(firm_a.admin).get("/openapi.json").json()
    assert "/api/v1/imports/{import_id}" in schema["paths"]
    assert ImportStatus.QUEUED.value in str(schema)


def test_the_answer_lists_the_warnings_with_value_as_given_and_as_stored(firm_a, api):
    """The same warnings as `import_clients --json`: unknown columns first, then the repairs."""
    client = api(firm_a.manager)
    number = enterprise_number(1)
    spaced = f"{number[:4]}.{number[4:7]}.{number[7:]}"
    content = xlsx(
        [
            [*HEADERS_NL, "Opmerking"],
            [*row(1, company_number=spaced, vat_number=""), "vaste klant"],
        ]
    )
    body = post_import(client, content, dry_run=True).json()

    assert body["warning_count"] == len(body["warnings"]) - 1  # the column is no repair
    assert body["warnings"][0] == {
        "row": None,
        "field": None,
        "code": "unknown_column",
        "value": "Opmerking",
        "normalized": "",
    }
    repaired = [w for w in body["warnings"] if w["field"] == "company_number"]
    assert repaired and repaired[0]["row"] == 2
    assert (repaired[0]["value"], repaired[0]["normalized"]) == (spaced, number)


def test_a_sheet_name_longer_than_a_worksheet_name_can_be_is_refused_and_nothing_is_kept(
    firm_a, api
):
    """A worksheet's name has at most 31 characters (100 are accepted, as on the page); a
    longer one is refused by the schema before the file is read or kept."""
    client = api(firm_a.manager)
    response = post_import(client, workbook([row(1)]), dry_run=True, sheet="x" * 101)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["errors"] == [
        {"field": "sheet", "code": "invalid", "message": "Geef hoogstens 100 tekens."}
    ]
    assert not ImportJob.objects.exists()
