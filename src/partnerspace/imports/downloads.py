"""The import's three downloads: the template, the export of the clients, an error report.

Wired in imports/urls.py as imports:template, imports:export and imports:report. Only
people who may import (administrators and client managers) download them: the export holds
every client of the firm, and a report holds the rows of a file someone uploaded.
"""

from dataclasses import replace

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from partnerspace.clients.models import Client
from partnerspace.clients.selectors import client_ids_matching, list_filters_from
from partnerspace.core.errors import Conflict
from partnerspace.firms.access import firm_view
from partnerspace.firms.services import audit_record
from partnerspace.imports.export import export_workbook
from partnerspace.imports.models import ImportStatus
from partnerspace.imports.report import job_error_report
from partnerspace.imports.selectors import import_get_for_user
from partnerspace.imports.template_xlsx import template_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # The firm's data: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response


@firm_view(permission="can_create_clients")
@require_safe
def template_download(request):
    """Download sjabloon: the template with headers in the person's language."""
    content = template_workbook(firm=request.firm, language=request.LANGUAGE_CODE)
    return _xlsx(content, _("client-import-template") + ".xlsx")


@firm_view(permission="can_create_clients")
@require_safe
def export_download(request):
    """Exporteren: the clients the list's filters keep (its query string: search, template,
    staff, mandate, status and the other apps' filters such as VIES, the register, Peppol),
    in the template's columns; every client of the firm when none is chosen. Both tabs: the
    list's tab is where one looks, not a filter."""
    filters = replace(list_filters_from(request.GET), tab="all")
    clients = Client.objects.filter(pk__in=client_ids_matching(request.membership, filters))
    content = export_workbook(firm=request.firm, language=request.LANGUAGE_CODE, clients=clients)
    audit_record(
        firm=request.firm,
        actor=request.user,
        action="clients.exported",
        data={"clients": clients.filter(firm=request.firm).count()},
    )
    stamp = timezone.localdate().isoformat()
    name = _("clients")  # outside the f-string, where makemessages can find it
    return _xlsx(content, f"{name}-{request.firm.slug}-{stamp}.xlsx")


@firm_view(permission="can_create_clients")
def report_download(request, import_id: int):
    """The refused rows of one of the firm's imports; any other import is 404."""
    job = import_get_for_user(request.membership, import_id)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        return report_response(job)
    except Conflict as refusal:
        messages.info(request, refusal.message)
        return redirect(reverse("imports:job", args=[request.firm.slug, job.pk]))


# A file being checked or imported: its report is not whole yet.
UNDER_WAY = frozenset({ImportStatus.UPLOADED, ImportStatus.QUEUED, ImportStatus.RUNNING})


def report_response(job) -> HttpResponse:
    """The error report as a download (the page and the API answer with the same file);
    Conflict (import_not_finished) while the import is under way."""
    if job.status in UNDER_WAY:
        raise Conflict(
            "import_not_finished",
            _("This import is not finished yet; ask for its report once it is."),
        )
    stem = job.file_name.rsplit(".", 1)[0] or "import"
    suffix = _("refused rows")  # outside the f-string, where makemessages can find it
    return _xlsx(job_error_report(job=job), f"{stem} - {suffix}.xlsx")
