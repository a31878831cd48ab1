"""Klanten importeren: upload, preview, import, and the history of a firm's imports.

Every page reads its job from the database through `import_get_for_user`, so a person can
leave a running import and come back to it; nothing lives in the session.
"""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from partnerspace.core.errors import ServiceError, ValidationFailed
from partnerspace.firms.access import firm_view
from partnerspace.imports import reading, services
from partnerspace.imports.columns import COLUMN_BY_KEY, COLUMNS, normalize_header
from partnerspace.imports.forms import ImportSheetForm, ImportUploadForm
from partnerspace.imports.mapping import (
    FIELDS,
    NOT_IMPORTED,
    field_label,
    mapping_problems,
)
from partnerspace.imports.models import ImportIssue, ImportJob, ImportStatus
from partnerspace.imports.outcomes import outcome_labels
from partnerspace.imports.pipeline import STORED_WARNINGS
from partnerspace.imports.recovery import import_stop_notice
from partnerspace.imports.selectors import import_get_for_user, imports_listed
from partnerspace.imports.undo import UndoPlan, undo_deadline, undo_refusal

logger = logging.getLogger(__name__)

# Errors listed on a page; the error report holds them all.
SHOWN_ERRORS = 1000
HISTORY_PAGE_SIZE = 50
# The statuses whose page is the preview; the others are followed on the job page.
PREVIEW_STATUSES = {
    ImportStatus.UPLOADED,
    ImportStatus.MAPPING,
    ImportStatus.PREVIEWED,
    ImportStatus.REFUSED,
}
IMPORT_STATUSES = {
    ImportStatus.QUEUED,
    ImportStatus.RUNNING,
    ImportStatus.DONE,
    ImportStatus.INTERRUPTED,
}


def _go(request, url: str):
    # A polling request must not swap a whole page into its fragment: let htmx navigate.
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _url(request, name: str, job: ImportJob) -> str:
    return reverse(f"imports:{name}", args=[request.firm.slug, job.pk])


@firm_view(permission="can_create_clients")
def import_upload(request):
    """The three steps: download the template, fill it in, upload it for a preview."""
    membership = request.membership
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST, request.FILES) if posted else ImportUploadForm()
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        job = services.import_job_create(
            membership=membership,
            file_name=upload.name,
            content=upload.read(),
            mode=form.cleaned_data["mode"],
            source="web",
            language=get_language(),
            sheet=form.cleaned_data["sheet"],
        )
        job = services.import_check_start(membership=membership, job=job)
        if job.status == ImportStatus.REFUSED:
            message = job.file_error["message"]  # type: ignore[index]  # set when REFUSED
            form.add_error("file", message)
        elif job.status == ImportStatus.MAPPING:
            return redirect(_url(request, "mapping", job))
        else:
            return redirect(_url(request, "preview", job))
    language = get_language() or "nl"
    context = {
        "form": form,
        "columns": [
            {"label": c.label(language), "hint": c.hint(language), "required": c.required}
            for c in COLUMNS
        ],
        "recent": imports_listed(request.membership)[:5],
        "outcome_labels": outcome_labels(),
    }
    return render(request, "imports/upload.html", context)


@firm_view(permission="can_create_clients")
@require_POST
def import_sheet(request, import_id: int):
    """Read another sheet of the file: checked again, then its preview (or its columns
    matched first)."""
    job = import_get_for_user(request.membership, import_id)
    form = ImportSheetForm(request.POST)
    if form.is_valid():
        try:
            job = services.import_sheet_choose(
                membership=request.membership, job=job, sheet=form.cleaned_data["sheet"]
            )
        except ServiceError as refusal:
            messages.error(request, refusal.message)
            return redirect(_url(request, "preview", job))
        job = services.import_check_start(membership=request.membership, job=job)
        if job.status == ImportStatus.MAPPING:
            # another sheet whose headers are not the template's: its columns are matched
            return redirect(_url(request, "mapping", job))
    return redirect(_url(request, "preview", job))


def _issue_rows(issues, language: str) -> list[dict]:
    return [
        {
            "row": issue.row,
            # The header as the person knows it, without the * that marks it required.
            "column": COLUMN_BY_KEY[issue.field].label(language).rstrip(" *")
            if issue.field in COLUMN_BY_KEY
            else issue.field,
            "value": issue.value,
            "normalized": issue.normalized,
            "message": issue.message,
            "code": issue.code,
        }
        for issue in issues
    ]


def _summary(job: ImportJob) -> dict:
    """What the preview and the job page show of the job's issues, from the database."""
    language = get_language() or "nl"
    issues = ImportIssue.objects.filter(job=job)
    errors = issues.filter(is_error=True, row__isnull=False).order_by("row", "id")
    warnings = issues.filter(is_error=False).exclude(code="unknown_column").order_by("row", "id")
    return {
        "errors": _issue_rows(errors[:SHOWN_ERRORS], language),
        "error_count": errors.count(),
        "shown_errors": SHOWN_ERRORS,
        "warnings": _issue_rows(warnings[:STORED_WARNINGS], language),
        "shown_warnings": STORED_WARNINGS,
    }


@firm_view(permission="can_create_clients")
def import_preview(request, import_id: int):
    """What the import would do, row by row; nothing is written yet."""
    job = import_stop_notice(job=import_get_for_user(request.membership, import_id))
    if job.status in IMPORT_STATUSES:
        return _go(request, _url(request, "job", job))
    if job.status == ImportStatus.MAPPING:
        return _go(request, _url(request, "mapping", job))
    context = {"job": job}
    if job.status == ImportStatus.PREVIEWED:
        context.update(_summary(job))
    if request.htmx:
        return render(request, "imports/_preview.html", context)
    return render(request, "imports/preview.html", context)


@firm_view(permission="can_create_clients")
def import_mapping(request, import_id: int):
    """Kolommen: each column of a file whose headers are not the template's, with a few of
    its values and the field suggested for it; the person confirms or changes each one."""
    job = import_get_for_user(request.membership, import_id)
    if job.status not in {ImportStatus.MAPPING, ImportStatus.PREVIEWED}:
        return redirect(_url(request, "job" if job.status in IMPORT_STATUSES else "preview", job))
    try:
        columns, suggested, remembered = services.import_mapping_suggest(
            membership=request.membership, job=job
        )
    except reading.FileProblem:
        return redirect(_url(request, "preview", job))  # the refusal is shown there
    except ServiceError as refusal:
        messages.error(request, refusal.message)
        return redirect(reverse("imports:upload", args=[request.firm.slug]))
    if job.status == ImportStatus.PREVIEWED and job.mapping:
        # the mapping the preview was made with, to change it
        suggested = {
            column.header: job.mapping.get(normalize_header(column.header), NOT_IMPORTED)
            for column in columns
        }
    chosen = suggested
    errors: list = []
    status = 200
    if request.method == "POST":
        chosen = {
            column.header: request.POST.get(f"column-{index}", NOT_IMPORTED)
            for index, column in enumerate(columns)
        }
        try:
            job = services.import_mapping_confirm(
                membership=request.membership, job=job, mapping=chosen
            )
        except ValidationFailed as failed:
            errors = failed.errors
            status = 422
        else:
            services.import_check_start(membership=request.membership, job=job)
            return redirect(_url(request, "preview", job))
    language = get_language() or "nl"
    problems = mapping_problems(chosen, [column.header for column in columns], complete=True)
    missing = [
        field_label(problem.field, language)
        for problem in problems
        if problem.code == "required_unmapped"
    ]
    # Beside each select: the columns given a field (or a part of it) another column has.
    twice = {
        header
        for problem in problems
        if errors and problem.code == "field_mapped_twice"
        for header in (problem.header, problem.holder)
    }
    context = {
        "job": job,
        "columns": [
            {
                "index": index,
                "header": column.header,
                "samples": column.samples,
                "selected": chosen.get(column.header, NOT_IMPORTED),
                "twice": column.header in twice,
            }
            for index, column in enumerate(columns)
        ],
        "fields": [(key, field_label(key, language)) for key in FIELDS],
        "missing": missing,
        "errors": [error for error in errors if error.code != "required_unmapped"],
        "remembered": remembered,
    }
    return render(request, "imports/mapping.html", context, status=status)


@firm_view(permission="can_create_clients")
@require_POST
def import_run(request, import_id: int):
    """Importeren: the valid rows of a previewed file; large files go to the background."""
    job = import_get_for_user(request.membership, import_id)
    if job.status != ImportStatus.PREVIEWED:
        return redirect(_url(request, "job" if job.status in IMPORT_STATUSES else "preview", job))
    try:
        job = services.import_start(membership=request.membership, job=job)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
        return redirect(_url(request, "preview", job))
    except Exception:
        # The job is marked failed in the database; its page says so.
        logger.exception("Import %s failed", job.pk)
    return redirect(_url(request, "job", job))


@firm_view(permission="can_create_clients")
@require_POST
def import_resume(request, import_id: int):
    """Doorgaan: an import that stopped goes on from its last batch, in the background."""
    job = import_get_for_user(request.membership, import_id)
    services.import_resume(membership=request.membership, job=job)
    return redirect(_url(request, "job", job))


@firm_view(permission="can_create_clients")
def import_job(request, import_id: int):
    """An import's progress while it runs, and its result; polled every second until done."""
    job = import_stop_notice(job=import_get_for_user(request.membership, import_id))
    if job.status in PREVIEW_STATUSES:
        return _go(request, _url(request, "preview", job))
    context = {"job": job}
    if job.is_finished:
        context.update(_summary(job))
        context.update(_undo_context(job))
    if request.htmx:
        return render(request, "imports/_job.html", context)
    return render(request, "imports/job.html", context)


def _undo_context(job: ImportJob) -> dict:
    """The job page's word on undoing: under way (how far), done (when, by whom, what), or
    the way to do it."""
    if job.undo_running:
        return {"undo_stalled": services.undo_stalled(job)}
    if job.undone_at is not None:
        return {"undo": UndoPlan.from_json(job.undo_result or {})}
    wrote = job.created or job.updated
    return {"undoable": bool(wrote) and undo_refusal(job) is None, "undo_until": undo_deadline(job)}


@firm_view(permission="can_create_clients")
def import_undo(request, import_id: int):
    """Undo the import: first what it will do (nothing changed), then, posted, started in
    the background; the import's page follows it."""
    job = import_get_for_user(request.membership, import_id)
    if request.method == "POST":
        try:
            services.import_undo_start(membership=request.membership, import_id=job.pk)
        except ServiceError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("The undo has started. This page shows how far it got."))
        return redirect(_url(request, "job", job))
    context: dict = {"job": job}
    try:
        context["plan"] = services.import_undo_plan(membership=request.membership, import_id=job.pk)
    except ServiceError as refusal:
        context["refusal"] = refusal.message
    return render(request, "imports/undo.html", context)


@firm_view(permission="can_create_clients")
def import_history(request):
    """Every import of the firm: who ran it, when, which file, and what came of it."""
    jobs = imports_listed(request.membership)
    page = Paginator(jobs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "imports/history.html", {"page": page, "outcome_labels": outcome_labels()}
    )
