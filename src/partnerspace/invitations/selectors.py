from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.core.lookups import ReadByIds
from partnerspace.core.tokens import token_matches, token_split
from partnerspace.firms.models import Firm, Membership
from partnerspace.invitations.models import (
    STATE_FIELDS,
    Invitation,
    InvitationState,
    PendingRegistration,
    RegistrationLink,
    invitation_state,
)

# The rows' invitations, latest first per client (core.lookups: compiled once).
_LATEST_BY_CLIENT = ReadByIds(
    lambda ids: (
        Invitation.objects.filter(client_id__any_of=ids)
        .order_by("client_id", "-created_at", "-id")
        .values_list("client_id", *STATE_FIELDS)
    )
)


def latest_invitation_states(client_ids: Iterable[int]) -> dict[int, InvitationState]:
    """The state of each client's latest invitation, in one query (the client list's column)."""
    states: dict[int, InvitationState] = {}
    for client_id, *fields in _LATEST_BY_CLIENT.rows(client_ids):
        if client_id not in states:
            states[client_id] = invitation_state(*fields)
    return states


def invitations_of_client(client: Client) -> QuerySet[Invitation]:
    return client.invitations.select_related("invited_by", "accepted_by")


def invitation_get_for_user(membership: Membership, invitation_id: int | str) -> Invitation:
    """An invitation of a client this membership may see; 404 otherwise."""
    try:
        invitation = Invitation.objects.select_related("client").get(
            pk=int(invitation_id), firm_id=membership.firm_id
        )
    except (Invitation.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    client_get_for_user(membership, invitation.client_id)  # an unassigned accountant gets 404
    return invitation


def _invitation_by_token(raw_token: str) -> Invitation | None:
    """The invitation whose link this is, whatever its state; None for unknown or tampered."""
    parts = token_split(raw_token)
    if parts is None:
        return None
    selector, verifier = parts
    invitation = (
        Invitation.objects.select_related("firm", "client", "contact")
        .filter(token_selector=selector)
        .first()
    )
    if invitation is None or not token_matches(verifier, invitation.token_digest):
        return None
    return invitation


def invitation_get_by_token(raw_token: str) -> Invitation | None:
    """The invitation behind a link, if the link may still be used; None for unknown, used,
    withdrawn, replaced, expired or tampered links alike, so the page says nothing more."""
    invitation = _invitation_by_token(raw_token)
    if invitation is None:
        return None
    if invitation.is_closed or invitation.expires_at <= timezone.now():
        return None
    if invitation.client.status != ClientStatus.INVITED:
        # Archived by the firm (or linked meanwhile): the firm no longer offers this link.
        return None
    return invitation


def invitation_accepted_by_token(raw_token: str) -> Invitation | None:
    """The invitation behind a link that was used to accept it: its page says so to whoever
    follows the link again (a double click, the e-mail opened later)."""
    invitation = _invitation_by_token(raw_token)
    return invitation if invitation is not None and invitation.accepted_at else None


def registration_links_of_firm(firm: Firm) -> QuerySet[RegistrationLink]:
    return (
        RegistrationLink.objects.filter(firm=firm)
        .select_related("template")
        .order_by("-created_at")
    )


def registration_link_get_for_user(membership: Membership, link_id: int | str) -> RegistrationLink:
    try:
        return registration_links_of_firm(membership.firm).get(pk=int(link_id))
    except (RegistrationLink.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def registration_link_by_code(code: str) -> RegistrationLink | None:
    return (
        RegistrationLink.objects.select_related("firm", "template")
        .filter(code=code, is_active=True)
        .first()
    )


def pending_registration_get_by_token(raw_token: str) -> PendingRegistration | None:
    """The sign-up behind a confirmation link, if the link may still be used; None for unknown,
    used, replaced, expired, tampered links and switched-off registration links alike."""
    parts = token_split(raw_token)
    if parts is None:
        return None
    selector, verifier = parts
    pending = (
        PendingRegistration.objects.select_related("link__firm")
        .filter(token_selector=selector)
        .first()
    )
    if pending is None or not token_matches(verifier, pending.token_digest):
        return None
    return pending if pending.is_open else None


def invitations_waiting_and_expired(clients: QuerySet[Client]) -> dict[str, int]:
    """The open invitations of these clients: {"waiting": n, "expired": n} (Overzicht)."""
    open_invitations = Invitation.objects.filter(
        client__in=clients,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        replaced_at__isnull=True,
        failed_at__isnull=True,
    )
    now = timezone.now()
    figures: dict[str, int] = open_invitations.aggregate(
        waiting=Count("id", filter=Q(expires_at__gt=now)),
        expired=Count("id", filter=Q(expires_at__lte=now)),
    )
    return figures
