from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.firms.models import Firm
from partnerspace.imports.outcomes import OutcomeCount, outcome_counts


class ImportMode(models.TextChoices):
    CREATE = "create", _("Create new clients only")
    UPDATE = "update", _("Create new clients and update existing ones")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    # The file's headers are not the template's: its columns wait to be matched to fields.
    MAPPING = "mapping", _("Columns to match")
    PREVIEWED = "previewed", _("Checked, not imported")
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    REFUSED = "refused", _("File refused")
    FAILED = "failed", _("Failed")
    # The process running it stopped (its lease ran out): what was written stays written,
    # and the import can go on from its last batch.
    INTERRUPTED = "interrupted", _("Interrupted")


def _upload_path(job, filename: str) -> str:
    # The uploaded name is kept in file_name; the stored one reveals nothing and never clashes.
    return f"imports/{job.firm_id}/{timezone.now():%Y%m}/{job.token}.upload"


def _report_path(job, filename: str) -> str:
    return f"imports/{job.firm_id}/{timezone.now():%Y%m}/{job.token}-report.xlsx"


# The longest worksheet name an import keeps: the page's, the API's and the job's field.
MAX_SHEET_NAME = 100


class ImportJob(models.Model):
    """One upload and what became of it: kept with who ran it, when, the file and the result."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    token = models.CharField(max_length=32, unique=True)
    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=_upload_path, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    mode = models.CharField(max_length=8, choices=ImportMode.choices, default=ImportMode.CREATE)
    language = models.CharField(max_length=8, default="nl")
    source = models.CharField(max_length=8, default="web")  # web | api | cli
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    unknown_headers = models.JSONField(default=list, blank=True)
    # The confirmed column mapping, {normalized file header: field or ""} (imports.mapping);
    # null: the file is read by the template's headers.
    mapping = models.JSONField(null=True, blank=True)
    # The check's first clients to be created: [{"row", "name", "number", "city"}].
    preview_clients = models.JSONField(default=list, blank=True)
    file_error = models.JSONField(null=True, blank=True)  # {"code", "detail", "message"}
    # The worksheet the person chose to read (or the one a column mapping was made of); ""
    # lets the reader choose the one whose headers it recognises best.
    sheet = models.CharField(max_length=MAX_SHEET_NAME, blank=True)
    # What the reader found: {"sheet": the sheet read, "sheets": the workbook's worksheets,
    # "encoding": a csv file's character set}.
    read_info = models.JSONField(default=dict, blank=True)
    # The mapping step's columns of the file, as read once for the sheet chosen then:
    # {"sheet": job.sheet, "read": the worksheet read, "columns": [[header, [first values]],
    # ...]}. A large workbook
    # takes seconds to open, however few rows the step shows; forgotten with the upload.
    file_columns = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # While a process checks or imports the file, it holds the job until lease_until and
    # renews it with every batch; a job whose lease ran out was left by a process that died.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set when the import itself (not its preview) starts: its batches may be written.
    import_started_at = models.DateTimeField(null=True, blank=True)
    # Runs started so far; a run writes its batches only while it is the latest one.
    attempts = models.PositiveSmallIntegerField(default=0)
    # `attempts` when a sheet was last chosen: choosing one fences off the run before it
    # (attempts + 1) and starts the file's reading anew, so the runs that count against the
    # recovery's limits are the ones since (`runs`).
    attempts_before_sheet = models.PositiveSmallIntegerField(default=0)
    # The background task running the job (django-tasks' result id), to close it when the
    # process running it died.
    task_id = models.CharField(max_length=64, blank=True)
    # The uploaded bytes are deleted after a while (imports.retention); the record and the
    # error report of refused rows stay.
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    # The error report of the refused rows, written when the upload's bytes are deleted.
    report_file = models.FileField(upload_to=_report_path, blank=True)
    # The import undone (imports.undo): set once, in the statement that claims the undo, so
    # that a second undo, even at the same moment, finds it set and does nothing.
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the undo did, once finished: its counts and the clients it left alone, and why.
    undo_result = models.JSONField(null=True, blank=True)
    # The undo runs in the background, batch by batch (imports.undo). Each batch commits its
    # writes with how far the undo got (undo_cursor: the last history row of the import it
    # handled) and what it did so far (undo_progress), so that a run that died is taken up
    # from there (imports.recovery) and counts nothing twice.
    undo_cursor = models.BigIntegerField(default=0)
    undo_progress = models.JSONField(null=True, blank=True)
    undo_total = models.PositiveIntegerField(default=0)  # the import's history rows to handle
    undo_processed = models.PositiveIntegerField(default=0)
    # The run doing the undo holds it until undo_lease_until, renewed with every batch;
    # undo_attempts fences off a run that lost its lease.
    undo_lease_until = models.DateTimeField(null=True, blank=True)
    undo_attempts = models.PositiveSmallIntegerField(default=0)
    undo_task_id = models.CharField(max_length=64, blank=True)
    # Whether the person who confirmed the undo may give back a Peppol mandate.
    undo_may_change_mandate = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["firm", "-created_at"], name="import_firm_created"),
            models.Index(
                fields=["lease_until"],
                name="import_lease",
                condition=models.Q(lease_until__isnull=False),
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def outcome_counts(self) -> list[OutcomeCount]:
        """Its counts with the words every page names them with (imports.outcomes)."""
        return outcome_counts(self)

    @property
    def runs(self) -> int:
        """Runs started on the sheet read now (what the recovery's limits count)."""
        return self.attempts - self.attempts_before_sheet

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.rows) if self.rows else 0

    @property
    def is_finished(self) -> bool:
        return self.status in {
            ImportStatus.PREVIEWED,
            ImportStatus.DONE,
            ImportStatus.REFUSED,
            ImportStatus.FAILED,
            ImportStatus.INTERRUPTED,
        }

    @property
    def undo_running(self) -> bool:
        """The undo was confirmed and has not finished (its run may have died: see
        imports.recovery)."""
        return self.undone_at is not None and self.undo_result is None

    @property
    def undo_percent(self) -> int:
        return int(100 * self.undo_processed / self.undo_total) if self.undo_total else 0

    @property
    def can_resume(self) -> bool:
        """An import that stopped before its end (the process died, or an error on our
        side) goes on from its last batch: Doorgaan."""
        return (
            self.status in {ImportStatus.INTERRUPTED, ImportStatus.FAILED}
            and self.import_started_at is not None
            and not self.file_deleted_at
            and bool(self.file)
            and self.undone_at is None
        )


class ImportIssue(models.Model):
    """An error (the row is refused) or a warning (a value was repaired) of one import."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    is_error = models.BooleanField()
    row = models.PositiveIntegerField(null=True)  # None: the file as a whole
    field = models.CharField(max_length=40, blank=True)
    code = models.CharField(max_length=40)
    value = models.TextField(blank=True)
    normalized = models.TextField(blank=True)
    message = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "is_error", "row"], name="import_issue_job")]
        ordering = ["row", "id"]

    def __str__(self) -> str:
        return f"{self.row}:{self.field} {self.code}"


class ColumnMapping(models.Model):
    """A firm's confirmed column mapping, remembered by the file's header signature
    (imports.mapping.signature) and suggested for the next file with the same headers."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="column_mappings")
    signature = models.CharField(max_length=64)
    # {normalized file header: field or ""}
    mapping = models.JSONField(default=dict)
    headers = models.JSONField(default=list)  # the file's headers as written, for the record
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "signature"], name="import_mapping_firm_signature"
            )
        ]

    def __str__(self) -> str:
        return f"{self.firm_id}:{self.signature[:12]}"
