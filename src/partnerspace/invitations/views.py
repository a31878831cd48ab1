from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from partnerspace.accounts.forms import password_login_check
from partnerspace.accounts.models import email_key
from partnerspace.accounts.selectors import user_exists
from partnerspace.clients.selection import selection_back, selection_clear, selection_clients
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.configuration.selectors import template_get_for_user, templates_of_firm
from partnerspace.core.errors import Conflict, ServiceError, ValidationFailed
from partnerspace.core.forms import form_add_service_error
from partnerspace.core.middleware import visitor_address
from partnerspace.core.numbers import int_param
from partnerspace.firms.access import firm_view
from partnerspace.invitations import registration, selectors, services
from partnerspace.invitations.forms import AcceptSignupForm, InviteForm, RegisterForm
from partnerspace.invitations.models import REGISTRATION_CONFIRM_HOURS


def _client_url(request, client_id) -> str:
    return reverse("clients:detail", args=[request.firm.slug, client_id])


def _preview(request, client, message: str, contact_ids) -> services.InvitationPreview | None:
    """The mail as it will be sent; None when there is no one to send it to."""
    try:
        return services.invitation_preview(
            membership=request.membership,
            client=client,
            message=message,
            contact_ids=[pk for pk in map(int_param, contact_ids) if pk] or None,
        )
    except ValidationFailed:
        return None


@firm_view(permission="can_invite_clients")
def invite(request, client_id: int):
    """Uitnodigen: an editable message, to the primary contact unless others are chosen, and
    beside it the e-mail as the contact will receive it, redrawn as the message changes."""
    client = client_get_for_user(request.membership, client_id)
    contacts = list(client.contacts.all())
    primary = [str(c.pk) for c in contacts if c.is_primary]
    if request.method == "POST" and request.POST.get("preview"):
        preview = _preview(
            request, client, request.POST.get("message", ""), request.POST.getlist("contacts")
        )
        return render(
            request, "invitations/_mail_preview.html", {"preview": preview, "client": client}
        )
    form = InviteForm(request.POST or None, contacts=contacts, initial={"contacts": primary})
    if request.method == "POST" and form.is_valid():
        try:
            invitations = services.client_invite(
                membership=request.membership,
                client=client,
                message=form.cleaned_data["message"],
                contact_ids=[int(pk) for pk in form.cleaned_data["contacts"]] or None,
            )
        except (ServiceError, ValidationFailed) as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(emails)s.")
                % {"emails": ", ".join(i.email for i in invitations)},
            )
            return redirect(_client_url(request, client.pk) + "#invitations")
    if request.method == "POST":
        preview = _preview(
            request, client, request.POST.get("message", ""), request.POST.getlist("contacts")
        )
    else:
        preview = _preview(request, client, "", primary)
    return render(
        request, "invitations/invite.html", {"client": client, "form": form, "preview": preview}
    )


@firm_view(permission="can_invite_clients")
@require_POST
def revoke(request, invitation_id: int):
    invitation = selectors.invitation_get_for_user(request.membership, invitation_id)
    try:
        services.invitation_revoke(membership=request.membership, invitation=invitation)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect(_client_url(request, invitation.client_id) + "#invitations")


@firm_view(permission="can_invite_clients")
@require_POST
def resend(request, invitation_id: int):
    invitation = selectors.invitation_get_for_user(request.membership, invitation_id)
    try:
        new = services.invitation_resend(membership=request.membership, invitation=invitation)
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(
            request, _("A new invitation was sent to %(email)s.") % {"email": new.email}
        )
    return redirect(_client_url(request, invitation.client_id) + "#invitations")


@firm_view(permission="can_invite_clients")
@require_POST
def retry(request, invitation_id: int):
    invitation = selectors.invitation_get_for_user(request.membership, invitation_id)
    services.invitation_retry_now(membership=request.membership, invitation=invitation)
    messages.success(request, _("Trying to send the invitation again."))
    return redirect(_client_url(request, invitation.client_id) + "#invitations")


@firm_view(permission="can_invite_clients")
@require_POST
def bulk_invite(request):
    """Uitnodigingen versturen for the rows selected in the list; Active clients are skipped."""
    clients = list(selection_clients(request))
    try:
        outcome = services.clients_bulk_invite(
            membership=request.membership, clients=clients, message=request.POST.get("message", "")
        )
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        text = ngettext("%(done)d client invited.", "%(done)d clients invited.", outcome.done) % {
            "done": outcome.done
        }
        if outcome.skipped:
            text += " " + ngettext(
                "%(skipped)d skipped: it is active already.",
                "%(skipped)d skipped: they are active already.",
                outcome.skipped,
            ) % {"skipped": outcome.skipped}
        messages.success(request, text)
        selection_clear(request)
    return redirect(selection_back(request))


@firm_view(permission="can_invite_clients")
def bulk_invite_preview(request):
    """The dialog of Uitnodigingen versturen: how many invitations go out, and the e-mail of
    the first client invited, before the person confirms."""
    clients = selection_clients(request)
    bulk = services.clients_bulk_invite_preview(membership=request.membership, clients=clients)
    return render(request, "invitations/_bulk_preview.html", {"bulk": bulk})


# The invited contact's side


def accept(request, token: str):
    """The link in the e-mail: the firm that invites, the company as the firm entered it, and
    an account to make (or log in to) before accepting. Spoken in the contact's language."""
    invitation = selectors.invitation_get_by_token(token)
    if invitation is None:
        return _used(request, token)
    with translation.override(invitation.language):
        response = _accept(request, invitation)
    if response is None:  # accepted meanwhile, by a submit of a moment ago
        return _used(request, token)
    # The middleware would label the page with the visitor's interface language.
    response["Content-Language"] = invitation.language
    return response


def _used(request, token: str):
    """A link that cannot be accepted (any more). A second submit of the acceptance (a
    double click, or two at once) is answered as the first was, logged in and on to the
    company, when it comes from the account that accepted: logged in as it, or with the
    password of that account (checked under the login page's throttle). Anything else gets
    the one page of a link that no longer works, which tells nothing."""
    accepted = selectors.invitation_accepted_by_token(token)
    if accepted is None:
        return _link_no_longer_works(request)
    if _accepted_by(request, accepted):
        if request.method == "POST":
            return _welcome(request, accepted.client, accepted.firm)
        return _home()
    password = request.POST.get("password1", "") if request.method == "POST" else ""
    if password and not request.user.is_authenticated:
        user = password_login_check(request, email=accepted.email, password=password)
        if user is not None and user.pk == accepted.accepted_by_id:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return _welcome(request, accepted.client, accepted.firm)
    return _link_no_longer_works(request)


def _link_no_longer_works(request):
    # One page for every link that does not work (used, expired, withdrawn, unknown), in the
    # visitor's language: it tells nothing about the invitation behind it.
    return render(request, "invitations/invalid.html", status=404)


def _accepted_by(request, invitation) -> bool:
    return request.user.is_authenticated and request.user.pk == invitation.accepted_by_id


def _accept(request, invitation):
    user = request.user if request.user.is_authenticated else None
    context = {
        "invitation": invitation,
        "client": invitation.client,
        "firm": invitation.firm,
        "login_url": f"{reverse('accounts:login')}?next={request.path}",
        "LANGUAGE_CODE": invitation.language,
    }
    # Accounts store the address lower-cased; the firm may have typed capitals.
    if user is not None and email_key(user.email) != email_key(invitation.email):
        context["wrong_account"] = True
        return render(request, "invitations/accept.html", context)
    if user is None and user_exists(invitation.email):
        context["account_exists"] = True
        return render(request, "invitations/accept.html", context)
    form = None
    if user is None:
        form = AcceptSignupForm(
            request.POST if request.method == "POST" else None,
            email=invitation.email,
            initial={
                "first_name": invitation.contact.first_name if invitation.contact else "",
                "last_name": invitation.contact.last_name if invitation.contact else "",
            },
        )
    if request.method == "POST" and (form is None or form.is_valid()):
        account = None
        if form is not None:  # no account yet: the form makes one
            account = services.NewAccount(
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        try:
            accepted = services.invitation_accept(invitation=invitation, user=user, account=account)
        except Conflict as conflict:
            if conflict.code == "invitation_accepted":
                return None
            context["error"] = conflict.message
        else:
            if user is None:
                # Only now: a refused acceptance leaves nobody logged in.
                login(request, accepted.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return _welcome(request, accepted.client, invitation.firm)
    context["form"] = form
    return render(request, "invitations/accept.html", context)


def _welcome(request, client, firm):
    messages.success(
        request,
        _("Welcome. %(company)s is now linked to %(firm)s.")
        % {"company": client.legal_name, "firm": firm.name},
    )
    return _home()


def _home():
    return redirect("companies:home")


# Registration links


@firm_view(permission="can_manage_configuration")
def registration_links(request):
    if request.method == "POST":
        template_id = request.POST.get("template")
        # Another firm's template (or no number at all) is a 404, never "no template".
        template = template_get_for_user(request.membership, template_id) if template_id else None
        registration.registration_link_create(membership=request.membership, template=template)
        messages.success(request, _("Registration link created."))
        return redirect("invitations:registration_links", request.firm.slug)
    return render(
        request,
        "invitations/registration_links.html",
        {
            "links": selectors.registration_links_of_firm(request.firm),
            "templates": templates_of_firm(request.firm),
            "base_url": settings.PARTNERSPACE_BASE_URL,
        },
    )


@firm_view(permission="can_manage_configuration")
@require_POST
def registration_link_disable(request, registration_link_id: int):
    link = selectors.registration_link_get_for_user(request.membership, registration_link_id)
    registration.registration_link_disable(membership=request.membership, link=link)
    messages.success(request, _("Registration link switched off."))
    return redirect("invitations:registration_links", request.firm.slug)


def register(request, code: str):
    """A new company signs up through a firm's shared link. Nothing is created yet: the address
    gets a link, and following it makes the company the firm's Active client."""
    link = selectors.registration_link_by_code(code)
    if link is None:
        return render(request, "invitations/invalid.html", status=404)
    form = RegisterForm(request.POST or None, email=request.POST.get("email", ""))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pending = registration.registration_request(
                link=link,
                company={
                    "legal_name": data["legal_name"],
                    "country": data["country"],
                    "company_number": data["company_number"],
                    "vat_number": data["vat_number"],
                },
                person={
                    "first_name": data["first_name"],
                    "last_name": data["last_name"],
                    "email": data["email"],
                    "locale": data["locale"],
                },
                password=data["password1"],
                requested_from=visitor_address(request),
            )
        except (ServiceError, ValidationFailed) as error:
            form_add_service_error(form, error)
        else:
            return render(
                request,
                "invitations/register_sent.html",
                {"link": link, "email": pending.email, "hours": REGISTRATION_CONFIRM_HOURS},
            )
    return render(request, "invitations/register.html", {"link": link, "form": form})


def register_confirm(request, token: str):
    """The link in the confirmation e-mail: a GET shows what will be created, the POST creates
    it (a mail scanner that opens links must not sign anyone up). Spoken in the sign-up's
    language."""
    pending = selectors.pending_registration_get_by_token(token)
    if pending is None:
        return render(request, "invitations/register_invalid.html", status=404)
    with translation.override(pending.language):
        response = _register_confirm(request, pending)
    # The middleware would label the page with the visitor's interface language.
    response["Content-Language"] = pending.language
    return response


def _register_confirm(request, pending):
    context = {"pending": pending, "firm": pending.link.firm, "LANGUAGE_CODE": pending.language}
    if request.method == "POST":
        try:
            client, user = registration.registration_confirm(pending=pending)
        except ServiceError as refusal:
            if refusal.code == "registration_closed":  # used or closed since the GET
                return render(request, "invitations/register_invalid.html", status=404)
            context["error"] = refusal.message
        except ValidationFailed as failed:
            context["error"] = " ".join(item.message for item in failed.errors)
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(
                request,
                _("Welcome. %(company)s is now linked to %(firm)s.")
                % {"company": client.legal_name, "firm": pending.link.firm.name},
            )
            return redirect("companies:home")
    return render(request, "invitations/register_confirm.html", context)
