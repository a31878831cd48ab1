"""Leases and Doorgaan, in one process: an import whose lease ran out is marked interrupted
when read, goes on from its last batch, is given up after repeated stops; a run that lost
its lease writes nothing. (The real kill -9 is in test_crash_recovery.)"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from partnerspace.clients.models import Client
from partnerspace.imports import recovery, services
from partnerspace.imports.models import ImportIssue, ImportJob, ImportStatus
from partnerspace.imports.pipeline import Importer
from tests.imports.test_api import post_import
from tests.imports.test_views import (  # noqa: F401 (a fixture)
    BAD_NUMBER,
    row,
    uploads_in_tmp,
    workbook,
)

pytestmark = pytest.mark.django_db


def _stopped_after_first_batch(firm_a, api, monkeypatch, django_capture_on_commit_callbacks):
    """A background import of 5 rows in batches of 2, whose process 'dies' after the
    first batch (the run raises where a kill would stop it); its lease then runs out."""
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 1)
    monkeypatch.setitem(Importer.__init__.__kwdefaults__, "batch_size", 2)
    batches = []

    def dying(self, batch, done=None):
        if not self.dry_run:
            if batches:
                raise KeyboardInterrupt  # not an Exception: nothing marks the job failed
            batches.append(batch)
        return original(self, batch, done)

    original = Importer._write
    monkeypatch.setattr(Importer, "_write", dying)
    client = api(firm_a.manager)
    rows = [row(1), row(2, company_number=BAD_NUMBER), row(3), row(4), row(5)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_id = post_import(client, workbook(rows)).json()["id"]
    with pytest.raises(KeyboardInterrupt):
        callbacks[0]()
    monkeypatch.setattr(Importer, "_write", original)
    ImportJob.objects.filter(pk=job_id).update(lease_until=timezone.now() - timedelta(seconds=1))
    return client, job_id


def test_an_import_whose_lease_ran_out_reads_as_interrupted_and_goes_on_with_doorgaan(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    client, job_id = _stopped_after_first_batch(
        firm_a, api, monkeypatch, django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get(pk=job_id)
    assert (job.status, job.processed, job.created, job.refused) == ("running", 2, 1, 1)
    assert Client.objects.count() == 1
    assert ImportIssue.objects.filter(job=job, is_error=True).count() == 1  # with its batch

    body = client.get(f"/imports/{job_id}").json()
    assert (body["status"], body["processed"], body["resumable"]) == ("interrupted", 2, True)

    with django_capture_on_commit_callbacks(execute=True):
        resumed = client.post(f"/imports/{job_id}/resume")
    assert resumed.status_code == 202
    body = client.get(f"/imports/{job_id}").json()
    assert (body["status"], body["created"], body["refused"]) == ("done", 4, 1)
    assert [e["code"] for e in body["errors"]] == ["company_number_checksum"]
    assert Client.objects.count() == 4


def test_doorgaan_on_the_job_page_resumes_it(
    firm_a, api, web, monkeypatch, django_capture_on_commit_callbacks
):
    _client, job_id = _stopped_after_first_batch(
        firm_a, api, monkeypatch, django_capture_on_commit_callbacks
    )
    page = web(firm_a.manager).get(f"/f/alfa/imports/{job_id}/")
    assert b'data-testid="import-resume"' in page.content
    assert "na 2 van de 5 rijen" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        web(firm_a.manager).post(f"/f/alfa/imports/{job_id}/resume/")
    assert ImportJob.objects.get(pk=job_id).status == ImportStatus.DONE
    assert Client.objects.count() == 4
    assert web(firm_a.accountant).post(f"/f/alfa/imports/{job_id}/resume/").status_code == 403


def test_imports_recover_resumes_then_gives_up_after_repeated_stops(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    _client, job_id = _stopped_after_first_batch(
        firm_a, api, monkeypatch, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = recovery.imports_recover()
    assert report.resumed == [job_id] and len(callbacks) == 1
    assert ImportJob.objects.get(pk=job_id).status == ImportStatus.QUEUED

    # it keeps dying: after MAX_ATTEMPTS runs it is given up, and can still go on by hand
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.RUNNING,
        attempts=recovery.MAX_ATTEMPTS,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    assert recovery.imports_recover().failed == [job_id]
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == ImportStatus.FAILED and job.can_resume
    assert recovery.imports_recover().failed == []  # done with it


def test_every_workers_recovery_pass_resumes_an_import_whose_process_died(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    """No cron needed: the pass each db_worker runs takes the imports' recovery along."""
    from partnerspace.core.recovery import recoveries_run

    _client, job_id = _stopped_after_first_batch(
        firm_a, api, monkeypatch, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        recoveries_run()
    job = ImportJob.objects.get(pk=job_id)
    assert (job.status, job.created, job.refused) == (ImportStatus.DONE, 4, 1)
    assert Client.objects.count() == 4


def test_a_run_that_lost_its_lease_writes_nothing_more(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    """A process that was only slow (its lease ran out and another run took over) must not
    write a batch beside the new run."""
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 1)
    monkeypatch.setitem(Importer.__init__.__kwdefaults__, "batch_size", 2)
    original = Importer._write

    def overtaken(self, batch, done=None):
        if not self.dry_run:
            ImportJob.objects.update(attempts=99)  # another run claimed the job meanwhile
        return original(self, batch, done)

    monkeypatch.setattr(Importer, "_write", overtaken)
    client = api(firm_a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_import(client, workbook([row(1), row(2), row(3)])).json()["id"]
    assert Client.objects.count() == 0
    assert ImportJob.objects.get(pk=job_id).processed == 0


def test_a_background_check_whose_process_died_is_checked_again_then_refused(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    content = workbook([row(1), row(2)])
    monkeypatch.setattr(services, "INLINE_PREVIEW_BYTES", len(content) - 1)
    client = api(firm_a.manager)
    with django_capture_on_commit_callbacks(execute=False):
        job_id = post_import(client, content, dry_run=True).json()["id"]
    stale = {"attempts": 1, "lease_until": timezone.now() - timedelta(seconds=1)}
    ImportJob.objects.filter(pk=job_id).update(**stale)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.get(f"/imports/{job_id}").json()["status"] == "uploaded"
    assert len(callbacks) == 1  # queued again
    ImportJob.objects.filter(pk=job_id).update(
        attempts=recovery.MAX_CHECK_ATTEMPTS, **{"lease_until": stale["lease_until"]}
    )
    body = client.get(f"/imports/{job_id}").json()
    assert body["status"] == "refused"
    assert [e["code"] for e in body["errors"]] == ["check_stopped"]


# --------------------------------------------------------------------------------------
# An import waiting in the queue
# --------------------------------------------------------------------------------------

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _queued(firm_a, api, monkeypatch, django_capture_on_commit_callbacks, *, enqueue: bool):
    """A background import, QUEUED; with `enqueue` False its task was never enqueued (the
    process died between the commit and the enqueue, or the enqueue failed)."""
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 1)
    with django_capture_on_commit_callbacks(execute=enqueue):
        job_id = post_import(api(firm_a.manager), workbook([row(1), row(2), row(3)])).json()["id"]
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == ImportStatus.QUEUED
    return job


def _lease_runs_out(job) -> None:
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))


def test_a_queued_import_whose_task_was_never_enqueued_is_queued_again(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    job = _queued(firm_a, api, monkeypatch, django_capture_on_commit_callbacks, enqueue=False)
    assert job.lease_until is not None  # the queue holds it for a while, not for ever
    assert recovery.imports_recover().requeued == []  # within its lease: left alone
    _lease_runs_out(job)

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("imports_recover", stdout=out)
    assert out.getvalue() == f"import {job.pk}: queued again\n"
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportStatus.DONE, 3)


def test_a_queued_import_whose_enqueue_failed_is_recovered(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    from types import SimpleNamespace

    from partnerspace.imports import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("the queue is down")

    working = tasks.run_import
    monkeypatch.setattr(tasks, "run_import", SimpleNamespace(enqueue=broken))
    job = _queued(firm_a, api, monkeypatch, django_capture_on_commit_callbacks, enqueue=True)
    assert not job.task_id  # the upload was answered all the same
    monkeypatch.setattr(tasks, "run_import", working)
    _lease_runs_out(job)
    with django_capture_on_commit_callbacks(execute=True):
        assert recovery.imports_recover().requeued == [job.pk]
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE


def test_a_queued_import_whose_task_waits_in_a_busy_queue_is_left_there(
    firm_a, api, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    job = _queued(firm_a, api, monkeypatch, django_capture_on_commit_callbacks, enqueue=True)
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "READY"
    _lease_runs_out(job)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert recovery.imports_recover().requeued == []
    assert callbacks == []
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED and job.lease_until > timezone.now()


def test_a_queued_import_whose_worker_died_before_claiming_it_is_queued_again(
    firm_a, api, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """The worker took the task (RUNNING) and died before the import claimed the job."""
    settings.TASKS = DATABASE_TASKS
    job = _queued(firm_a, api, monkeypatch, django_capture_on_commit_callbacks, enqueue=True)
    from django_tasks_db.models import DBTaskResult

    taken = DBTaskResult.objects.get(pk=job.task_id)
    taken.claim("dead-worker")
    lease = timedelta(seconds=settings.PARTNERSPACE_IMPORT_LEASE_SECONDS)
    DBTaskResult.objects.filter(pk=taken.pk).update(started_at=timezone.now() - lease * 2)
    _lease_runs_out(job)

    with django_capture_on_commit_callbacks(execute=True):
        assert recovery.imports_recover().requeued == [job.pk]
    taken.refresh_from_db()
    assert taken.status == "FAILED"  # the dead worker's task, closed
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED and job.task_id != str(taken.pk)
    again = DBTaskResult.objects.get(pk=job.task_id)
    assert (again.status, again.args_kwargs["args"]) == ("READY", [job.pk])


def test_a_check_that_died_after_a_sheet_was_chosen_is_checked_again_not_refused(
    firm_a, api, monkeypatch, django_capture_on_commit_callbacks
):
    """Choosing a sheet fences off the run before it (attempts + 1); that is not a run that
    stopped the process, so the new sheet's check still gets its own tries."""
    content = workbook([row(1), row(2)])
    monkeypatch.setattr(services, "INLINE_PREVIEW_BYTES", len(content) - 1)
    client = api(firm_a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_import(client, content, dry_run=True).json()["id"]
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == ImportStatus.PREVIEWED and job.attempts == 1
    services.import_sheet_choose(membership=firm_a.manager, job=job, sheet="Klanten")
    # The new sheet's check is claimed by a worker that dies while reading it.
    ImportJob.objects.filter(pk=job_id).update(
        attempts=job.attempts + 2, lease_until=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.get(f"/imports/{job_id}").json()["status"] == "uploaded"
    assert len(callbacks) == 1  # queued again, not refused
