"""/api/v1/imports: upload a client file, follow the import, fetch its error report.

The same services as the pages: a file is checked first (nothing written), then imported;
a large file is checked or imported in the background and followed with GET.
"""

import json
from datetime import datetime
from typing import Literal

from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from partnerspace.api.schemas import Id, InputSchema, PageNumber, refusals
from partnerspace.core.errors import Conflict, FieldError, ServiceError, ValidationFailed
from partnerspace.imports import services
from partnerspace.imports.downloads import UNDER_WAY, report_response
from partnerspace.imports.forms import upload_too_large
from partnerspace.imports.models import MAX_SHEET_NAME, ImportIssue, ImportJob, ImportStatus
from partnerspace.imports.outcomes import outcome_labels
from partnerspace.imports.reading import FileProblem
from partnerspace.imports.recovery import import_stop_notice
from partnerspace.imports.selectors import import_get_for_user, imports_listed
from partnerspace.imports.undo import UndoPlan

router = Router(tags=["imports"])


# Errors listed in an answer; the report has them all.
LISTED_ERRORS = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileTooLarge(ServiceError):
    status = 413


class ImportErrorOut(Schema):
    row: int | None = Field(description="The row number as Excel shows it; null: the file.")
    field: str | None = Field(description="The column's key (see the template); null: the row.")
    code: str = Field(examples=["company_number_checksum"])
    value: str
    message: str


class ImportWarningOut(Schema):
    row: int | None = Field(description="Null for the file as a whole (an unknown column).")
    field: str | None
    code: str
    value: str
    normalized: str


class ImportColumnOut(Schema):
    header: str = Field(description="The column's header in the file.")
    samples: list[str] = Field(description="Its first non-empty values.")
    suggested: str = Field(
        description="The field suggested for it (see `mapping`); empty: not imported."
    )


class ImportOut(Schema):
    id: int
    status: ImportStatus = Field(
        description=(
            "`mapping` when the file's headers are not the template's: its `columns` say "
            "what each holds and the field we suggest; upload it again with a `mapping`. "
            "`uploaded` while a large file is being checked, `previewed` once checked (a dry "
            "run), `queued` and `running` while a large file is imported, then `done`; "
            "`refused` when the file cannot be read, `failed` on an error on our side, "
            "`interrupted` when the process running it stopped. An import `interrupted` or "
            "`failed` goes on from its last batch with POST /imports/{import_id}/resume "
            "(`resumable`); what it wrote stays, nothing is written twice."
        )
    )
    file_name: str
    mode: Literal["create", "update"]
    rows: int = Field(description="Client rows in the file (0 until it is read).")
    processed: int
    progress: int = Field(ge=0, le=100, description="Percent of the rows processed.")
    created: int = Field(description="Clients created, or that a dry run would create.")
    updated: int
    unchanged: int
    refused: int = Field(description="Rows refused: skipped, nothing of them written.")
    warning_count: int = Field(description="Values accepted in a corrected form.")
    outcome_labels: dict[str, str] = Field(
        description=(
            "The words the pages name `created`, `updated`, `unchanged`, `refused` and "
            "`warning_count` with, in the request's language: the same before and after "
            "the import."
        )
    )
    warnings: list[ImportWarningOut] = Field(
        description=(
            f"The first {LISTED_ERRORS:,} warnings: unknown columns (row null), then each value "
            "accepted in a corrected form, as given and as stored."
        )
    )
    errors: list[ImportErrorOut] = Field(
        description=f"The first {LISTED_ERRORS:,} errors; the report has them all."
    )
    sheet: str = Field(description="The worksheet read (empty for a csv file).")
    sheets: list[str] = Field(
        description="The workbook's worksheets: upload again with `sheet` to read another."
    )
    encoding: str = Field(
        description="A csv file's character set as found (utf-8, cp1252, cp850, mac_roman)."
    )
    report_url: str = Field(description="The error report: the refused rows, as .xlsx.")
    resumable: bool = Field(description="POST /imports/{import_id}/resume goes on with it.")
    mapping: dict[str, str] | None = Field(
        description="The column mapping the file was read by: {normalized header: field}."
    )
    columns: list[ImportColumnOut] | None = Field(
        None, description="With status `mapping`: the file's columns and the suggested fields."
    )


class ImportCreatedOut(ImportOut):
    dry_run: bool


def _progress(job: ImportJob) -> int:
    if job.status in {ImportStatus.PREVIEWED, ImportStatus.DONE}:
        return 100
    return min(job.percent, 100)


def _import_out(request, job: ImportJob, **extra) -> dict:
    errors = ImportIssue.objects.filter(job=job, is_error=True).order_by("row", "id")
    return {
        "id": job.pk,
        "status": job.status,
        "file_name": job.file_name,
        "mode": job.mode,
        "rows": job.rows,
        "processed": job.processed,
        "progress": _progress(job),
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "refused": job.refused,
        "warning_count": job.warning_count,
        "outcome_labels": outcome_labels(),
        "warnings": _warnings_out(job),
        "errors": [
            {
                "row": issue.row,
                "field": issue.field or None,
                "code": issue.code,
                "value": issue.value,
                "message": issue.message,
            }
            for issue in errors[:LISTED_ERRORS]
        ],
        "sheet": job.read_info.get("sheet", ""),
        "sheets": job.read_info.get("sheets", []),
        "encoding": job.read_info.get("encoding", ""),
        "report_url": request.build_absolute_uri(
            reverse("api:import_report", kwargs={"import_id": job.pk})
        ),
        "resumable": job.can_resume,
        "mapping": job.mapping,
        "columns": _columns_out(request, job),
        **extra,
    }


def _columns_out(request, job: ImportJob) -> list[dict] | None:
    if job.status != ImportStatus.MAPPING:
        return None
    try:
        columns, suggested, _again = services.import_mapping_suggest(
            membership=request.membership, job=job
        )
    except (FileProblem, ServiceError):
        return None
    return [
        {
            "header": column.header,
            "samples": list(column.samples),
            "suggested": suggested[column.header],
        }
        for column in columns
    ]


def _mapping_parse(text: str) -> dict[str, str]:
    """The `mapping` form field: a JSON object {file header: field}."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(header, str) and (field is None or isinstance(field, str))
        for header, field in value.items()
    ):
        raise ValidationFailed(
            [
                FieldError(
                    "mapping",
                    "invalid_mapping",
                    _(
                        "Give the mapping as a JSON object of the file's headers and the "
                        'fields they hold, e.g. {"Naam": "legal_name", "Notities": ""}.'
                    ),
                )
            ]
        )
    return {header: field or "" for header, field in value.items()}


def _warnings_out(job: ImportJob) -> list[dict]:
    """As `import_clients --json` prints them: the unknown columns (row null) first."""
    warnings = ImportIssue.objects.filter(job=job, is_error=False)
    return [
        {
            "row": issue.row,
            "field": issue.field or None,
            "code": issue.code,
            "value": issue.value,
            "normalized": issue.normalized,
        }
        for issue in warnings.order_by(F("row").asc(nulls_first=True), "id")[:LISTED_ERRORS]
    ]


def _importer(request):
    services.import_role_check(request.membership)
    return request.membership


@router.post(
    "/imports",
    response={
        201: ImportCreatedOut,
        202: ImportCreatedOut,
        **refusals(400, 401, 403, 409, 413, 422),
    },
    summary="Upload a client file: check it (dry run) or import it",
)
def import_create(
    request,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    mode: Form[Literal["create", "update"]] = "create",
    mapping: Form[str | None] = None,
    sheet: str = Form("", max_length=MAX_SHEET_NAME),
):
    """The file is an .xlsx (or .xls, .ods, .csv) with the template's headers, in Dutch,
    French or English. Every row is checked as a client added by hand; a refused row is
    skipped, the valid ones are imported. `mode` `create` refuses a row whose client already
    exists (`already_exists`); `update` updates that client instead. Of a workbook, the
    worksheet whose headers name the most columns is read, or the one named `sheet`
    (`sheet_not_found` lists the worksheets).

    201: finished: `previewed` (dry run), `done`, or `refused` (the file cannot be read; the
    reason is the only error). 202: the file is large (over 1,000 rows, or too large to be
    checked at once): it is checked (`uploaded`) or imported (`queued`) in the background;
    follow it with GET /imports/{import_id}. 409 `file_not_kept`: the file was no longer
    kept when its import began; upload it again. 413: over 20 MB.

    A file whose headers are not the template's answers `mapping`, with its `columns` and
    the field suggested for each. Send it again with `mapping`, a JSON object of its
    headers and the fields they hold (a key of the template, `address` for a whole
    address, `contact_name` for a whole name, or "" not to import it), e.g.
    `{"Naam": "legal_name", "Adres": "address", "Notities": ""}`; a header it leaves out
    is read by the template's headers. 422 names a header the file does not have, a field
    that does not exist, a field given twice, or a required field given to no column."""
    membership = _importer(request)
    refusal = upload_too_large(file)
    if refusal:
        raise FileTooLarge("file_too_large", refusal, field="file")
    content = file.read()
    file_name = file.name or ""  # a multipart part without a file name is no file
    kept = columns = None
    if mapping is not None:
        wanted = _mapping_parse(mapping)
        try:
            columns, read = services.file_columns(content, file_name=file_name, sheet=sheet)
        except FileProblem:
            columns = None  # the file is refused as it would be without a mapping
        if columns is not None:
            kept = services.import_mapping_check(mapping=wanted, columns=columns)
            sheet = services.mapping_sheet(sheet, read)
    job = services.import_job_create(
        membership=membership,
        file_name=file_name,
        content=content,
        mode=mode,
        source="api",
        sheet=sheet,
        language=translation.get_language(),
        mapping=kept,
    )
    if kept is not None and columns is not None:
        services.column_mapping_remember(membership=membership, columns=columns, mapping=kept)
    if job.status == ImportStatus.UPLOADED:
        if job.file_size <= services.INLINE_PREVIEW_BYTES:
            services.import_preview(job=job)
            job.refresh_from_db()
            if not dry_run and job.status == ImportStatus.PREVIEWED:
                job = services.import_start(membership=membership, job=job)
        elif dry_run:
            services.import_preview_queue(membership=membership, job=job)
        else:
            job = services.import_start(membership=membership, job=job)
    job.refresh_from_db()
    # Still being checked or imported: followed with GET /imports/{import_id}.
    status = 202 if job.status in UNDER_WAY else 201
    return Status(status, _import_out(request, job, dry_run=dry_run))


@router.get(
    "/imports/{import_id}",
    response={200: ImportOut, **refusals(401, 403, 404, 422)},
    summary="An import: its status, progress and result",
)
def import_get(request, import_id: Id):
    job = import_stop_notice(job=import_get_for_user(_importer(request), import_id))
    return _import_out(request, job)


@router.post(
    "/imports/{import_id}/resume",
    response={202: ImportOut, **refusals(401, 403, 404, 409, 422)},
    summary="Go on with an import that stopped, from its last batch",
)
def import_resume(request, import_id: Id):
    """An import `interrupted` (the process running it stopped) or `failed` goes on in the
    background from its last written batch; follow it with GET /imports/{import_id}. 409
    when it cannot go on (it did not stop, or its file is no longer kept)."""
    membership = _importer(request)
    job = import_stop_notice(job=import_get_for_user(membership, import_id))
    if not job.can_resume:
        raise Conflict(
            "not_resumable", _("This import did not stop halfway: there is nothing to continue.")
        )
    job = services.import_resume(membership=membership, job=job)
    job.refresh_from_db()
    return Status(202, _import_out(request, job))


@router.get(
    "/imports/{import_id}/report",
    response={200: None, **refusals(401, 403, 404, 409, 422)},
    url_name="import_report",
    summary="The error report: the refused rows with their errors, as .xlsx",
    openapi_extra={
        "responses": {200: {"description": "The report", "content": {XLSX: {}}}},
    },
)
def import_report(request, import_id: Id):
    """The refused rows as the file held them, each problem cell commented, and a last column
    with every message of the row. Correct the rows and upload the report itself."""
    return report_response(import_get_for_user(_importer(request), import_id))


class ImportSummaryOut(Schema):
    id: int
    status: ImportStatus
    file_name: str
    mode: Literal["create", "update"]
    source: str = Field(description="`web`, `api` or `cli`.")
    created_at: datetime
    created_by: str | None = Field(description="Who uploaded it; null once they have left.")
    rows: int
    created: int
    updated: int
    unchanged: int
    refused: int
    undone_at: datetime | None = Field(description="When the import was undone; null: never.")
    undone_by: str | None


class ImportPageOut(Schema):
    count: int
    page: int
    page_size: int
    next_page: int | None
    results: list[ImportSummaryOut]


class ImportListQuery(Schema):
    page: PageNumber = 1
    page_size: int = Field(50, ge=1, le=200)


def _person(user) -> str | None:
    return user.email if user is not None else None


@router.get(
    "/imports",
    response={200: ImportPageOut, **refusals(401, 403, 422)},
    summary="The firm's imports, newest first, page by page",
)
def import_list(request, query: Query[ImportListQuery]):
    """Every import of the firm (checks that wrote nothing too), newest first: the `id` to
    follow one (GET /imports/{import_id}) or undo it (POST /imports/{import_id}/undo)."""
    imports = imports_listed(_importer(request)).select_related("undone_by")
    imports = imports.order_by("-created_at", "-id")
    start = (query.page - 1) * query.page_size
    rows = list(imports[start : start + query.page_size + 1])
    return {
        "count": imports.count(),
        "page": query.page,
        "page_size": query.page_size,
        "next_page": query.page + 1 if len(rows) > query.page_size else None,
        "results": [
            {
                "id": job.pk,
                "status": job.status,
                "file_name": job.file_name,
                "mode": job.mode,
                "source": job.source,
                "created_at": job.created_at,
                "created_by": _person(job.created_by),
                "rows": job.rows,
                "created": job.created,
                "updated": job.updated,
                "unchanged": job.unchanged,
                "refused": job.refused,
                "undone_at": job.undone_at,
                "undone_by": _person(job.undone_by),
            }
            for job in rows[: query.page_size]
        ],
    }


class ImportUndoIn(InputSchema):
    dry_run: bool = Field(
        False, description="True: answer what the undo would do, and change nothing."
    )


class UndoClientOut(Schema):
    id: int
    name: str


class UndoRestoredOut(UndoClientOut):
    fields: list[str] = Field(description="The fields (and `contact`) given their old values.")


class UndoLeftAloneOut(UndoClientOut):
    reason: str = Field(
        examples=["edited"],
        description=(
            "`invited`, `activated`, `archived`, `peppol` (registered on Peppol), `edited` or "
            "`gone` (deleted) since the import; or the code of a refusal."
        ),
    )
    message: str


class ImportUndoOut(Schema):
    id: int
    dry_run: bool
    state: Literal["not_undone", "running", "done"] = Field(
        description=(
            "`not_undone` (a dry run, or never confirmed), `running` (confirmed: its batches "
            "are written in the background; the counts so far) or `done`."
        )
    )
    undone_at: datetime | None
    undone_by: str | None
    processed: int = Field(description="The import's clients the undo has gone through so far.")
    total: int = Field(description="The import's clients the undo goes through.")
    deleted: int = Field(description="Clients deleted (or that the undo would delete).")
    restored: int = Field(description="Clients given their values from before the import.")
    left_alone: int = Field(description="Clients changed since the import: left as they are.")
    to_delete: list[UndoClientOut] = Field(description="The first 500 of `deleted`.")
    to_restore: list[UndoRestoredOut] = Field(description="The first 500 of `restored`.")
    left_alone_clients: list[UndoLeftAloneOut] = Field(
        description="The first 500 of `left_alone`, each with its reason."
    )


def _undo_out(job: ImportJob, plan: UndoPlan | None = None) -> dict:
    """The undo of `job` as the API answers it: the dry run's `plan`, or the job's state."""
    if plan is not None:
        state, data = "not_undone", plan.as_json()
    elif job.undo_running:
        state, data = "running", UndoPlan.from_json(job.undo_progress or {}).as_json()
    elif job.undone_at is not None:
        state, data = "done", UndoPlan.from_json(job.undo_result or {}).as_json()
    else:
        state, data = "not_undone", UndoPlan().as_json()
    return {
        "id": job.pk,
        "dry_run": plan is not None,
        "state": state,
        "undone_at": job.undone_at,
        "undone_by": _person(job.undone_by),
        "processed": job.undo_processed,
        "total": job.undo_total,
        **data,
    }


@router.post(
    "/imports/{import_id}/undo",
    response={
        200: ImportUndoOut,
        202: ImportUndoOut,
        **refusals(400, 401, 403, 404, 409, 413, 422),
    },
    summary="Undo a whole import, or with dry_run see what the undo would do",
)
def import_undo(request, import_id: Id, payload: ImportUndoIn):
    """Within 30 days of the import: the clients it created that are still Draft
    and unchanged since are deleted (with their contacts, links and staff assignments), the
    clients it updated get their earlier values back, and any client changed since is left
    alone and listed with the reason. Send `dry_run` true first to see the plan (200).

    Confirmed, the undo runs in the background: 202 with its state (`running`), to follow
    with GET /imports/{import_id}/undo until `done`. Posting again for an undo whose run
    stopped on our side goes on with it (202).

    409: `already_undone` (undoing twice does nothing the second time), `undo_running`,
    `import_running`, `nothing_to_undo` (a check, or a refused file), `undo_too_late`."""
    membership = _importer(request)
    if payload.dry_run:
        plan: UndoPlan = services.import_undo_plan(membership=membership, import_id=import_id)
        return Status(200, _undo_out(import_get_for_user(membership, import_id), plan))
    job = services.import_undo_start(membership=membership, import_id=import_id)
    job = ImportJob.objects.select_related("undone_by").get(pk=job.pk)
    return Status(202, _undo_out(job))


@router.get(
    "/imports/{import_id}/undo",
    response={200: ImportUndoOut, **refusals(401, 403, 404, 422)},
    summary="How far the undo of an import got, and what it did",
)
def import_undo_state(request, import_id: Id):
    """`state`: `not_undone`, `running` (the counts so far) or `done` (what it did)."""
    job = import_get_for_user(_importer(request), import_id)
    return _undo_out(job)
