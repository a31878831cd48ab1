from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from partnerspace.clients.selection import selection_back, selection_clear, selection_clients
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.core.errors import ServiceError, ValidationFailed
from partnerspace.core.forms import error_text, form_add_service_error
from partnerspace.firms.access import firm_view
from partnerspace.peppol import selectors, services
from partnerspace.peppol.forms import MandateDocumentForm, PeppolSettingsForm
from partnerspace.peppol.lookup import participant_lookup
from partnerspace.peppol.models import PeppolSettings

# Settings → Peppol


def _settings_initial(settings: PeppolSettings) -> dict:
    return {
        "smp_base_url": settings.smp_base_url,
        "smp_public_url": settings.smp_public_url,
        "auth_scheme": settings.auth_scheme,
        "username": settings.username,
        "document_types": "\n".join(settings.document_types),
        "process_id": settings.process_id,
        "access_point_url": settings.access_point_url,
        "access_point_certificate": settings.access_point_certificate,
        "transport_profile": settings.transport_profile,
        "service_description": settings.service_description,
        "technical_contact": settings.technical_contact,
        "auto_register": settings.auto_register,
    }


@firm_view(permission="can_manage_configuration")
def settings_page(request):
    current = selectors.peppol_settings_of(request.firm) or PeppolSettings(firm=request.firm)
    form = PeppolSettingsForm(
        request.POST or None, initial=_settings_initial(current), has_secret=current.has_secret
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.peppol_settings_save(membership=request.membership, data=form.cleaned_data)
        except (ServiceError, ValidationFailed) as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Peppol settings saved."))
            return redirect("peppol:settings", firm_slug=request.firm.slug)
    return render(
        request,
        "peppol/settings.html",
        {
            "form": form,
            "settings": current,
            "batches": selectors.batches_of_firm(request.firm)[:10],
        },
    )


# The client page's E-invoicing section


def _read_only(request) -> HttpResponseNotAllowed | None:
    # Checked after the object is found: another firm's object answers 404 to every method.
    return None if request.method in ("GET", "HEAD") else HttpResponseNotAllowed(["GET"])


def _client_url(request, client_id) -> str:
    return reverse("clients:detail", args=[request.firm.slug, client_id]) + "#e-invoicing"


@firm_view()
def client_section(request, client_id: int):
    """The section alone: the page polls it while a registration is pending."""
    client = client_get_for_user(request.membership, client_id)
    if refused := _read_only(request):
        return refused
    return render(
        request,
        "peppol/_client_section.html",
        {"client": client, "peppol": selectors.peppol_state(client)},
    )


@firm_view()
def lookup(request, client_id: int):
    client = client_get_for_user(request.membership, client_id)
    if refused := _read_only(request):
        return refused
    return render(
        request,
        "peppol/_lookup.html",
        {"client": client, "rows": participant_lookup(client)},
    )


@firm_view(permission="can_manage_peppol")
@require_POST
def mandate(request, client_id: int):
    """Confirm the mandate (with the signed PDF, when given) or withdraw it."""
    client = client_get_for_user(request.membership, client_id)
    form = MandateDocumentForm(request.POST, request.FILES)
    try:
        if request.POST.get("action") == "withdraw":
            services.mandate_withdraw(membership=request.membership, client=client)
            messages.success(request, _("Mandate withdrawn."))
        elif not form.is_valid():
            # An unreadable upload (an empty file, say): nothing is confirmed without it.
            messages.error(request, " ".join(str(p) for p in form.errors.get("document", [])))
        else:
            services.mandate_confirm(
                membership=request.membership,
                client=client,
                document=form.cleaned_data.get("document"),
            )
            messages.success(request, _("Mandate confirmed."))
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
    return redirect(_client_url(request, client.pk))


@firm_view(permission="can_manage_peppol")
@require_POST
def document_upload(request, client_id: int):
    client = client_get_for_user(request.membership, client_id)
    form = MandateDocumentForm(request.POST, request.FILES)
    document = form.cleaned_data.get("document") if form.is_valid() else None
    if document is None:
        problems = form.errors.get("document") or [_("Choose the signed mandate (a PDF file).")]
        messages.error(request, " ".join(str(p) for p in problems))
        return redirect(_client_url(request, client.pk))
    try:
        services.mandate_document_upload(
            membership=request.membership, client=client, upload=document
        )
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Signed mandate kept with the client."))
    return redirect(_client_url(request, client.pk))


@firm_view()
def document_download(request, client_id: int, document_id: int):
    document = selectors.mandate_document_get_for_user(request.membership, client_id, document_id)
    if refused := _read_only(request):
        return refused
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@firm_view(permission="can_manage_peppol")
@require_POST
def registration(request, client_id: int):
    client = client_get_for_user(request.membership, client_id)
    try:
        services.registration_request(membership=request.membership, client=client)
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("E-invoicing is being activated."))
    return redirect(_client_url(request, client.pk))


@firm_view(permission="can_manage_peppol")
@require_POST
def deregistration(request, client_id: int):
    client = client_get_for_user(request.membership, client_id)
    try:
        services.deregistration_request(membership=request.membership, client=client)
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The client is being removed from Peppol."))
    return redirect(_client_url(request, client.pk))


# Bulk actions on the client list's selection


@firm_view(permission="can_manage_peppol")
@require_POST
def bulk_mandates(request):
    """Ondertekende mandaten bevestigen for the ticked rows."""
    try:
        outcome = services.mandates_bulk_confirm(
            membership=request.membership, clients=list(selection_clients(request))
        )
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
        return redirect(selection_back(request))
    text = ngettext(
        "Mandate confirmed for %(done)d client.",
        "Mandates confirmed for %(done)d clients.",
        outcome.done,
    ) % {"done": outcome.done}
    if outcome.skipped:
        text += " " + ngettext(
            "%(skipped)d skipped: confirmed already.",
            "%(skipped)d skipped: confirmed already.",
            outcome.skipped,
        ) % {"skipped": outcome.skipped}
    messages.success(request, text)
    selection_clear(request)
    return redirect(selection_back(request))


def skipped_text(reasons: dict) -> str:
    """'Skipped: 2 without a confirmed mandate, 1 archived.' — only the reasons that occurred."""
    labels = {
        "no_mandate": _("%(count)d without a confirmed mandate"),
        "no_enterprise_number": _("%(count)d without a Belgian enterprise number"),
        "archived": _("%(count)d archived"),
        "already": _("%(count)d registered or pending already"),
    }
    parts = [
        labels[reason] % {"count": count}
        for reason, count in reasons.items()
        if count and reason in labels
    ]
    return _("Skipped: %(reasons)s.") % {"reasons": ", ".join(parts)} if parts else ""


@firm_view(permission="can_manage_peppol")
@require_POST
def bulk_registration(request):
    """E-invoicing activeren for the ticked rows: one batch, followed on its progress page."""
    try:
        outcome = services.registration_bulk_request(
            membership=request.membership, clients=list(selection_clients(request))
        )
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
        return redirect(selection_back(request))
    text = ngettext(
        "%(done)d client queued for e-invoicing.",
        "%(done)d clients queued for e-invoicing.",
        outcome.done,
    ) % {"done": outcome.done}
    skipped = skipped_text(outcome.reasons)
    text = f"{text} {skipped}".strip()
    selection_clear(request)
    if outcome.batch is None:
        messages.warning(request, text)
        return redirect(selection_back(request))
    messages.success(request, text)
    return redirect("peppol:batch", firm_slug=request.firm.slug, batch_id=outcome.batch.pk)


@firm_view(permission="can_manage_peppol")
def batch(request, batch_id: int):
    found = selectors.batch_get_for_user(request.membership, batch_id)
    if refused := _read_only(request):
        return refused
    context = {
        "progress": selectors.batch_progress(request.membership, found),
        "skipped": skipped_text(found.skipped or {}),
    }
    if request.htmx:
        return render(request, "peppol/_batch_progress.html", context)
    return render(request, "peppol/batch.html", context)
