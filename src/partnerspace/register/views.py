"""Wijzigingen in de KBO: the open changes the register's updates flagged for the firm's
clients, each taken over or dismissed."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerspace.core.errors import NotAllowed, ServiceError, ValidationFailed
from partnerspace.core.forms import error_text
from partnerspace.core.numbers import int_param
from partnerspace.firms.access import firm_view
from partnerspace.register import services
from partnerspace.register.selectors import changes_shown, register_changes_list, register_copy

PAGE_SIZE = 50


@firm_view()
def register_changes(request):
    page = Paginator(register_changes_list(request.membership), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "register/changes.html",
        {
            "page": page,
            "changes": changes_shown(page.object_list),
            "copy": register_copy(),
        },
    )


def _act(request, change_id: int, action, done: str):
    try:
        action(membership=request.membership, change_id=change_id)
    except NotAllowed:
        raise  # a 403 page (core.middleware.ServiceRefusalMiddleware)
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, done)
    target = reverse("register:changes", args=[request.firm.slug])
    page = int_param(request.POST.get("page"))
    return redirect(f"{target}?page={page}" if page else target)


@firm_view()
@require_POST
def register_change_take(request, change_id: int):
    return _act(request, change_id, services.register_change_take, _("Taken over from the KBO."))


@firm_view()
@require_POST
def register_change_dismiss(request, change_id: int):
    return _act(
        request,
        change_id,
        services.register_change_dismiss,
        _("Dismissed: it is not flagged again."),
    )
