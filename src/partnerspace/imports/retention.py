"""Uploaded files are kept for a while, not for ever.

An upload's bytes are deleted PARTNERSPACE_IMPORT_FILE_DAYS (30) days after it was
uploaded, and a firm keeps the bytes of at most PARTNERSPACE_IMPORT_FILES_PER_FIRM (200)
uploads, the oldest going first. The import's record stays (who, when, which file, the
counts, every error and warning), and so does its error report of refused rows, written
when the check or import ended (services). A file a process is still checking or importing
is never deleted, and deleting one never reads it.

Nothing needs a person: every worker's recovery pass (core.recovery) sweeps a bounded share
of it; `partnerspace imports_cleanup` does all of it at once, for an operator or cron. No
request sweeps: a request does its own work only.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from partnerspace.imports.models import ImportJob, ImportStatus

# Statuses whose file a process may still read.
_IN_USE = (ImportStatus.UPLOADED, ImportStatus.QUEUED, ImportStatus.RUNNING)
# Uploads a recovery pass forgets at most (the command takes them all).
SWEEP_PER_PASS = 200


def _kept():
    return ImportJob.objects.exclude(file="").exclude(status__in=_IN_USE)


def upload_forget(job: ImportJob) -> None:
    """Delete the job's uploaded bytes; keep its record and its error report."""
    content = _report_not_yet_written(job)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        name = job.file.name
        if not name or job.status in _IN_USE:
            return
        if content is not None and not job.report_file:
            job.report_file.save(f"{job.token}-report.xlsx", ContentFile(content), save=False)
        storage = job.file.storage
        job.file = ""
        job.file_columns = None  # their first values are the upload's
        job.file_deleted_at = timezone.now()
        job.save(update_fields=["file", "file_columns", "report_file", "file_deleted_at"])
        # The bytes go once the record says so; a failed transaction keeps them.
        transaction.on_commit(lambda: storage.delete(name))


def _report_not_yet_written(job: ImportJob) -> bytes | None:
    """The report of a job that refused rows but ended before reports were written at the
    end of a run (an older installation's): made now, from the upload read apart
    (imports.isolation). None for any other job: a refused file is never read again."""
    from partnerspace.imports.report import job_error_report

    if job.report_file or not job.file or not job.refused or job.status == ImportStatus.REFUSED:
        return None
    return job_error_report(job=job)


def uploads_expire(*, now=None, limit: int | None = None) -> int:
    """Forget the uploads older than the retention period; how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PARTNERSPACE_IMPORT_FILE_DAYS)
    expired = _kept().filter(created_at__lt=cutoff).order_by("created_at", "id")
    ids = list(
        expired.values_list("pk", flat=True)[:limit]
        if limit
        else expired.values_list("pk", flat=True)
    )
    for job in ImportJob.objects.filter(pk__in=ids):
        upload_forget(job)
    return len(ids)


def uploads_cap(*, firm_id: int) -> int:
    """Forget the firm's oldest uploads beyond its cap; how many."""
    cap = settings.PARTNERSPACE_IMPORT_FILES_PER_FIRM
    kept = _kept().filter(firm_id=firm_id).order_by("-created_at", "-id")
    in_use = ImportJob.objects.filter(firm_id=firm_id, status__in=_IN_USE).exclude(file="")
    room = max(cap - in_use.count(), 0)
    beyond = list(kept.values_list("pk", flat=True)[room:])
    for job in ImportJob.objects.filter(pk__in=beyond):
        upload_forget(job)
    return len(beyond)


def uploads_sweep(*, limit: int | None = SWEEP_PER_PASS) -> tuple[int, int]:
    """The expired uploads (at most ``limit``, None for all), then every firm's beyond its
    cap; how many of each. Run by every worker's recovery pass and by imports_cleanup."""
    expired = uploads_expire(limit=limit)
    crowded = (
        ImportJob.objects.exclude(file="")
        .values("firm_id")
        .annotate(uploads=Count("id"))
        .filter(uploads__gt=settings.PARTNERSPACE_IMPORT_FILES_PER_FIRM)
        .values_list("firm_id", flat=True)
    )
    beyond = sum(uploads_cap(firm_id=firm_id) for firm_id in list(crowded))
    return expired, beyond
