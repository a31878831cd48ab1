"""Uploaded files are kept for a while, not for ever.

An upload's bytes are deleted PARTNERSPACE_IMPORT_FILE_DAYS (30) days after it was
uploaded, and a firm keeps the bytes of at most PARTNERSPACE_IMPORT_FILES_PER_FIRM (200)
uploads, the oldest going first. The import's record stays (who, when, which file, the
counts, every error and warning), and so does its error report of refused rows: it is
written once, from the file, just before the bytes go. A file a process is still checking
or importing is never deleted.

Nothing needs a person: every upload cleans up (its own firm's cap, and a bounded share of
the expired uploads of every firm); `partnerspace imports_cleanup` does all of it at once,
for an operator or cron.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from partnerspace.imports.models import ImportJob, ImportStatus

# Statuses whose file a process may still read.
_IN_USE = (ImportStatus.UPLOADED, ImportStatus.QUEUED, ImportStatus.RUNNING)
# Expired uploads an upload deletes on its way (the command takes them all).
SWEEP_PER_UPLOAD = 20


def _kept():
    return ImportJob.objects.exclude(file="").exclude(status__in=_IN_USE)


def upload_forget(job: ImportJob) -> None:
    """Delete the job's uploaded bytes; keep its record, and its error report if rows were
    refused (written now, while the file can still be read)."""
    from partnerspace.imports.report import job_error_report

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not job.file or job.status in _IN_USE:
            return
        if job.issues.filter(is_error=True).exists() and not job.report_file:
            content = job_error_report(job=job)
            job.report_file.save(f"{job.token}-report.xlsx", ContentFile(content), save=False)
        storage, name = job.file.storage, job.file.name
        job.file = ""
        job.file_deleted_at = timezone.now()
        job.save(update_fields=["file", "report_file", "file_deleted_at"])
        # The bytes go once the record says so; a failed transaction keeps them.
        transaction.on_commit(lambda: storage.delete(name))


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


def uploads_clean_after_upload(*, firm_id: int) -> None:
    """What every upload does: its firm's cap, and some of the expired uploads of all."""
    uploads_cap(firm_id=firm_id)
    uploads_expire(limit=SWEEP_PER_UPLOAD)
