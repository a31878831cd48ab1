"""The client page's VIES section and its button, and the bulk action on the list's
selection. VIES is never called here: the worker does it."""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from partnerspace.clients.selection import selection_back, selection_clear, selection_clients
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.core.errors import NotAllowed, ServiceError
from partnerspace.firms.access import firm_view
from partnerspace.identifiers.rules import vies_parts
from partnerspace.vies import selectors, services


def section_context(client) -> dict:
    check = selectors.vat_check_of(client)
    return {
        "client": client,
        "vat_check": check,
        # A VAT number outside the EU (CHE…) is kept, but VIES cannot check it.
        "vat_checkable": vies_parts(client.vat_number) is not None,
        "vat_check_error": selectors.error_message(check.error_code) if check else "",
    }


@firm_view()
def client_section(request, client_id: int):
    """The section alone: the page polls it while a check is queued."""
    client = client_get_for_user(request.membership, client_id)
    if request.method not in ("GET", "HEAD"):
        # After the look-up: another firm's client answers 404 to every method.
        return HttpResponseNotAllowed(["GET"])
    return render(request, "vies/_client_section.html", section_context(client))


@firm_view()
@require_POST
def client_check(request, client_id: int):
    client = client_get_for_user(request.membership, client_id)
    try:
        services.vat_check_request(membership=request.membership, client=client)
    except NotAllowed:
        raise  # a 403 page (core.middleware.ServiceRefusalMiddleware)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The VAT number is being checked in VIES."))
    return redirect(f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#vies")


@firm_view()
@require_POST
def bulk_check(request):
    """Check the VAT numbers of the ticked rows in VIES."""
    clients = list(selection_clients(request).only("pk", "firm_id", "vat_number"))
    back = selection_back(request)
    try:
        outcome = services.vat_checks_bulk_request(membership=request.membership, clients=clients)
    except NotAllowed:
        raise
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(back)
    text = ngettext(
        "VAT number of %(done)d client queued for a VIES check.",
        "VAT numbers of %(done)d clients queued for a VIES check.",
        outcome.done,
    ) % {"done": outcome.done}
    if outcome.skipped:
        text += " " + ngettext(
            "%(skipped)d skipped: no EU VAT number.",
            "%(skipped)d skipped: no EU VAT number.",
            outcome.skipped,
        ) % {"skipped": outcome.skipped}
    messages.success(request, text)
    selection_clear(request)
    return redirect(back)
