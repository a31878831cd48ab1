import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partnerspace.accounts.models import User, email_key
from partnerspace.core.delivery import link_mail_send_once
from partnerspace.core.errors import Conflict, FieldError, ServiceError, ValidationFailed
from partnerspace.core.mail import mail_send
from partnerspace.core.tokens import IssuedToken
from partnerspace.firms import events
from partnerspace.firms.models import AuditEvent, Firm, Membership, StaffInvitation, role_fields
from partnerspace.identifiers import rules
from partnerspace.identifiers.clean import email_clean, identifier_clean

STAFF_INVITATION_DAYS = 14


def audit_record(
    *,
    firm: Firm,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    target_label: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        firm=firm,
        actor=actor,
        actor_label=(actor.email if actor else ""),
        action=action,
        target_type=(target._meta.label_lower if target is not None else ""),
        target_id=(str(target.pk) if target is not None else ""),
        target_label=target_label or (str(target) if target is not None else ""),
        data=data or {},
    )


@dataclass(frozen=True)
class FirmCreated:
    firm: Firm
    administrator: User
    generated_password: str | None  # shown once when the command had to make one up


@transaction.atomic
def firm_create(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str | None = None,
    admin_first_name: str = "",
    admin_last_name: str = "",
    language: str = "nl",
) -> FirmCreated:
    slug = slugify(slug)
    if not slug or not name.strip():
        raise ServiceError("invalid", _("A firm needs a name and a short name (slug)."))
    if Firm.objects.filter(slug=slug).exists():
        raise Conflict(
            "already_exists", _("A firm with short name %(slug)s exists.") % {"slug": slug}
        )
    email = _email_or_refuse(admin_email)
    firm = Firm.objects.create(name=name.strip(), slug=slug)
    user = User.objects.filter(email=email).first()
    generated = None
    if user is None:
        if not admin_password:
            generated = admin_password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            email,
            admin_password,
            first_name=admin_first_name,
            last_name=admin_last_name,
            language=language,
        )
    Membership.objects.create(firm=firm, user=user, is_administrator=True)
    audit_record(firm=firm, actor=None, action="firm.created", target=firm)
    return FirmCreated(firm=firm, administrator=user, generated_password=generated)


def _email_or_refuse(raw: str) -> str:
    return email_key(email_clean(raw))


def _roles_or_refuse(roles: Iterable[str]) -> dict[str, bool]:
    flags = role_fields(roles)
    if not any(flags.values()):
        raise ValidationFailed([FieldError("roles", "required", _("Choose at least one role."))])
    return flags


@transaction.atomic
def staff_invite(
    *,
    firm: Firm,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    roles: Iterable[str],
) -> StaffInvitation:
    email = _email_or_refuse(email)
    flags = _roles_or_refuse(roles)
    if Membership.objects.filter(firm=firm, user__email=email).exists():
        raise Conflict(
            "already_member",
            _("%(email)s already works in this firm.") % {"email": email},
            field="email",
        )
    now = timezone.now()
    StaffInvitation.objects.filter(
        firm=firm, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    invitation = StaffInvitation.objects.create(
        firm=firm,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        language=language,
        invited_by=actor,
        expires_at=now + timedelta(days=STAFF_INVITATION_DAYS),
        **flags,
    )
    audit_record(
        firm=firm,
        actor=actor,
        action="staff.invited",
        target=invitation,
        target_label=email,
        data={"roles": [role.value for role in invitation.roles]},
    )
    from partnerspace.firms.tasks import send_staff_invitation

    transaction.on_commit(lambda: send_staff_invitation.enqueue(invitation.pk))
    return invitation


def staff_invitation_send(*, invitation_id: int) -> None:
    """Issue the link and send it. The token is made here so it is written nowhere but the mail."""
    sendable = StaffInvitation.objects.select_related("firm", "invited_by").filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )

    def send(invitation: StaffInvitation, token: IssuedToken) -> None:
        mail_send(
            to=invitation.email,
            template="firms/email/staff_invitation",
            context={"invitation": invitation, "token": token.raw},
            language=invitation.language,
        )

    from partnerspace.firms.tasks import send_staff_invitation

    try:
        link_mail_send_once(
            sendable=sendable,
            pk=invitation_id,
            send=send,
            when_sent={"send_error": ""},
            task=send_staff_invitation,
        )
    except Exception as error:
        # Kept, so the administrator sees why it failed.
        StaffInvitation.objects.filter(pk=invitation_id).update(send_error=str(error)[:2000])
        raise


@transaction.atomic
def staff_invitation_resend(*, invitation: StaffInvitation, actor: User) -> None:
    StaffInvitation.objects.filter(pk=invitation.pk).update(
        sent_at=None,
        sending_since=None,
        token_selector=None,
        token_digest="",
        expires_at=timezone.now() + timedelta(days=STAFF_INVITATION_DAYS),
    )
    audit_record(
        firm=invitation.firm,
        actor=actor,
        action="staff.invitation_resent",
        target=invitation,
        target_label=invitation.email,
    )
    from partnerspace.firms.tasks import send_staff_invitation

    transaction.on_commit(lambda: send_staff_invitation.enqueue(invitation.pk))


@transaction.atomic
def staff_invitation_revoke(*, invitation: StaffInvitation, actor: User) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        firm=invitation.firm,
        actor=actor,
        action="staff.invitation_revoked",
        target=invitation,
        target_label=invitation.email,
    )


@transaction.atomic
def staff_invitation_accept(
    *,
    invitation: StaffInvitation,
    user: User | None,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> Membership:
    """Join the firm: with the account already logged in, or with a new one made here."""
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise Conflict("invitation_closed", _("This invitation can no longer be used."))
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise Conflict(
                "account_exists", _("An account with this e-mail address exists: log in first.")
            )
        user = User.objects.create_user(
            invitation.email,
            password,
            first_name=first_name.strip() or invitation.first_name,
            last_name=last_name.strip() or invitation.last_name,
            language=invitation.language,
        )
    elif user.email != invitation.email:
        raise NotAllowedForAccount()
    membership, _created = Membership.objects.get_or_create(
        firm=invitation.firm,
        user=user,
        defaults={
            "is_administrator": invitation.is_administrator,
            "is_client_manager": invitation.is_client_manager,
            "is_accountant": invitation.is_accountant,
        },
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        firm=invitation.firm,
        actor=user,
        action="staff.joined",
        target=membership,
        target_label=user.email,
    )
    return membership


class NotAllowedForAccount(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "wrong_account",
            _("This invitation was sent to another e-mail address. Log out and open it again."),
        )


def _lock_administrators(firm: Firm) -> int:
    # Locking the firm row serializes concurrent role changes, so two administrators
    # demoting each other at once cannot leave the firm without one.
    Firm.objects.select_for_update().get(pk=firm.pk)
    return Membership.objects.filter(firm=firm, is_administrator=True).count()


@transaction.atomic
def membership_roles_set(
    *, membership: Membership, actor: User, roles: Iterable[str]
) -> Membership:
    flags = _roles_or_refuse(roles)
    administrators = _lock_administrators(membership.firm)
    # Read again under the firm's lock: another administrator may have changed or removed it.
    membership = get_object_or_404(
        Membership.objects.select_related("user", "firm"), pk=membership.pk
    )
    if membership.is_administrator and not flags["is_administrator"] and administrators <= 1:
        raise Conflict(
            "last_administrator", _("A firm keeps at least one administrator."), field="roles"
        )
    before = [role.value for role in membership.roles]
    for name, value in flags.items():
        setattr(membership, name, value)
    membership.save(update_fields=list(flags))
    audit_record(
        firm=membership.firm,
        actor=actor,
        action="staff.roles_changed",
        target=membership,
        target_label=membership.user.email,
        data={"old": before, "new": [role.value for role in membership.roles]},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    administrators = _lock_administrators(membership.firm)
    # Read again under the firm's lock: another administrator may have changed or removed it.
    membership = get_object_or_404(
        Membership.objects.select_related("user", "firm"), pk=membership.pk
    )
    if membership.is_administrator and administrators <= 1:
        raise Conflict("last_administrator", _("A firm keeps at least one administrator."))
    audit_record(
        firm=membership.firm,
        actor=actor,
        action="staff.removed",
        target=membership,
        target_label=membership.user.email,
    )
    # The clients' assignments go with the membership, each recorded (clients reacts).
    events.membership_removing.send(events.MembershipRemoving(membership=membership, actor=actor))
    membership.delete()


@transaction.atomic
def firm_update(
    *,
    firm: Firm,
    actor: User,
    name: str,
    vat_number: str | None = None,
    register_digest: bool | None = None,
) -> Firm:
    """Rename the firm; with `vat_number` ("" to clear it), also set its own VAT number; with
    `register_digest`, switch the register changes' digest e-mail on or off."""
    if not name.strip():
        raise ValidationFailed([FieldError("name", "required", _("This field is required."))])
    vat = firm.vat_number if vat_number is None else firm_vat_number_clean(vat_number)
    old = firm.name
    old_vat = firm.vat_number
    firm.name = name.strip()
    firm.vat_number = vat
    fields = ["name", "vat_number"]
    digest_before = firm.register_digest
    if register_digest is not None:
        firm.register_digest = register_digest
        fields.append("register_digest")
    firm.save(update_fields=fields)
    if firm.name != old:
        audit_record(firm=firm, actor=actor, action="firm.renamed", target=firm, data={"old": old})
    if vat != old_vat:
        audit_record(
            firm=firm,
            actor=actor,
            action="firm.vat_number_changed",
            target=firm,
            data={"old": old_vat, "new": vat},
        )
    if firm.register_digest != digest_before:
        audit_record(
            firm=firm,
            actor=actor,
            action="firm.register_digest",
            target=firm,
            data={"on": firm.register_digest},
        )
    return firm


def firm_vat_number_clean(raw: str) -> str:
    """The firm's own VAT number as stored ("BE0403019261"), or "" for none. It must be one
    VIES knows (an EU member state's, or XI): it goes with each check as the requester."""
    if not raw.strip():
        return ""
    value = identifier_clean(rules.vat_number, raw, field="vat_number", country=None) or ""
    if rules.vies_parts(value) is None:
        raise ValidationFailed(
            [
                FieldError(
                    "vat_number",
                    "invalid_vat",
                    _("Enter an EU VAT number with its country prefix, such as BE0403019261."),
                    raw,
                )
            ]
        )
    return value
