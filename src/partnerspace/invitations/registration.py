"""A firm's shareable registration link: companies sign themselves up as its clients."""

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from partnerspace.accounts.models import User, email_key
from partnerspace.clients.models import Client, ClientStatus, HistorySource
from partnerspace.clients.selectors import client_duplicates
from partnerspace.clients.services import client_create_in_firm
from partnerspace.clients.validation import client_clean
from partnerspace.companies.models import Company
from partnerspace.companies.services import company_link_client
from partnerspace.core.errors import Conflict, FieldError, NotAllowed, ValidationFailed
from partnerspace.firms.models import Membership
from partnerspace.identifiers import rules
from partnerspace.invitations.models import RegistrationLink


@transaction.atomic
def registration_link_create(*, membership: Membership, template=None) -> RegistrationLink:
    if not membership.can_manage_configuration:
        raise NotAllowed("not_allowed", _("Only administrators manage registration links."))
    return RegistrationLink.objects.create(
        firm=membership.firm,
        code=secrets.token_urlsafe(16),
        template=template,
        created_by=membership.user,
    )


@transaction.atomic
def registration_link_disable(*, membership: Membership, link: RegistrationLink) -> None:
    if not membership.can_manage_configuration:
        raise NotAllowed("not_allowed", _("Only administrators manage registration links."))
    RegistrationLink.objects.filter(pk=link.pk, firm=membership.firm).update(is_active=False)


@transaction.atomic
def company_register(
    *, link: RegistrationLink, company: dict, person: dict, password: str
) -> tuple[Client, User]:
    """Create the person's account, the company, and its Active client record in the firm."""
    try:
        email = rules.email(person.get("email")).value
    except rules.IdentifierError:
        email = None
    if not email:
        raise ValidationFailed(
            [
                FieldError(
                    "email",
                    "invalid_email",
                    _("Enter a valid e-mail address, e.g. name@example.be."),
                )
            ]
        )
    if User.objects.filter(email=email_key(email)).exists():
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
    language = (person.get("locale") or "nl").split("-")[0].lower()
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
    user = User.objects.create_user(
        email,
        password,
        first_name=person.get("first_name", "").strip(),
        last_name=person.get("last_name", "").strip(),
        # The interface speaks nl, fr and en; a German-speaking contact gets English.
        language=language if language in {"nl", "fr", "en"} else "en",
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
