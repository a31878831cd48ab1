"""A firm's shareable registration link: companies sign themselves up as its clients.

The link is public, so a sign-up proves nothing about the address typed in it. The form only
keeps a PendingRegistration and mails a link to that address; following the link creates the
account, the company and the Active client.
"""

import logging
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import identify_hasher, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerspace.accounts.models import User, email_key
from partnerspace.clients.models import Client, ClientStatus, HistorySource
from partnerspace.clients.selectors import client_duplicates
from partnerspace.clients.services import client_create_in_firm
from partnerspace.clients.validation import client_clean, contact_clean
from partnerspace.companies.models import Company
from partnerspace.companies.services import company_link_client
from partnerspace.core.delivery import link_mail_deliver
from partnerspace.core.errors import Conflict, require_role
from partnerspace.core.languages import interface_language
from partnerspace.core.mail import mail_send
from partnerspace.firms.models import Membership
from partnerspace.identifiers.clean import email_clean
from partnerspace.invitations.models import (
    REGISTRATION_CONFIRM_HOURS,
    PendingRegistration,
    RegistrationLink,
)
from partnerspace.invitations.services import mail_language

log = logging.getLogger(__name__)

LINK_ADMINISTRATORS_ONLY = gettext_lazy("Only administrators manage registration links.")


@transaction.atomic
def registration_link_create(*, membership: Membership, template=None) -> RegistrationLink:
    require_role(membership.can_manage_configuration, LINK_ADMINISTRATORS_ONLY)
    return RegistrationLink.objects.create(
        firm=membership.firm,
        code=secrets.token_urlsafe(16),
        template=template,
        created_by=membership.user,
    )


@transaction.atomic
def registration_link_disable(*, membership: Membership, link: RegistrationLink) -> None:
    require_role(membership.can_manage_configuration, LINK_ADMINISTRATORS_ONLY)
    RegistrationLink.objects.filter(pk=link.pk, firm=membership.firm).update(is_active=False)
    # Their links could no longer be confirmed; what people typed is not kept for nothing.
    PendingRegistration.objects.filter(link_id=link.pk, link__firm=membership.firm).delete()


def _registration_check(
    *, link: RegistrationLink, company: dict, person: dict, refuse_account: bool = True
) -> str:
    """The sign-up's e-mail address, normalized; raises the refusals the form shows.

    Run when the form is sent and again when the e-mail link is followed: meanwhile the
    address may have got an account, or the company may have been registered.
    """
    email = email_clean(person.get("email"))
    if refuse_account and User.objects.filter(email=email_key(email)).exists():
        raise Conflict(
            "account_exists",
            _("An account with this e-mail address exists: log in and ask the firm to invite you."),
            field="email",
        )
    values = client_clean(company).values
    if (
        values.get("company_number")
        and Company.objects.filter(company_number=values["company_number"]).exists()
    ):
        raise Conflict(
            "company_exists",
            _("This company is registered already. Ask one of its users to invite you."),
            field="company_number",
        )
    known = client_duplicates(link.firm_id, values)
    if known:
        # The link is public and proves nobody's identity: handing the firm's own record (its
        # IBAN, address, contacts) to whoever types the number would leak it. An invitation,
        # sent to the contact the firm knows, is the way in for a company the firm has.
        raise Conflict(
            "client_exists",
            _("Your accounting firm has added this company already: ask it for an invitation."),
            field=next(iter(known)),
        )
    # client_create_in_firm checks the contact too; checked here as well, a pending sign-up
    # never waits for a confirmation that is bound to fail.
    contact_clean({**person, "email": email}, country=values.get("country"))
    return email


@transaction.atomic
def company_register(
    *, link: RegistrationLink, company: dict, person: dict, password_hash: str
) -> tuple[Client, User]:
    """Create the person's account, the company, and its Active client record in the firm.

    Called once the address is proven (registration_confirm); `password_hash` is the hash
    kept since the form was sent, never the password itself.
    """
    try:
        identify_hasher(password_hash)
    except ValueError:
        # A password in clear would be stored as is. Not chained: Django's error repeats it.
        raise ValueError("company_register takes a password hash, not a password") from None
    email = _registration_check(link=link, company=company, person=person)
    language = (person.get("locale") or "nl").split("-")[0].lower()
    user = User.objects.create(
        email=email_key(email),
        password=password_hash,
        first_name=person.get("first_name", "").strip(),
        last_name=person.get("last_name", "").strip(),
        language=interface_language(language),
    )
    result = client_create_in_firm(
        firm=link.firm,
        actor=user,
        data=company,
        contacts=[{**person, "email": email, "is_primary": True}],
        template=link.template,
        source=HistorySource.CLIENT,
        status=ClientStatus.ACTIVE,
    )
    company_link_client(client=result.client, user=user)
    return result.client, user


# The form is public: without a ceiling it would mail anyone's address as often as asked.
SIGN_UPS_PER_ADDRESS_HOUR = 10
ONE_ADDRESS_EVERY = timedelta(minutes=1)


def _refuse_too_many(email: str, requested_from: str | None, now) -> None:
    recent = PendingRegistration.objects.filter(created_at__gt=now - timedelta(hours=1))
    if requested_from and (
        recent.filter(requested_from=requested_from).count() >= SIGN_UPS_PER_ADDRESS_HOUR
    ):
        raise Conflict(
            "throttled", _("Too many sign-ups from your network in the last hour. Try again later.")
        )
    if recent.filter(email=email, created_at__gt=now - ONE_ADDRESS_EVERY).exists():
        raise Conflict(
            "throttled",
            _(
                "A confirmation link was sent to this address a moment ago: check your mailbox, "
                "or try again in a minute."
            ),
            field="email",
        )


@transaction.atomic
def registration_request(
    *,
    link: RegistrationLink,
    company: dict,
    person: dict,
    password: str,
    requested_from: str | None = None,
) -> PendingRegistration:
    """Check the sign-up as company_register will, keep it, and mail the address a link.

    Nothing is created until the link is followed. A new sign-up for the same address replaces
    an earlier one (its link stops working); expired sign-ups are cleared out on the way.
    """
    email = email_key(
        _registration_check(link=link, company=company, person=person, refuse_account=False)
    )
    now = timezone.now()
    _refuse_too_many(email, requested_from, now)
    # Said only to the address's owner, by mail: the public form must not tell who has one.
    has_account = User.objects.filter(email=email).exists()
    hashed = make_password(password)
    # Indexed and usually empty: cheaper than a scheduled clean-up nobody has to remember.
    PendingRegistration.objects.filter(expires_at__lte=now).delete()
    # Two sign-ups racing for one address may both be kept: harmless, as the account's unique
    # address lets only the first confirmation through. The earlier one is emptied, not
    # deleted: the throttle counts it until it expires.
    PendingRegistration.objects.filter(email=email, replaced_at__isnull=True).update(
        replaced_at=now,
        token_selector=None,
        token_digest="",
        password_hash="",
        company={},
        person={},
    )
    pending = PendingRegistration.objects.create(
        link=link,
        email=email,
        language=mail_language(person.get("locale", "")),
        company=dict(company),
        person=dict(person),
        # Hashed either way: skipping it would answer faster, and so tell who has an account.
        password_hash="" if has_account else hashed,
        account_exists=has_account,
        requested_from=requested_from,
        created_at=now,
        expires_at=now + timedelta(hours=REGISTRATION_CONFIRM_HOURS),
    )
    _send_after_commit(pending.pk)
    return pending


def _send_after_commit(pending_id: int) -> None:
    from partnerspace.invitations.tasks import deliver_registration

    transaction.on_commit(lambda: deliver_registration.enqueue(pending_id))


def pending_registration_deliver(*, pending_id: int) -> str:
    """Mail the confirmation link, at most once; on failure, try again with back-off."""
    sendable = PendingRegistration.objects.select_related("link__firm").filter(
        expires_at__gt=timezone.now(),
        link__is_active=True,
        failed_at__isnull=True,
        replaced_at__isnull=True,
    )

    def send(pending, token):
        mail_send(
            to=pending.email,
            template=(
                "invitations/email/registration_account_exists"
                if pending.account_exists
                else "invitations/email/registration"
            ),
            context={
                "pending": pending,
                "firm": pending.link.firm,
                "token": token.raw,
                "hours": REGISTRATION_CONFIRM_HOURS,
                # The e-mail's <html lang>: rendered outside a request, it has no other source.
                "LANGUAGE_CODE": pending.language,
            },
            language=pending.language,
        )

    # After the last attempt the person sees no mail and may sign up again; the row expires.
    from partnerspace.invitations.tasks import deliver_registration

    return link_mail_deliver(sendable=sendable, pk=pending_id, send=send, task=deliver_registration)


@transaction.atomic
def registration_confirm(*, pending: PendingRegistration) -> tuple[Client, User]:
    """The address is proven: create the account, the company and the Active client, once.

    Raises Conflict("registration_closed") when the link no longer works, and company_register's
    refusals when the address got an account or the company got registered meanwhile.
    """
    locked = (
        # of=("self",): PostgreSQL cannot lock the nullable side of an outer join.
        PendingRegistration.objects.select_for_update(of=("self",))
        .select_related("link__firm", "link__template")
        .filter(pk=pending.pk, token_selector=pending.token_selector)
        .first()
    )
    if locked is None or not locked.is_open:
        raise Conflict("registration_closed", _("This link no longer works"))
    client, user = company_register(
        link=locked.link,
        company=locked.company,
        person=locked.person,
        password_hash=locked.password_hash,
    )
    # Used: the row goes, and with it the only copy of the password hash outside the account.
    locked.delete()
    return client, user
