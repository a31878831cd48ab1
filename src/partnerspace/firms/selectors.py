from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from partnerspace.accounts.models import User
from partnerspace.core.lookups import ReadByIds, model_columns
from partnerspace.core.tokens import token_matches, token_split
from partnerspace.firms.models import Firm, Membership, StaffInvitation


def membership_get_for_user(*, user: User | AnonymousUser, firm_slug: str) -> Membership:
    """The user's membership of the firm named in the URL; 404 when they are not in it.

    It is read with the user's other memberships, in one query: every page's firm switcher
    lists them (`user_memberships`, firms.context_processors), and a person belongs to a few
    firms, not thousands.
    """
    if not user.is_authenticated:
        raise Http404
    memberships = list(memberships_of_user(user))
    found = None
    for membership in memberships:
        membership.user = user  # the user the request already holds: no join for it
        if membership.firm.slug == firm_slug:
            found = membership
    if found is not None:
        # Kept on the instance for this request's pages; not a field of Membership.
        found.user_memberships = memberships  # type: ignore[attr-defined]  # not a field
        return found
    raise Http404


_MEMBERSHIP_COLUMNS = model_columns(Membership)
_FIRM_COLUMNS = model_columns(Firm)
# Every page reads them (the firm's door and switcher): compiled once (core.lookups).
_MEMBERSHIPS_OF_USERS = ReadByIds(
    lambda ids: (
        Membership.objects.filter(user_id__any_of=ids)
        .order_by("firm__name", "pk")
        .values_list(*_MEMBERSHIP_COLUMNS, *(f"firm__{name}" for name in _FIRM_COLUMNS))
    )
)


def memberships_of_user(user: User) -> list[Membership]:
    """The user's memberships, each with its firm, by the firms' names."""
    memberships = []
    cut = len(_MEMBERSHIP_COLUMNS)
    for row in _MEMBERSHIPS_OF_USERS.rows([user.pk]):
        membership = Membership.from_db(DEFAULT_DB_ALIAS, _MEMBERSHIP_COLUMNS, row[:cut])
        membership.firm = Firm.from_db(DEFAULT_DB_ALIAS, _FIRM_COLUMNS, row[cut:])
        memberships.append(membership)
    return memberships


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
