from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from partnerspace.core.tokens import token_matches, token_split
from partnerspace.firms.models import Firm, Membership, StaffInvitation


def membership_get_for_user(*, user, firm_slug: str) -> Membership:
    """The user's membership of the firm named in the URL; 404 when they are not in it."""
    if not user.is_authenticated:
        raise Http404
    try:
        return Membership.objects.select_related("firm", "user").get(
            user=user, firm__slug=firm_slug
        )
    except Membership.DoesNotExist:
        raise Http404 from None


def memberships_of_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("firm").order_by("firm__name")


def staff_of_firm(firm: Firm) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(firm=firm)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def staff_get_for_user(membership: Membership, membership_id: int) -> Membership:
    """A colleague's membership, seen from `membership`; 404 for anyone outside its firm."""
    try:
        return staff_of_firm(membership.firm).get(pk=membership_id)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def staff_invitations_open(firm: Firm) -> QuerySet[StaffInvitation]:
    return StaffInvitation.objects.filter(
        firm=firm, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")


def staff_invitation_get_for_user(membership: Membership, invitation_id: int) -> StaffInvitation:
    try:
        return staff_invitations_open(membership.firm).get(pk=invitation_id)
    except (StaffInvitation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def staff_invitation_get_by_token(raw_token: str) -> StaffInvitation | None:
    """The open invitation this link belongs to, or None (unknown, used, revoked or expired)."""
    parts = token_split(raw_token)
    if parts is None:
        return None
    selector, verifier = parts
    invitation = (
        StaffInvitation.objects.select_related("firm")
        .filter(token_selector=selector, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None or not token_matches(verifier, invitation.token_digest):
        return None
    if invitation.expires_at <= timezone.now():
        return None
    return invitation


def firm_overview(membership: Membership) -> dict:
    """The firm's home in figures, each the size of a list it links to: clients per status,
    invitations waiting and expired, Peppol readiness, the latest imports. An accountant's
    figures count only their own clients."""
    from django.db.models import Count, Q

    from partnerspace.clients.selectors import clients_visible_to, tab_counts
    from partnerspace.imports.models import ImportJob
    from partnerspace.invitations.models import Invitation
    from partnerspace.peppol.models import ClientPeppol

    now = timezone.now()
    clients = clients_visible_to(membership)
    open_invitations = Invitation.objects.filter(
        client__in=clients,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        replaced_at__isnull=True,
        failed_at__isnull=True,
    )
    invitations = open_invitations.aggregate(
        waiting=Count("id", filter=Q(expires_at__gt=now)),
        expired=Count("id", filter=Q(expires_at__lte=now)),
    )
    peppol = ClientPeppol.objects.filter(client__in=clients).aggregate(
        registered=Count("id", filter=Q(status="registered")),
        failed=Count("id", filter=Q(status="failed")),
    )
    imports = []
    if membership.can_create_clients:
        imports = list(
            ImportJob.objects.filter(firm_id=membership.firm_id).order_by("-created_at")[:5]
        )
    return {
        "clients": tab_counts(membership),
        "invitations": invitations,
        "mandates": clients.filter(peppol_mandate=True).count(),
        "peppol": peppol,
        "imports": imports,
    }
