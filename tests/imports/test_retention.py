"""Uploaded files are not kept for ever: after PARTNERSPACE_IMPORT_FILE_DAYS their bytes
are deleted (by the workers' recovery pass, or `partnerspace imports_cleanup`), and a firm
keeps at most PARTNERSPACE_IMPORT_FILES_PER_FIRM of them; the import's record and its error
report of refused rows (written when the check or import ends) stay. Deleting never reads
an upload again."""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from python_calamine import CalamineWorkbook

from partnerspace.core.recovery import recoveries_run
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
from tests.processes import ROOT, process_database

from .builders import amplified_xlsx
from .test_memory_ceiling import LIMIT, _hole

pytestmark = pytest.mark.django_db
__all__ = ["process_database"]  # the fixture, used by name


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
        recoveries_run()  # every worker's recovery pass cleans up without anyone asking

    assert not stored.exists()
    old.refresh_from_db()
    assert old.file_deleted_at is not None and not old.file
    assert (old.status, old.created, old.refused) == ("done", 1, 1)
    report = client.get(url("report", firm_a, old.pk))
    assert report.status_code == 200
    assert BAD_NUMBER in _report_cells(report)  # the refused row, as the file held it


def test_the_report_of_refused_rows_is_written_when_the_check_or_the_import_ends(firm_a, web):
    client = web(firm_a.manager)
    post_file(client, firm_a, workbook([row(1), row(2, company_number=BAD_NUMBER)]))
    job = last_job(firm_a)
    assert job.status == "previewed" and job.refused == 1
    assert BAD_NUMBER in _report_cells_of(job.report_file.read())
    checked = job.report_file.name

    client.post(url("run", firm_a, job.pk))
    job.refresh_from_db()
    assert job.status == "done" and job.refused == 1
    assert BAD_NUMBER in _report_cells_of(job.report_file.read())
    assert job.report_file.name != checked  # the import's own, in place of the check's
    assert not job.report_file.storage.exists(checked)

    post_file(client, firm_a, workbook([row(3)]))
    clean = last_job(firm_a)
    client.post(url("run", firm_a, clean.pk))
    clean.refresh_from_db()
    assert clean.status == "done" and not clean.report_file  # no refused row, no report


def test_the_sweep_runs_in_the_workers_recovery_pass_not_in_a_request(
    firm_a, firm_b, web, django_capture_on_commit_callbacks
):
    old = _import(web(firm_b.manager), firm_b, 1)
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        _import(web(firm_a.manager), firm_a, 2)  # an upload, its check and its import
    assert ImportJob.objects.get(pk=old.pk).file  # no request swept

    with django_capture_on_commit_callbacks(execute=True):
        recoveries_run()
    assert not ImportJob.objects.get(pk=old.pk).file


def test_a_refused_upload_is_forgotten_without_being_read_again(firm_a, monkeypatch):
    from partnerspace.imports import isolation, reading, services
    from partnerspace.imports.report import job_error_report
    from partnerspace.imports.retention import upload_forget

    job = services.import_job_create(
        membership=firm_a.manager, file_name="k.xlsx", content=b"PK\x03\x04kapot"
    )
    services.import_preview(job=job)
    job.refresh_from_db()
    assert job.status == "refused"

    def never(*args, **kwargs):
        raise AssertionError("a refused upload was read again")

    monkeypatch.setattr(reading, "read_table", never)
    monkeypatch.setattr(isolation, "read_table_isolated", never)
    assert job.file_error["message"] in str(_report_cells_of(job_error_report(job=job)))
    upload_forget(job)
    job.refresh_from_db()
    assert not job.file and not job.report_file


def _report_cells_of(content: bytes) -> list[str]:
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    return [str(value) for line in sheet for value in line]


SWEEP_SETUP = """
from datetime import timedelta
from django.utils import timezone
from partnerspace.firms.models import Firm
from partnerspace.imports import services
from partnerspace.imports.models import ImportJob
firm = Firm.objects.get(slug=sys.argv[1])
job = services.import_job_create(
    membership=firm.memberships.get(), file_name="k.xlsx", content=open(sys.argv[2], "rb").read()
)
services.import_preview(job=job)
job.refresh_from_db()
assert job.status == "refused", job.status
ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=31))
print(job.pk)
"""
SWEEP = """
from django.core.management import call_command
call_command("imports_cleanup")
"""


def test_an_old_refused_hostile_upload_does_not_stop_the_sweep(process_database, tmp_path):
    """A file refused because reading it would take gigabytes, kept 31 days: deleting it
    must not read it. Here the reader's bounds are opened (as a hole in them would), so a
    sweep that read it again would die of it."""
    slug = process_database.firm()
    hostile = tmp_path / "klanten.xlsx"
    hostile.write_bytes(amplified_xlsx(100_000, 30_000))
    made = process_database.python(SWEEP_SETUP, slug, str(hostile), limit_bytes=LIMIT)
    assert made.returncode == 0, made.stderr[-2000:]
    pk = int(made.stdout.split()[-1])

    swept = process_database.python(
        SWEEP, limit_bytes=LIMIT, PYTHONPATH=os.pathsep.join([_hole(tmp_path), str(ROOT)])
    )
    assert swept.returncode == 0, (swept.returncode, swept.stderr[-2000:])
    [(file, deleted)] = process_database.query(
        "SELECT file, file_deleted_at FROM imports_importjob WHERE id = %s", pk
    )
    assert file == "" and deleted is not None


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
    jobs = [_import(client, firm_a, n) for n in (1, 3, 5)]
    other = _import(web(firm_b.manager), firm_b, 7)
    with django_capture_on_commit_callbacks(execute=True):
        recoveries_run()
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
