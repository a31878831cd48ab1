"""Inviting clients, sending the invitation reliably, and accepting it."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from partnerspace.accounts.models import User
from partnerspace.clients.history import history_record
from partnerspace.clients.lifecycle import client_status_change
from partnerspace.clients.models import Client, ClientStatus, Contact, HistorySource
from partnerspace.companies.services import company_link_client
from partnerspace.core.bulk import BulkOutcome
from partnerspace.core.delivery import link_mail_deliver
from partnerspace.core.errors import Conflict, FieldError, ValidationFailed, require_role
from partnerspace.core.languages import interface_language
from partnerspace.core.mail import RenderedMail, mail_deliver, mail_render
from partnerspace.core.tokens import IssuedToken
from partnerspace.firms.models import Membership
from partnerspace.invitations.models import INVITATION_DAYS, Invitation

log = logging.getLogger(__name__)

MAIL_LANGUAGES = ("nl", "fr", "de", "en")


def mail_language(locale: str) -> str:
    """The language an invitation speaks: the contact's, when we write in it; else Dutch."""
    language = (locale or "").split("-")[0].lower()
    return language if language in MAIL_LANGUAGES else "nl"


INVITERS_ONLY = gettext_lazy("Only administrators and client managers invite clients.")


def _recipients(client: Client, contact_ids: Iterable[int] | None) -> list[Contact]:
    contacts = client.contacts.all()
    if contact_ids:
        wanted = {int(pk) for pk in contact_ids}
        chosen = [contact for contact in contacts if contact.pk in wanted]
        if len(chosen) != len(wanted):
            raise ValidationFailed(
                [
                    FieldError(
                        "contacts", "unknown_contact", _("Choose contact persons of this client.")
                    )
                ]
            )
        return chosen
    primary = [contact for contact in contacts if contact.is_primary]
    return primary or list(contacts)[:1]


def _invitation_for(
    membership: Membership, client: Client, contact: Contact, message: str, now: datetime
) -> Invitation:
    """The invitation of one contact, not saved: what client_invite sends and a preview shows."""
    return Invitation(
        firm=membership.firm,
        client=client,
        contact=contact,
        email=contact.email,
        recipient_name=contact.full_name,
        language=mail_language(contact.locale),
        message=(message or "").strip()[:4000],
        invited_by=membership.user,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )


def _close_open_invitations(client: Client, contacts: Sequence[Contact], now: datetime) -> None:
    """The links earlier sent to these contacts stop working; other contacts' links stay open."""
    Invitation.objects.filter(
        client=client,
        contact__in=contacts,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        replaced_at__isnull=True,
    ).update(replaced_at=now)


@transaction.atomic
def client_invite(
    *,
    membership: Membership,
    client: Client,
    message: str = "",
    contact_ids: Iterable[int] | None = None,
    source: str = HistorySource.STAFF,
) -> list[Invitation]:
    """Invite the client (its primary contact, or the chosen ones): Draft or Archived → Invited."""
    require_role(membership.can_invite_clients, INVITERS_ONLY)
    client = get_object_or_404(
        Client.objects.select_for_update(), pk=client.pk, firm=membership.firm
    )
    if client.status == ClientStatus.ACTIVE:
        raise Conflict(
            "already_active",
            _("%(client)s is active already: its company is linked to your firm.")
            % {"client": client},
        )
    contacts = _recipients(client, contact_ids)
    if not contacts:
        raise ValidationFailed(
            [FieldError("contacts", "required", _("Add a contact person to invite first."))]
        )
    now = timezone.now()
    _close_open_invitations(client, contacts, now)
    invitations = []
    for contact in contacts:
        invitation = _invitation_for(membership, client, contact, message, now)
        invitation.save()
        invitations.append(invitation)
    client_status_change(
        client=client, status=ClientStatus.INVITED, actor=membership.user, source=source
    )
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="invited",
        changes=[{"field": "invitation", "old": None, "new": i.email} for i in invitations],
    )
    _send_after_commit([invitation.pk for invitation in invitations])
    return invitations


def _send_after_commit(invitation_ids: Sequence[int]) -> None:
    from partnerspace.invitations.tasks import deliver_invitation

    def enqueue() -> None:
        for pk in invitation_ids:
            deliver_invitation.enqueue(pk)

    transaction.on_commit(enqueue)


@transaction.atomic
def invitation_resend(*, membership: Membership, invitation: Invitation) -> Invitation:
    """A new invitation to the same person, with a new link; the old link stops working."""
    contact_ids = [invitation.contact_id] if invitation.contact_id else None
    # Closed by its own id: its contact may be gone, and the resend then goes to the primary.
    Invitation.objects.filter(
        pk=invitation.pk, firm=membership.firm, accepted_at__isnull=True, replaced_at__isnull=True
    ).update(replaced_at=timezone.now())
    return client_invite(
        membership=membership,
        client=invitation.client,
        message=invitation.message,
        contact_ids=contact_ids,
    )[0]


@transaction.atomic
def invitation_revoke(
    *, membership: Membership, invitation: Invitation, source: str = HistorySource.STAFF
) -> None:
    """Withdraw the invitation; a client with no other open invitation goes back to Draft."""
    require_role(membership.can_invite_clients, INVITERS_ONLY)
    invitation = get_object_or_404(
        Invitation.objects.select_for_update(), pk=invitation.pk, firm=membership.firm
    )
    if invitation.accepted_at:
        raise Conflict("already_accepted", _("This invitation was accepted already."))
    if invitation.revoked_at:
        return
    now = timezone.now()
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    client = get_object_or_404(Client.objects.select_for_update(), pk=invitation.client_id)
    still_open = Invitation.objects.filter(Invitation.pending_now(), client=client).exists()
    if client.status == ClientStatus.INVITED and not still_open:
        client_status_change(
            client=client,
            status=ClientStatus.DRAFT,
            actor=membership.user,
            source=source,
            action="invitation_revoked",
        )


@transaction.atomic
def clients_bulk_invite(
    *, membership: Membership, clients: Iterable[Client], message: str = ""
) -> BulkOutcome:
    """Invite every selected client that is not Active yet; the Active ones are skipped."""
    require_role(membership.can_invite_clients, INVITERS_ONLY)
    outcome = BulkOutcome()
    for client in clients:
        if client.status == ClientStatus.ACTIVE:
            outcome.skipped += 1
            continue
        client_invite(membership=membership, client=client, message=message)
        outcome.done += 1
    return outcome


INVITATION_MAIL = "invitations/email/invitation"
# The token of a previewed mail's link: no link exists before the mail is sent.
PREVIEW_LINK = "preview"


def invitation_mail(*, invitation: Invitation, token: str) -> RenderedMail:
    """The invitation's e-mail in the contact's language: the one rendering of the mail that
    is sent (invitation_deliver) and of the mail a person sees before sending it."""
    return mail_render(
        template=INVITATION_MAIL,
        # The e-mail's <html lang>: rendered outside a request, it has no other source.
        context={"invitation": invitation, "token": token, "LANGUAGE_CODE": invitation.language},
        language=invitation.language,
    )


@dataclass(frozen=True)
class InvitationPreview:
    """The mail the first recipient will receive, and everyone it goes to."""

    mail: RenderedMail
    recipients: list[Contact]


def invitation_preview(
    *,
    membership: Membership,
    client: Client,
    message: str = "",
    contact_ids: Iterable[int] | None = None,
) -> InvitationPreview:
    """The e-mail client_invite would send (to the first of its recipients), rendered as it
    will be sent; nothing is saved. Its link is a placeholder: the real one is made when the
    mail goes out."""
    require_role(membership.can_invite_clients, INVITERS_ONLY)
    contacts = _recipients(client, contact_ids)
    if not contacts:
        raise ValidationFailed(
            [FieldError("contacts", "required", _("Add a contact person to invite first."))]
        )
    invitation = _invitation_for(membership, client, contacts[0], message, timezone.now())
    mail = invitation_mail(invitation=invitation, token=PREVIEW_LINK)
    link = settings.PARTNERSPACE_BASE_URL + reverse("invitation_accept", args=[PREVIEW_LINK])
    with translation.override(invitation.language):
        placeholder = pgettext("mail preview", "[the personal link, made when the mail is sent]")
    mail = replace(mail, text=mail.text.replace(link, placeholder))
    return InvitationPreview(mail=mail, recipients=contacts)


@dataclass(frozen=True)
class BulkInvitationPreview:
    """What Uitnodigingen versturen will send: the mail of the first client it invites."""

    preview: InvitationPreview | None
    client: Client | None
    sending: int
    skipped: int


def clients_bulk_invite_preview(
    *, membership: Membership, clients: Iterable[Client]
) -> BulkInvitationPreview:
    """What clients_bulk_invite would do with these clients: how many it invites (the Active
    ones are skipped), and the mail of the first it invites. Nothing is saved."""
    require_role(membership.can_invite_clients, INVITERS_ONLY)
    chosen = list(clients)
    invited = [client for client in chosen if client.status != ClientStatus.ACTIVE]
    skipped = len(chosen) - len(invited)
    for client in invited:
        try:
            preview = invitation_preview(membership=membership, client=client)
        except ValidationFailed:  # no contact person: that client's own invite says so
            continue
        return BulkInvitationPreview(preview, client, len(invited), skipped)
    return BulkInvitationPreview(None, None, len(invited), skipped)


def invitation_deliver(*, invitation_id: int) -> str:
    """Send one invitation, at most once; on failure, schedule the next attempt with back-off."""
    sendable = Invitation.objects.select_related("firm", "client", "invited_by").filter(
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        replaced_at__isnull=True,
        failed_at__isnull=True,
    )

    def send(invitation: Invitation, token: IssuedToken) -> None:
        mail_deliver(
            to=invitation.email, mail=invitation_mail(invitation=invitation, token=token.raw)
        )

    from partnerspace.invitations.tasks import deliver_invitation

    return link_mail_deliver(
        sendable=sendable, pk=invitation_id, send=send, task=deliver_invitation
    )


@transaction.atomic
def invitation_retry_now(*, membership: Membership, invitation: Invitation) -> None:
    """Try a failed invitation again at once (after the administrator fixed the address)."""
    require_role(membership.can_invite_clients, INVITERS_ONLY)
    invitation = get_object_or_404(
        Invitation.objects.select_for_update(), pk=invitation.pk, firm=membership.firm
    )
    if invitation.sent_at or (invitation.is_closed and not invitation.failed_at):
        return
    invitation.failed_at = None
    invitation.send_attempts = 0
    invitation.next_attempt_at = None
    invitation.save(update_fields=["failed_at", "send_attempts", "next_attempt_at"])
    _send_after_commit([invitation.pk])


@dataclass(frozen=True)
class NewAccount:
    """The account an invited contact makes while accepting: made in the acceptance's own
    transaction, so that a refused acceptance leaves none behind."""

    first_name: str
    last_name: str
    password: str


@dataclass(frozen=True)
class Acceptance:
    client: Client
    user: User


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None = None, account: NewAccount | None = None
) -> Acceptance:
    """The contact accepts: the client's company is linked to the firm and the client is Active.

    `user` is the contact's account when logged in; otherwise `account` is made here. Once: a
    second submit waits for the first (the invitation's row lock; SQLite's IMMEDIATE
    transactions queue writers anyway), then finds it accepted. For the person who accepted
    it, that is the same acceptance again; for anyone else, Conflict("invitation_accepted").
    """
    invitation = get_object_or_404(Invitation.objects.select_for_update(), pk=invitation.pk)
    if invitation.accepted_at:
        if user is not None and invitation.accepted_by_id == user.pk:
            return Acceptance(client=invitation.client, user=user)
        raise Conflict("invitation_accepted", _("This invitation was accepted already."))
    # A link that exists was mailed: its token is withdrawn when a send fails.
    if not invitation.is_open or not invitation.token_digest:
        raise Conflict("invitation_closed", _("This invitation can no longer be used."))
    client = get_object_or_404(Client.objects.select_for_update(), pk=invitation.client_id)
    if client.status != ClientStatus.INVITED:
        raise Conflict("invitation_closed", _("This invitation can no longer be used."))
    if user is None:
        user = _account_create(invitation, account)
    now = timezone.now()
    company_link_client(client=client, user=user)
    client_status_change(
        client=client,
        status=ClientStatus.ACTIVE,
        actor=user,
        source=HistorySource.CLIENT,
        action="accepted",
    )
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    Invitation.objects.filter(
        client=client, accepted_at__isnull=True, revoked_at__isnull=True, replaced_at__isnull=True
    ).update(replaced_at=now)
    return Acceptance(client=client, user=user)


def _account_create(invitation: Invitation, account: NewAccount | None) -> User:
    if account is None:
        raise ValueError("invitation_accept needs the contact's user or a new account")
    try:
        with transaction.atomic():
            return User.objects.create_user(
                invitation.email,
                account.password,
                first_name=account.first_name,
                last_name=account.last_name,
                language=interface_language(invitation.language),
            )
    except IntegrityError:
        # The address got an account meanwhile (a sign-up, a staff invitation): that person
        # logs in and accepts with it.
        raise Conflict(
            "account_exists",
            _("%(email)s already has an account. Log in to accept.") % {"email": invitation.email},
        ) from None
