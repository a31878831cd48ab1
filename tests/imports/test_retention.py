"""Uploaded files are not kept for ever: after PARTNERSPACE_IMPORT_FILE_DAYS their bytes
are deleted (by the next upload, or `partnerspace imports_cleanup`), and a firm keeps at
most PARTNERSPACE_IMPORT_FILES_PER_FIRM of them; the import's record and its error report
of refused rows stay."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from python_calamine import CalamineWorkbook

from partnerspace.imports.models import ImportJob
from tests.imports.test_views import (  # noqa: F401 (a fixture)
    BAD_NUMBER,
    last_job,
    post_file,
    row,
    uploads_in_tmp,
    url,
    workbook,
)

pytestmark = pytest.mark.django_db


def _report_cells(response) -> list[str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    return [str(value) for line in sheet for value in line]


def _import(client, people, n: int) -> ImportJob:
    post_file(client, people, workbook([row(n), row(n + 1000, company_number=BAD_NUMBER)]))
    job = last_job(people)
    client.post(url("run", people, job.pk))
    job.refresh_from_db()
    assert job.status == "done" and job.refused == 1
    return job


def test_an_upload_older_than_30_days_loses_its_bytes_but_keeps_record_and_report(
    firm_a, web, tmp_path, django_capture_on_commit_callbacks
):
    client = web(firm_a.manager)
    old = _import(client, firm_a, 1)
    stored = Path(old.file.path)
    assert stored.exists()
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    with django_capture_on_commit_callbacks(execute=True):
        _import(client, firm_a, 2)  # the next upload, anywhere, cleans up without anyone asking

    assert not stored.exists()
    old.refresh_from_db()
    assert old.file_deleted_at is not None and not old.file
    assert (old.status, old.created, old.refused) == ("done", 1, 1)
    report = client.get(url("report", firm_a, old.pk))
    assert report.status_code == 200
    assert BAD_NUMBER in _report_cells(report)  # the refused row, as the file held it


def test_imports_cleanup_deletes_expired_uploads_for_operators(firm_a, web):
    client = web(firm_a.manager)
    job = _import(client, firm_a, 1)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=31))
    out = io.StringIO()
    call_command("imports_cleanup", stdout=out)
    job.refresh_from_db()
    assert job.file_deleted_at is not None
    assert "1" in out.getvalue()


def test_a_firm_keeps_at_most_its_cap_of_uploaded_files(
    firm_a, firm_b, web, settings, django_capture_on_commit_callbacks
):
    settings.PARTNERSPACE_IMPORT_FILES_PER_FIRM = 2
    client = web(firm_a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        jobs = [_import(client, firm_a, n) for n in (1, 3, 5)]
        other = _import(web(firm_b.manager), firm_b, 7)
    kept = [j.pk for j in ImportJob.objects.filter(firm=firm_a.firm).exclude(file="")]
    assert sorted(kept) == sorted(j.pk for j in jobs[1:])  # the oldest went first
    assert ImportJob.objects.get(pk=jobs[0].pk).file_deleted_at is not None
    assert ImportJob.objects.get(pk=other.pk).file  # another firm's are its own


def test_a_checked_file_whose_bytes_are_gone_asks_to_be_uploaded_again(firm_a, web):
    from partnerspace.imports.retention import upload_forget

    client = web(firm_a.manager)
    post_file(client, firm_a, workbook([row(1)]))
    job = last_job(firm_a)
    assert job.status == "previewed"
    upload_forget(job)
    response = client.post(url("run", firm_a, job.pk), follow=True)
    job.refresh_from_db()
    assert job.status == "previewed"
    assert "upload" in response.content.decode().lower() or "opnieuw" in response.content.decode()
