from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerspace.accounts.selectors import user_exists
from partnerspace.clients.selectors import clients_visible_to, tab_counts
from partnerspace.core.errors import ServiceError, ValidationFailed
from partnerspace.core.forms import error_text, form_add_service_error
from partnerspace.firms import selectors, services
from partnerspace.firms.access import firm_view
from partnerspace.firms.forms import (
    FirmSettingsForm,
    JoinForm,
    MembershipRolesForm,
    StaffInviteForm,
)
from partnerspace.imports.selectors import imports_latest
from partnerspace.invitations.selectors import invitations_waiting_and_expired
from partnerspace.peppol.selectors import peppol_registered_and_failed
from partnerspace.register.selectors import register_changes_count


@login_required
def home(request):
    memberships = list(selectors.memberships_of_user(request.user))
    if len(memberships) == 1:
        return redirect("firms:overview", firm_slug=memberships[0].firm.slug)
    if not memberships and request.user.company_memberships.exists():
        # A client company's user: their own space, not a firm's.
        return redirect("companies:home")
    return render(request, "firms/choose_firm.html", {"memberships": memberships})


@firm_view()
def overview(request):
    """Overzicht, the firm's home: its figures, each linking to the list it counts. An
    accountant's figures count only their own clients. Each app counts its own; the page, a
    door on top of them all, puts them together."""
    membership = request.membership
    clients = clients_visible_to(membership)
    figures = {
        "clients": tab_counts(membership),
        "invitations": invitations_waiting_and_expired(clients),
        "mandates": clients.filter(peppol_mandate=True).count(),
        "peppol": peppol_registered_and_failed(clients),
        "imports": imports_latest(membership),
        "register_changes": register_changes_count(membership),
    }
    return render(
        request,
        "firms/overview.html",
        {
            "figures": figures,
            "clients_url": reverse("clients:list", kwargs={"firm_slug": request.firm.slug}),
        },
    )


@firm_view(permission="can_manage_staff")
def staff_list(request):
    return render(
        request,
        "firms/staff_list.html",
        {
            "staff": selectors.staff_of_firm(request.firm),
            "invitations": selectors.staff_invitations_open(request.firm),
            "roles_form": MembershipRolesForm(),
        },
    )


@firm_view(permission="can_manage_staff")
def staff_invite(request):
    form = StaffInviteForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.staff_invite(
                firm=request.firm, actor=request.user, **form.cleaned_data
            )
        except (ServiceError, ValidationFailed) as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("firms:staff", firm_slug=request.firm.slug)
    return render(request, "firms/staff_invite.html", {"form": form})


@firm_view(permission="can_manage_staff")
@require_POST
def staff_roles(request, membership_id: int):
    member = selectors.staff_get_for_user(request.membership, membership_id)
    form = MembershipRolesForm(request.POST)
    if form.is_valid():
        try:
            services.membership_roles_set(
                membership=member, actor=request.user, roles=form.cleaned_data["roles"]
            )
        except (ServiceError, ValidationFailed) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Roles of %(name)s saved.") % {"name": member.user})
    else:
        messages.error(request, _("Choose at least one role."))
    return redirect("firms:staff", firm_slug=request.firm.slug)


@firm_view(permission="can_manage_staff")
@require_POST
def staff_remove(request, membership_id: int):
    member = selectors.staff_get_for_user(request.membership, membership_id)
    try:
        services.membership_remove(membership=member, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(name)s no longer works in this firm.") % {"name": member.user}
        )
    if member.user_id == request.user.id:
        return redirect("home")
    return redirect("firms:staff", firm_slug=request.firm.slug)


@firm_view(permission="can_manage_staff")
@require_POST
def staff_invitation_revoke(request, staff_invitation_id: int):
    invitation = selectors.staff_invitation_get_for_user(request.membership, staff_invitation_id)
    services.staff_invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("firms:staff", firm_slug=request.firm.slug)


@firm_view(permission="can_manage_staff")
@require_POST
def staff_invitation_resend(request, staff_invitation_id: int):
    invitation = selectors.staff_invitation_get_for_user(request.membership, staff_invitation_id)
    services.staff_invitation_resend(invitation=invitation, actor=request.user)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    return redirect("firms:staff", firm_slug=request.firm.slug)


@firm_view(permission="can_manage_configuration")
def firm_settings(request):
    form = FirmSettingsForm(
        request.POST or None,
        initial={"name": request.firm.name, "register_digest": request.firm.register_digest},
    )
    if request.method == "POST" and form.is_valid():
        services.firm_update(
            firm=request.firm,
            actor=request.user,
            name=form.cleaned_data["name"],
            register_digest=form.cleaned_data["register_digest"],
        )
        messages.success(request, _("Settings saved."))
        return redirect("firms:settings", firm_slug=request.firm.slug)
    return render(request, "firms/settings.html", {"form": form})


def staff_join(request, token: str):
    """A colleague's invitation link: join with the account logged in, or make one here."""
    invitation = selectors.staff_invitation_get_by_token(token)
    if invitation is None:
        return render(request, "firms/join_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    context = {
        "invitation": invitation,
        "login_url": f"{reverse('accounts:login')}?next={request.path}",
        "account_exists": user is None and user_exists(invitation.email),
    }
    if context["account_exists"]:
        return render(request, "firms/join.html", context)
    form = None
    if user is None:
        form = JoinForm(
            request.POST if request.method == "POST" else None,
            initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
        )
    if request.method == "POST" and (form is None or form.is_valid()):
        if form is not None:
            form.validate_password_for(None)
        if form is None or not form.errors:
            data = form.cleaned_data if form is not None else {}
            try:
                membership = services.staff_invitation_accept(
                    invitation=invitation,
                    user=user,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    password=data.get("password1"),
                )
            except ServiceError as refusal:
                context["error"] = refusal.message
            else:
                if user is None:
                    login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
                messages.success(request, _("Welcome to %(firm)s.") % {"firm": membership.firm})
                return redirect("firms:overview", firm_slug=membership.firm.slug)
    context["form"] = form
    return render(request, "firms/join.html", context)
