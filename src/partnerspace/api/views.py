"""The user's own API tokens in a firm, under their account: list, create, revoke."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerspace.api import selectors, services
from partnerspace.api.forms import ApiTokenForm
from partnerspace.core.errors import ValidationFailed
from partnerspace.core.forms import form_add_service_error
from partnerspace.firms.access import firm_view


@firm_view()
def token_list(request):
    """Every role may hold tokens: a token does what its owner's roles allow, no more."""
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(
                membership=request.membership,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
            )
        except ValidationFailed as refused:
            form_add_service_error(form, refused)
        else:
            form = ApiTokenForm()
    context = {
        "tokens": selectors.api_tokens_of_membership(request.membership),
        "form": form,
        # The secret, in this answer only: it is kept nowhere but as a hash.
        "created": created,
    }
    template = "api/_tokens.html" if request.htmx else "api/tokens.html"
    return render(request, template, context)


@firm_view()
@require_POST
def token_revoke(request, token_id: int):
    token = selectors.api_token_get_for_user(request.membership, token_id)
    services.api_token_revoke(membership=request.membership, token=token)
    messages.success(
        request, _("The token “%(name)s” was revoked: it no longer works.") % {"name": token}
    )
    return redirect("tokens:list", firm_slug=request.firm.slug)
