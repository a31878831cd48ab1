"""An import's life: upload, preview (nothing written), import (now or in the background)."""

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerspace.accounts.models import User
from partnerspace.clients.history import history_operation
from partnerspace.core.errors import Conflict, FieldError, ValidationFailed, require_role
from partnerspace.firms.models import Firm, Membership
from partnerspace.firms.services import audit_record
from partnerspace.imports.columns import header_key, normalize_header
from partnerspace.imports.isolation import job_sheet_read, read_table_isolated
from partnerspace.imports.mapping import (
    FIELDS,
    RAW_HEADERS,
    FileColumn,
    MappingProblem,
    field_label,
    mapping_normalized,
    mapping_problems,
    signature,
    suggest,
)
from partnerspace.imports.mapping import file_columns as mapping_file_columns
from partnerspace.imports.models import (
    MAX_SHEET_NAME,
    ColumnMapping,
    ImportIssue,
    ImportJob,
    ImportMode,
    ImportStatus,
)
from partnerspace.imports.pipeline import STORED_WARNINGS, Importer, Issue, Outcome, RowWarning
from partnerspace.imports.reading import (
    ENCODING_NAMES,
    LEGACY_ENCODINGS,
    MAX_FILE_BYTES,
    FileProblem,
    Sheet,
)
from partnerspace.imports.selectors import import_get_for_user
from partnerspace.imports.undo import (
    UndoPlan,
    import_operation,
    undo_plan,
    undo_refusal,
    undo_rows,
)

logger = logging.getLogger(__name__)

# Above this many rows an import runs as a background job with a progress bar.
BACKGROUND_ROWS = 1000
# A file up to this size is checked within the request (a second at most, even for a csv of
# short rows); a larger one is checked in the background like a large import: the rows are
# unknown until the file is read, and checking 100,000 rows takes 15 to 20 seconds.
INLINE_PREVIEW_BYTES = 256 * 1024


class LeaseLost(Exception):
    """Another run took this import over, its lease having run out: this run stops, and
    the batch it was writing is rolled back."""


def import_token() -> str:
    """A new import's token: its stored files' name, and its history rows' operation."""
    return secrets.token_hex(16)


def lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.PARTNERSPACE_IMPORT_LEASE_SECONDS)


def import_enqueue(job: ImportJob, *, preview: bool = False) -> None:
    """Queue the job's background run once the transaction commits, and note its task.

    The caller gives the job a lease (lease_end) as it queues it: should the enqueue be lost
    (the process dies after the commit, the queue refuses it), the job's lease runs out
    with no task waiting for it, and the workers' recovery pass queues it again
    (imports.recovery). A failed enqueue is logged, not raised: the upload stays answered."""
    from partnerspace.imports import tasks

    def enqueue() -> None:
        result = tasks.run_import.enqueue(job.pk, preview=preview)
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue, robust=True)


IMPORTERS_ONLY = gettext_lazy("Only administrators and client managers import clients.")


def import_role_check(membership: Membership) -> None:
    """Who may import, and read imports: every import service asks, and the API asks first
    (a refusal before the upload is read)."""
    require_role(membership.can_create_clients, IMPORTERS_ONLY)


@transaction.atomic
def import_job_create(
    *,
    membership: Membership,
    file_name: str,
    content: bytes,
    mode: str = ImportMode.CREATE,
    source: str = "web",
    language: str | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str = "",
) -> ImportJob:
    """Keep the upload; a file over the size limit is refused at once and not stored.
    `mapping` is a column mapping checked already (import_mapping_check), normalized;
    ``sheet`` names the worksheet to read ("": the reader chooses)."""
    import_role_check(membership)
    job = ImportJob(
        firm=membership.firm,
        created_by=membership.user,
        token=import_token(),
        file_name=(file_name or "upload")[:255],
        file_size=len(content),
        mode=mode if mode in ImportMode.values else ImportMode.CREATE,
        source=source,
        language=language or translation.get_language() or "nl",
        mapping=mapping,
        sheet=(sheet or "").strip()[:100],
    )
    if len(content) > MAX_FILE_BYTES:
        _refuse_file(job, FileProblem("file_too_large", {"limit": MAX_FILE_BYTES}))
        return job
    job.file.save(f"{job.token}.upload", ContentFile(content), save=False)
    job.save()
    return job


def _refuse_file(job: ImportJob, problem: FileProblem) -> None:
    with translation.override(job.language):
        job.file_error = {
            "code": problem.code,
            "detail": problem.detail,
            "message": problem.message(),
        }
    job.status = ImportStatus.REFUSED
    job.finished_at = timezone.now()
    job.lease_until = None
    job.save()
    ImportIssue.objects.filter(job=job).delete()
    ImportIssue.objects.create(
        job=job, is_error=True, row=None, code=problem.code, message=job.file_error["message"]
    )


def _own_headers(job: ImportJob) -> bool:
    """Whether the file has headers that are not the template's: its columns can then be
    matched. A template missing a required column is refused, naming it: no matching adds
    a column."""
    try:
        sheet = _job_raw_sheet(job)
    except (FileProblem, Conflict):
        return False
    # the mapping step offers the workbook's other sheets too
    job.read_info = read_info(sheet)
    columns = mapping_file_columns(sheet)
    _columns_keep(job, columns, sheet.sheet_name)
    return any(header_key(column.header) is None for column in columns)


def _await_mapping(job: ImportJob) -> None:
    """The file's headers are not the template's: its columns wait to be matched."""
    job.status = ImportStatus.MAPPING
    job.file_error = None
    job.lease_until = None
    job.finished_at = None
    job.import_started_at = None
    job.save()
    ImportIssue.objects.filter(job=job).delete()


def import_preview(*, job: ImportJob) -> Outcome | None:
    """Check every row as the import would, and write no client. None when the file is refused."""
    return _run(job, dry_run=True)


def import_sheet_choose(*, membership: Membership, job: ImportJob, sheet: str) -> ImportJob:
    """Read another worksheet of the file: the job is checked again from the start (the
    caller runs the check, at once or in the background, as after an upload). Only a job
    not imported yet; one whose bytes are gone cannot be read again."""
    import_role_check(membership)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk, firm=membership.firm)
        choosable = {
            ImportStatus.UPLOADED,
            ImportStatus.PREVIEWED,
            ImportStatus.REFUSED,
            ImportStatus.MAPPING,
        }
        if job.status not in choosable:
            return job
        if not job.file:
            raise Conflict(
                "file_not_kept",
                _("This file is no longer kept on our side: upload it again to import it."),
            )
        job.sheet = (sheet or "").strip()[:MAX_SHEET_NAME]
        # A check under way reads the sheet read before: it is no longer the job's latest
        # run, so its end writes nothing (_finish) over what the person chose.
        job.attempts += 1
        job.attempts_before_sheet = job.attempts
        job.lease_until = None
        if job.mapping is not None and job.sheet != job.read_info.get("sheet"):
            # The mapping names the columns of the sheet read before: another sheet's are
            # matched anew (the firm's mapping of its headers, if any, is suggested).
            job.mapping = None
        job.status = ImportStatus.UPLOADED
        job.file_error = None
        job.rows = job.processed = job.created = job.updated = job.unchanged = job.refused = 0
        job.warning_count = 0
        job.preview_clients = []
        job.finished_at = None
        job.save()
        ImportIssue.objects.filter(job=job).delete()
    return job


def import_preview_queue(*, membership: Membership, job: ImportJob) -> ImportJob:
    """Check a large file in the background (nothing written); its page follows the check.
    The job stays UPLOADED until the check makes it PREVIEWED (or REFUSED)."""
    import_role_check(membership)
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.UPLOADED).update(
        lease_until=lease_end()
    )
    import_enqueue(job, preview=True)
    return job


def import_start(*, membership: Membership, job: ImportJob) -> ImportJob:
    """Importeren: small files at once, larger ones as a background job the page follows."""
    import_role_check(membership)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk, firm=membership.firm)
        if job.status not in {ImportStatus.UPLOADED, ImportStatus.PREVIEWED}:
            return job
        if not job.file:
            raise Conflict(
                "file_not_kept",
                _("This file is no longer kept on our side: upload it again to import it."),
            )
        # A file imported without a preview has not been counted yet: its size decides.
        unread = job.status == ImportStatus.UPLOADED and not job.rows
        background = job.rows > BACKGROUND_ROWS or (unread and job.file_size > INLINE_PREVIEW_BYTES)
        job.status = ImportStatus.QUEUED if background else ImportStatus.RUNNING
        job.processed = 0
        job.import_started_at = timezone.now()
        job.lease_until = lease_end() if background else job.lease_until
        job.save(update_fields=["status", "processed", "import_started_at", "lease_until"])
        if background:
            import_enqueue(job)
    if not background:
        _run(job, dry_run=False)
        job.refresh_from_db()
    return job


def import_run(*, job_id: int, preview: bool = False) -> None:
    """The background job's body: the import, or with `preview` the check of a large file."""
    job = ImportJob.objects.select_related("firm", "created_by").get(pk=job_id)
    if preview:
        if job.status == ImportStatus.UPLOADED:
            _run(job, dry_run=True, progress=True)
        return
    if job.status not in {ImportStatus.QUEUED, ImportStatus.RUNNING}:
        return
    _run(job, dry_run=False)


def import_resume(*, membership: Membership, job: ImportJob) -> ImportJob:
    """Doorgaan: an import that stopped goes on in the background from its last batch."""
    import_role_check(membership)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk, firm=membership.firm)
        if not job.can_resume:
            return job
        job.status = ImportStatus.QUEUED
        job.lease_until = lease_end()
        job.finished_at = None
        job.save(update_fields=["status", "lease_until", "finished_at"])
        import_enqueue(job)
    return job


def _claim(job: ImportJob, *, dry_run: bool) -> int:
    """Start a run: it holds the job's lease, and is the job's latest run."""
    with transaction.atomic():
        fresh = ImportJob.objects.select_for_update().get(pk=job.pk)
        fresh.attempts += 1
        fresh.lease_until = lease_end()
        if not dry_run:
            fresh.status = ImportStatus.RUNNING
        fresh.started_at = fresh.started_at or timezone.now()
        fresh.save(update_fields=["attempts", "lease_until", "status", "started_at"])
    for name in ("attempts", "lease_until", "status", "started_at", "processed", "created",
                 "updated", "unchanged", "refused", "warning_count"):  # fmt: skip
        setattr(job, name, getattr(fresh, name))
    return fresh.attempts


def _run(job: ImportJob, *, dry_run: bool, progress: bool = False) -> Outcome | None:
    return _run_claimed(job, _claim(job, dry_run=dry_run), dry_run=dry_run, progress=progress)


def _latest(job: ImportJob, attempt: int) -> bool:
    """Whether the run of `attempt` is still the job's latest (locking the job, in the
    caller's transaction, for what it writes next)."""
    return ImportJob.objects.select_for_update().filter(pk=job.pk, attempts=attempt).exists()


def _run_claimed(job: ImportJob, attempt: int, *, dry_run: bool, progress: bool) -> Outcome | None:
    with translation.override(job.language):
        try:
            sheet = job_sheet_read(job)
        except FileProblem as problem:
            unmatched = problem.code == "missing_columns" and job.mapping is None
            own_headers = unmatched and _own_headers(job)
            with transaction.atomic():
                if not _latest(job, attempt):
                    return None  # another sheet was chosen meanwhile: its own check answers
                if own_headers:
                    _await_mapping(job)
                else:
                    _refuse_file(job, problem)
            return None
        job.rows = sheet.row_count
        job.unknown_headers = list(sheet.unknown_headers)
        job.read_info = read_info(sheet)
        job.lease_until = lease_end()
        ImportJob.objects.filter(pk=job.pk, attempts=attempt).update(
            rows=job.rows,
            unknown_headers=job.unknown_headers,
            read_info=job.read_info,
            lease_until=job.lease_until,
        )
        # An import goes on after the last batch an earlier run wrote (0: from the start).
        start = 0 if dry_run else min(job.processed, sheet.row_count)
        earlier = None
        if start:
            earlier = Outcome(
                rows=start,
                created=job.created,
                updated=job.updated,
                unchanged=job.unchanged,
                refused=job.refused,
                earlier_warnings=job.warning_count,
            )
        elif not dry_run:
            ImportIssue.objects.filter(job=job).delete()  # the preview's: the import writes its own
        importer = Importer(
            firm=job.firm,
            actor=job.created_by,
            update=job.mode == ImportMode.UPDATE,
            dry_run=dry_run,
            on_progress=_progress_writer(job, attempt) if progress and dry_run else None,
            on_batch=None if dry_run else _batch_recorder(job, attempt, earlier),
            outcome=earlier,
        )
        try:
            with history_operation(import_operation(job.token)):
                outcome = importer.run(sheet, start=start)
        except LeaseLost:
            return None
        except Exception:
            ImportJob.objects.filter(pk=job.pk, attempts=attempt).update(
                status=ImportStatus.FAILED, finished_at=timezone.now(), lease_until=None
            )
            raise
        if _finish(job, outcome, dry_run=dry_run, attempt=attempt):
            _report_keep(job, sheet, attempt=attempt)
    return outcome


def read_info(sheet: Sheet) -> dict[str, object]:
    """What the preview shows of how the file was read: the sheet and the workbook's other
    worksheets, or a csv file's character set."""
    return {
        "sheet": sheet.sheet_name,
        "sheets": list(sheet.sheet_names),
        "encoding": sheet.encoding,
        "encoding_name": ENCODING_NAMES.get(sheet.encoding, sheet.encoding),
        # found by the detector rather than known from the file: worth a look
        "detected": sheet.encoding in LEGACY_ENCODINGS,
    }


def _report_keep(job: ImportJob, sheet: Sheet, *, attempt: int | None = None) -> None:
    """The error report of the check or import that just ended, written now from the rows
    in memory when it refused rows, in place of an earlier run's: the upload is never read
    again for it (imports.retention deletes the bytes, keeping this file)."""
    from partnerspace.imports.report import error_report_bytes, job_errors

    earlier = job.report_file.name if job.report_file else ""
    if job.refused:
        content = error_report_bytes(sheet=sheet, errors=job_errors(job), language=job.language)
        job.report_file.save(f"{job.token}-report.xlsx", ContentFile(content), save=False)
    else:
        job.report_file = ""
    latest = ImportJob.objects.filter(pk=job.pk)
    if attempt is not None:
        latest = latest.filter(attempts=attempt)
    if not latest.update(report_file=job.report_file.name or ""):
        earlier = job.report_file.name  # another run took the job over: ours is not kept
    if earlier and earlier != job.report_file.name:
        job.report_file.storage.delete(earlier)


def _progress_writer(job: ImportJob, attempt: int) -> Callable[[int, Outcome], None]:
    """A background check's progress, and its lease renewed."""

    def write(processed: int, outcome: Outcome) -> None:
        # Outside any transaction: the page polling the job sees it move.
        ImportJob.objects.filter(pk=job.pk, attempts=attempt).update(
            processed=processed, created=outcome.created, lease_until=lease_end()
        )

    return write


def _batch_recorder(
    job: ImportJob, attempt: int, earlier: Outcome | None
) -> Callable[[int, Outcome], None]:
    """What an import records with each batch, in the batch's own transaction: how far it
    got and its counts (where it goes on after a stop), the batch's errors and warnings,
    and its lease renewed. A run that is no longer the job's latest writes nothing."""
    written = {"errors": 0, "warnings": 0}
    stored = min(earlier.earlier_warnings if earlier else 0, STORED_WARNINGS)

    def record(processed: int, outcome: Outcome) -> None:
        nonlocal stored
        taken = ImportJob.objects.filter(pk=job.pk, attempts=attempt).update(
            processed=processed,
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            refused=outcome.refused,
            warning_count=outcome.warning_count,
            lease_until=lease_end(),
        )
        if not taken:
            raise LeaseLost
        errors = outcome.errors[written["errors"] :]
        warnings = outcome.warnings[written["warnings"] :][: max(STORED_WARNINGS - stored, 0)]
        written["errors"] = len(outcome.errors)
        written["warnings"] = len(outcome.warnings)
        stored += len(warnings)
        ImportIssue.objects.bulk_create(
            [_error_issue(job, issue) for issue in errors]
            + [_warning_issue(job, warning) for warning in warnings],
            batch_size=2000,
        )

    return record


def _error_issue(job: ImportJob, issue: Issue) -> ImportIssue:
    return ImportIssue(
        job=job,
        is_error=True,
        row=issue.row,
        field=issue.field or "",
        code=issue.code,
        value=issue.value,
        message=issue.message,
    )


def _warning_issue(job: ImportJob, warning: RowWarning) -> ImportIssue:
    issue = warning.as_issue()
    return ImportIssue(
        job=job,
        is_error=False,
        row=issue.row,
        field=issue.field or "",
        code=issue.code,
        value=issue.value,
        normalized=issue.normalized,
        message=issue.message,
    )


def _unknown_column_issues(job: ImportJob, outcome: Outcome) -> list[ImportIssue]:
    return [
        ImportIssue(
            job=job,
            is_error=False,
            row=None,
            code="unknown_column",
            value=header,
            message=_("Column %(header)s is not one of the template's: it was ignored.")
            % {"header": header},
        )
        for header in outcome.unknown_headers
    ]


@transaction.atomic
def _finish(job: ImportJob, outcome: Outcome, *, dry_run: bool, attempt: int | None = None) -> bool:
    """The job's result. An import's errors and warnings were written with its batches; a
    check's (and an import recorded from the command line, `attempt` None) are written here.
    False when another run took the job over, and nothing was written."""
    if attempt is not None and not _latest(job, attempt):
        return False
    job.status = ImportStatus.PREVIEWED if dry_run else ImportStatus.DONE
    job.processed = outcome.rows
    job.created = outcome.created
    job.updated = outcome.updated
    job.unchanged = outcome.unchanged
    job.refused = outcome.refused
    job.warning_count = outcome.warning_count
    if dry_run:
        job.preview_clients = outcome.to_create
    job.finished_at = timezone.now()
    job.lease_until = None
    job.save()
    issues = _unknown_column_issues(job, outcome)
    if dry_run or attempt is None:
        ImportIssue.objects.filter(job=job).delete()
        issues = [_error_issue(job, issue) for issue in outcome.errors] + issues
        issues += [_warning_issue(job, w) for w in outcome.warnings[:STORED_WARNINGS]]
    ImportIssue.objects.bulk_create(issues, batch_size=2000)
    return True


@transaction.atomic
def import_job_record(
    *,
    firm: Firm,
    actor: User | None = None,
    file_name: str,
    content: bytes,
    mode: str = ImportMode.CREATE,
    language: str = "nl",
    source: str = "cli",
    dry_run: bool = False,
    outcome: Outcome | None = None,
    sheet: Sheet | None = None,
    problem: FileProblem | None = None,
    started_at: datetime | None = None,
    sheet_name: str = "",
    token: str | None = None,
    mapping: dict[str, str] | None = None,
) -> ImportJob:
    """Keep the record of an import that ran outside the pages (the command line): the file,
    who ran it, the counts, every issue and the error report, as an import from the page
    leaves them. Give the `outcome` of the run and the `sheet` it read, or the `problem`
    that refused the file; and the `token` (import_token) the run's history rows carry
    (import_operation), for the import to be undone."""
    job = ImportJob(
        firm=firm,
        created_by=actor,
        token=token or import_token(),
        file_name=(file_name or "upload")[:255],
        file_size=len(content),
        mode=mode if mode in ImportMode.values else ImportMode.CREATE,
        source=source,
        language=language,
        started_at=started_at or timezone.now(),
        mapping=mapping,
        sheet=sheet_name[:100],
    )
    if len(content) <= MAX_FILE_BYTES:
        job.file.save(f"{job.token}.upload", ContentFile(content), save=False)
    if problem is not None or outcome is None:
        _refuse_file(job, problem or FileProblem("unreadable_file", {"reason": "corrupt"}))
    else:
        job.rows = outcome.rows
        job.unknown_headers = list(outcome.unknown_headers)
        if sheet is not None:
            job.read_info = read_info(sheet)
        if not dry_run:
            job.import_started_at = job.started_at
        with translation.override(job.language):
            _finish(job, outcome, dry_run=dry_run, attempt=None)
        if sheet is not None:
            _report_keep(job, sheet)
    return job


def import_undo_plan(*, membership: Membership, import_id: int | str) -> UndoPlan:
    """What undoing a whole import of the membership's firm (404 for another firm's) would
    do; nothing is written. Bounded: the first LISTED clients of each list, and counts.
    Who may import may undo."""
    import_role_check(membership)
    job = import_get_for_user(membership, import_id)
    return import_undo_run(job=job, actor=membership.user, dry_run=True)


def import_undo_start(*, membership: Membership, import_id: int | str) -> ImportJob:
    """Confirm the undo of a whole import of the membership's firm: claimed now, done in
    the background batch by batch (its page follows it). An undo whose run died, not yet
    taken up by the recovery pass, is queued again (a retry); one still running is refused."""
    import_role_check(membership)
    job = import_get_for_user(membership, import_id)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.undo_running:
            if not undo_stalled(locked):
                raise Conflict("undo_running", _("This import is being undone already."))
            undo_enqueue(locked)
            return locked
        locked = _undo_claim(
            job, actor=membership.user, may_change_mandate=membership.can_manage_peppol
        )
        undo_enqueue(locked)
    return locked


def undo_stalled(job: ImportJob, now: datetime | None = None) -> bool:
    """An undo confirmed and unfinished whose run holds it no more: its process died."""
    now = now or timezone.now()
    return job.undo_running and (job.undo_lease_until is None or job.undo_lease_until < now)


def undo_enqueue(job: ImportJob) -> None:
    """Queue the undo's background run once the transaction commits, with a lease: should
    the enqueue be lost, the lease runs out and the recovery pass queues it again."""
    from partnerspace.imports import tasks

    ImportJob.objects.filter(pk=job.pk).update(undo_lease_until=lease_end())

    def enqueue() -> None:
        result = tasks.run_import_undo.enqueue(job.pk)
        ImportJob.objects.filter(pk=job.pk).update(undo_task_id=str(result.id))

    transaction.on_commit(enqueue, robust=True)


def _undo_claim(job: ImportJob, *, actor: User | None, may_change_mandate: bool) -> ImportJob:
    """Claim the undo in the caller's transaction: refused (Conflict) when already undone,
    still running, with nothing written, or more than UNDO_DAYS old. The claim is one
    conditional statement (undone_at set where it was not): of two undos at once, one
    claims it, the other is refused and does nothing."""
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    refusal = undo_refusal(locked)
    if refusal is not None:
        raise refusal
    claimed = ImportJob.objects.filter(pk=job.pk, undone_at__isnull=True).update(
        undone_at=timezone.now(),
        undone_by=actor,
        undo_may_change_mandate=may_change_mandate,
        undo_total=undo_rows(job).count(),
        undo_processed=0,
        undo_cursor=0,
        undo_progress=None,
        undo_lease_until=lease_end(),
    )
    if not claimed:
        raise Conflict("already_undone", _("This import was undone already."))
    locked.refresh_from_db()
    return locked


def import_undo_run(
    *, job: ImportJob, actor: User | None, dry_run: bool, may_change_mandate: bool = True
) -> UndoPlan:
    """The undo of an import already found, in this process (the command line's door: no
    role to check), or with `dry_run` what it would do. Refused as import_undo_start is."""
    refusal = undo_refusal(job)
    if refusal is not None:
        raise refusal
    if dry_run:
        return undo_plan(job, write=False, actor=actor)
    with transaction.atomic():
        _undo_claim(job, actor=actor, may_change_mandate=may_change_mandate)
    plan = import_undo_continue(job_id=job.pk)
    job.refresh_from_db()
    if plan is None:  # another run took it over: it records the result
        return UndoPlan.from_json(job.undo_result or job.undo_progress or {})
    return plan


def import_undo_continue(*, job_id: int) -> UndoPlan | None:
    """The undo's run (the background task's body, or the command line's): from the last
    batch an earlier run wrote to the end, then the result and a line in the audit log.

    Each batch commits with the job's cursor and counts, so a run that dies loses at most
    the batch it was writing, which the next run writes again. None when there is nothing
    to do (finished already), or when another run took the undo over."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("firm", "undone_by")
            .get(pk=job_id)
        )
        if not job.undo_running:
            return None
        job.undo_attempts += 1
        job.undo_lease_until = lease_end()
        job.save(update_fields=["undo_attempts", "undo_lease_until"])
    attempt = job.undo_attempts
    processed = job.undo_processed

    def record(cursor: int, handled: int, plan: UndoPlan) -> None:
        nonlocal processed
        processed += handled
        taken = ImportJob.objects.filter(pk=job.pk, undo_attempts=attempt).update(
            undo_cursor=cursor,
            undo_processed=processed,
            undo_progress=plan.as_json(),
            undo_lease_until=lease_end(),
        )
        if not taken:
            raise LeaseLost

    try:
        with translation.override(job.language):
            plan = undo_plan(
                job,
                write=True,
                actor=job.undone_by,
                may_change_mandate=job.undo_may_change_mandate,
                after=job.undo_cursor,
                plan=UndoPlan.from_json(job.undo_progress or {}),
                on_batch=record,
            )
    except LeaseLost:
        return None
    with transaction.atomic():
        finished = ImportJob.objects.filter(
            pk=job.pk, undo_attempts=attempt, undo_result__isnull=True
        ).update(undo_result=plan.as_json(), undo_progress=None, undo_lease_until=None)
        if not finished:
            return None
        audit_record(
            firm=job.firm,
            actor=job.undone_by,
            action="import.undone",
            target=job,
            target_label=job.file_name,
            data={
                "deleted": plan.deleted,
                "restored": plan.restored,
                "left_alone": plan.left_alone,
            },
        )
    return plan


# Column mapping: a file whose headers are not the template's (imports.mapping)


def file_columns(
    content: bytes, *, file_name: str, sheet: str = ""
) -> tuple[list[FileColumn], str]:
    """The file's columns by their own headers, each with its first non-empty values, read
    apart (imports.isolation), of the worksheet named ``sheet`` or the one the reader
    chooses; and the name of the worksheet read ("" for a csv file), which an import given a
    mapping of these columns must read (mapping_sheet). Raises FileProblem for a file that
    cannot be read."""
    table = read_table_isolated(
        content, filename=file_name, headers=RAW_HEADERS, sheet=sheet or None
    )
    return mapping_file_columns(table), table.sheet_name or ""


def mapping_sheet(chosen: str, read: str) -> str:
    """The worksheet an import with a column mapping reads: the one chosen, else the one the
    mapped columns were read from. Left to the reader, a read by the mapping could choose
    another sheet (the one with the most headers it knows, the template's among them) than
    the sheet whose columns the person matched."""
    if chosen or len(read) > MAX_SHEET_NAME:
        return chosen
    return read


def _job_raw_sheet(job: ImportJob) -> Sheet:
    """The job's file read by its own headers (the mapping step's read), of the sheet the
    person chose or the one the reader chooses."""
    _file_kept_check(job)
    with job.file.open("rb") as handle:
        return read_table_isolated(
            handle.read(), filename=job.file_name, headers=RAW_HEADERS, sheet=job.sheet or None
        )


def _file_kept_check(job: ImportJob) -> None:
    if not job.file:
        raise Conflict(
            "file_not_kept",
            _("This file is no longer kept on our side: upload it again to import it."),
        )


def _job_columns(job: ImportJob) -> list[FileColumn]:
    """The file's columns for the mapping step: read once for the sheet chosen, then kept
    on the job (ImportJob.file_columns)."""
    _file_kept_check(job)
    kept = job.file_columns
    if kept and kept.get("sheet") == job.sheet:
        return [FileColumn(header, tuple(samples)) for header, samples in kept["columns"]]
    table = _job_raw_sheet(job)
    columns = mapping_file_columns(table)
    _columns_keep(job, columns, table.sheet_name)
    return columns


def _columns_keep(job: ImportJob, columns: list[FileColumn], read: str | None) -> None:
    job.file_columns = {
        "sheet": job.sheet,
        "read": read or "",  # the worksheet they were read from (mapping_sheet)
        "columns": [[column.header, list(column.samples)] for column in columns],
    }
    # Not on a job whose upload was forgotten meanwhile (imports.retention): its first values
    # go with its bytes.
    ImportJob.objects.filter(pk=job.pk, file_deleted_at__isnull=True).exclude(file="").update(
        file_columns=job.file_columns
    )


def _remembered(firm: Firm, columns: list[FileColumn]) -> dict[str, str] | None:
    found = ColumnMapping.objects.filter(
        firm=firm, signature=signature(column.header for column in columns)
    ).first()
    return dict(found.mapping) if found is not None else None


def import_mapping_suggest(
    *, membership: Membership, job: ImportJob
) -> tuple[list[FileColumn], dict[str, str], bool]:
    """The file's columns, a field suggested for each, and whether the suggestion is the
    firm's own mapping remembered from an earlier file with these headers. A file that
    cannot be read is refused (its job too), raising FileProblem."""
    import_role_check(membership)
    try:
        columns = _job_columns(job)
    except FileProblem as problem:
        with translation.override(job.language):
            _refuse_file(job, problem)
        raise
    remembered = _remembered(membership.firm, columns)
    suggested = suggest(columns, remembered)
    again = remembered is not None and all(
        remembered.get(normalize_header(header)) == field for header, field in suggested.items()
    )
    return columns, suggested, again


def mapping_refusal(
    problems: list[MappingProblem], *, field_prefix: str = "mapping"
) -> list[FieldError]:
    """The problems of a mapping as FieldErrors, in the language of the request."""
    language = translation.get_language() or "nl"
    errors = []
    for problem in problems:
        name = field_label(problem.field, language) if problem.field in FIELDS else problem.field
        if problem.code == "unknown_header":
            message = _("The file has no column %(header)s.") % {"header": problem.header}
        elif problem.code == "unknown_field":
            message = _("%(field)s is not a field of the import. The fields are: %(fields)s.") % {
                "field": problem.field,
                "fields": ", ".join(FIELDS),
            }
        elif problem.code == "header_twice":
            message = _(
                "%(header)s has the same column name as %(other)s to the import, which reads "
                "only the first of the two: rename one of them in the file, or do not import "
                "%(header)s."
            ) % {"header": problem.header, "other": problem.holder}
        elif problem.code == "field_mapped_twice":
            message = _(
                "%(field)s is given to another column already: give each field to one column."
            ) % {"field": name}
        else:
            message = _("No column is matched to %(field)s, which every client needs.") % {
                "field": name
            }
        errors.append(
            FieldError(field_prefix, problem.code, message, problem.header or problem.field)
        )
    return errors


def import_mapping_check(
    *, mapping: dict[str, str], columns: list[FileColumn], complete: bool = False
) -> dict[str, str]:
    """The mapping as it is kept, every column named by its normalized header (a column
    the mapping leaves out by the template's headers, or not imported), or
    ValidationFailed naming every problem."""
    problems = mapping_problems(mapping, [column.header for column in columns], complete=complete)
    if problems:
        raise ValidationFailed(mapping_refusal(problems))
    named = mapping_normalized(mapping)
    for column in columns:
        named.setdefault(normalize_header(column.header), header_key(column.header) or "")
    return named


def column_mapping_remember(
    *, membership: Membership, columns: list[FileColumn], mapping: dict[str, str]
) -> ColumnMapping:
    """Keep the firm's mapping for files with these headers (one per firm and signature)."""
    key = signature(column.header for column in columns)
    values = {
        "mapping": mapping,
        "headers": [column.header for column in columns],
        "updated_by": membership.user,
        "updated_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            remembered, _created = ColumnMapping.objects.update_or_create(
                firm=membership.firm, signature=key, defaults=values
            )
    except IntegrityError:  # another upload remembered the same headers at the same moment
        ColumnMapping.objects.filter(firm=membership.firm, signature=key).update(**values)
        remembered = ColumnMapping.objects.get(firm=membership.firm, signature=key)
    return remembered


def import_mapping_confirm(
    *, membership: Membership, job: ImportJob, mapping: dict[str, str], complete: bool = True
) -> ImportJob:
    """The person's mapping of the file's columns: checked, kept on the import and
    remembered for the firm's next file with these headers. The import then waits to be
    checked again (import_check_start)."""
    import_role_check(membership)
    if job.status not in {ImportStatus.MAPPING, ImportStatus.PREVIEWED}:
        raise Conflict(
            "not_mappable", _("This import has started already: its columns cannot change.")
        )
    columns = _job_columns(job)
    read = (job.file_columns or {}).get("read", "")
    normalized = import_mapping_check(mapping=mapping, columns=columns, complete=complete)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk, firm=membership.firm)
        if job.status not in {ImportStatus.MAPPING, ImportStatus.PREVIEWED}:
            return job
        sheet = mapping_sheet(job.sheet, read)
        if sheet != job.sheet and job.file_columns:
            job.file_columns = {**job.file_columns, "sheet": sheet}
        job.sheet = sheet
        job.mapping = normalized
        job.status = ImportStatus.UPLOADED
        job.rows = job.processed = job.created = job.updated = job.unchanged = 0
        job.refused = job.warning_count = 0
        job.preview_clients = []
        job.finished_at = None
        job.save()
        ImportIssue.objects.filter(job=job).delete()
        column_mapping_remember(membership=membership, columns=columns, mapping=normalized)
    return job


def import_check_start(*, membership: Membership, job: ImportJob) -> ImportJob:
    """Check an uploaded file: a small one now, a larger one in the background."""
    import_role_check(membership)
    if job.status != ImportStatus.UPLOADED:
        return job
    if job.file_size <= INLINE_PREVIEW_BYTES:
        try:
            import_preview(job=job)
        except Exception:
            logger.exception("Checking import %s failed", job.pk)
        job.refresh_from_db()
        return job
    return import_preview_queue(membership=membership, job=job)
