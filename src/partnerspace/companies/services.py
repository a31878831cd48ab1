"""A company's own details: linking it to a firm's client, and keeping both in step."""

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerspace.accounts.models import User
from partnerspace.clients.history import contact_label, differences, history_record, snapshot
from partnerspace.clients.lifecycle import client_status_change
from partnerspace.clients.models import Client, ClientStatus, Contact, HistorySource
from partnerspace.clients.selectors import client_duplicates
from partnerspace.clients.services import refresh_search
from partnerspace.clients.validation import FieldWarning, client_clean, contact_clean
from partnerspace.companies.models import COMPANY_FIELDS, COMPANY_NUMBERS, Company, CompanyUser
from partnerspace.core.errors import Conflict, ValidationFailed, require_role


def _company_values(client: Client) -> dict[str, Any]:
    return {name: getattr(client, name) for name in COMPANY_FIELDS}


def company_for_client(client: Client) -> Company:
    """The company this client is: the one with its enterprise number, or a new one."""
    if client.company is not None:
        return client.company
    if client.company_number:
        existing = (
            Company.objects.select_for_update().filter(company_number=client.company_number).first()
        )
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return Company.objects.create(**_company_values(client))
    except IntegrityError:
        # The same company signed up at this very moment: use that record.
        return Company.objects.get(company_number=client.company_number)


def company_link_client(*, client: Client, user: User) -> Company:
    """Make the firm's client record and the company's own record one, and give `user` a say.

    Where both hold a value, the company's own wins (it knows its details best); where only
    the firm's record has one, the company keeps it.
    """
    company = company_for_client(client)
    people = set(company.members.values_list("user_id", flat=True))
    if people and user.pk not in people:
        # The firm typed the enterprise number and the address the link went to: neither proves
        # that `user` speaks for a company that has its own people. Linking would hand them its
        # details (and every other firm's view of it) to edit.
        raise Conflict(
            "company_has_users",
            _(
                "This company already has its own users in Partner Space: one of them must "
                "accept the invitation."
            ),
        )
    own = {name: getattr(company, name) for name in COMPANY_FIELDS}
    merged = {
        name: own[name] if own[name] not in (None, "") else getattr(client, name)
        for name in COMPANY_FIELDS
    }
    if merged != own:
        Company.objects.filter(pk=company.pk).update(**merged, updated_at=timezone.now())
        for name, value in merged.items():
            setattr(company, name, value)
        # One record: the firms already linked see what this firm's record added.
        for other in _linked_clients(company).exclude(pk=client.pk):
            _mirror(other, company, actor=user)
    _mirror(client, company, actor=user)
    Client.objects.filter(pk=client.pk).update(company=company)
    client.company = company
    CompanyUser.objects.get_or_create(company=company, user=user)
    return company


def _linked_clients(company: Company) -> QuerySet[Client]:
    """The firms' client records that follow the company: an ended link no longer does."""
    return Client.objects.select_for_update().filter(company=company, status=ClientStatus.ACTIVE)


def _mirror(client: Client, company: Company, *, actor: User | None) -> None:
    """Copy the company's details onto one linked client, recording what changed."""
    before = snapshot(client, COMPANY_FIELDS)
    for name in COMPANY_FIELDS:
        setattr(client, name, getattr(company, name))
    changes = differences(before, snapshot(client, COMPANY_FIELDS))
    if not changes:
        return
    client.updated_at = timezone.now()
    client.save(update_fields=[*COMPANY_FIELDS, "updated_at"])
    refresh_search(client, anonymous=True)
    history_record(
        client=client, actor=actor, source=HistorySource.CLIENT, action="updated", changes=changes
    )


def company_of_user(user: User, company_id: int | str) -> Company:
    try:
        return Company.objects.get(pk=int(company_id), members__user=user)
    except (Company.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def speaks_for(user: User, company: Company) -> bool:
    """Whether the user is one of the company's own people."""
    return CompanyUser.objects.filter(company=company, user=user).exists()


@dataclass
class CompanyResult:
    """What a company's change of its details answers: the company, and the repairs made to
    what was typed."""

    company: Company
    warnings: list[FieldWarning] = field(default_factory=list)


MEMBERS_ONLY = gettext_lazy("You do not speak for this company.")


def _refuse_taken_in_linked_firms(company: Company, values: dict[str, Any]) -> None:
    """A linked firm that has another client with this number could not take the change; the
    refusal names no client: nobody learns anything of another firm's clients."""
    for client in _linked_clients(company):
        taken = client_duplicates(client.firm_id, values, exclude_id=client.pk)
        if "company_number" in taken:
            raise Conflict(
                "already_exists",
                _("Another company is registered with this enterprise number."),
                field="company_number",
            )
        if "vat_number" in taken:
            raise Conflict(
                "already_exists",
                _("Another company is registered with this VAT number."),
                field="vat_number",
            )


@transaction.atomic
def company_update(*, user: User, company: Company, data: dict[str, Any]) -> CompanyResult:
    """The company corrects its details; every firm it is linked to sees them at once.

    Not its enterprise or VAT number: those its firm changes (COMPANY_NUMBERS), so a number
    the request carries must be the one the company has, in any spelling.
    """
    require_role(speaks_for(user, company), MEMBERS_ONLY)
    company = Company.objects.select_for_update().get(pk=company.pk)
    current = {name: getattr(company, name) for name in COMPANY_FIELDS}
    _refuse_number_changes(current, data)
    own = {k: v for k, v in data.items() if k in COMPANY_FIELDS and k not in COMPANY_NUMBERS}
    cleaned = client_clean({**current, **own})
    values = {name: cleaned.values.get(name) for name in COMPANY_FIELDS}
    # As stored: not even a number derived from the VAT number is written from this side.
    values.update({name: current[name] for name in COMPANY_NUMBERS})
    values["iban"] = values["iban"] or ""
    for name in ("street", "house_number", "box", "postal_code", "city"):
        values[name] = values[name] or ""
    for name, value in values.items():
        setattr(company, name, value)
    company.updated_at = timezone.now()
    company.save()
    for client in _linked_clients(company):
        _mirror(client, company, actor=user)
    return CompanyResult(company=company, warnings=cleaned.warnings)


def _number_refusal(name: str) -> str:
    if name == "company_number":
        return _("Ask your accounting firm to change your enterprise number.")
    return _("Ask your accounting firm to change your VAT number.")


def _refuse_number_changes(current: dict[str, Any], data: dict[str, Any]) -> None:
    asked = {name: data[name] for name in COMPANY_NUMBERS if name in data}
    if not asked:
        return
    try:
        kept = client_clean(current).values
    except ValidationFailed:
        kept = current  # stored before today's rules: compared as stored
    try:
        new = client_clean({**current, **asked}).values
    except ValidationFailed:
        new = {}  # not a valid number: a change all the same
    for name, value in asked.items():
        unchanged = (value or None) == (current[name] or None) or (
            name in new and (new[name] or None) == (kept.get(name) or None)
        )
        if not unchanged:
            raise Conflict("ask_your_firm", _number_refusal(name), field=name)


def company_numbers_change(*, client: Client, numbers: dict[str, Any]) -> None:
    """A firm changed the enterprise or VAT number of a client linked to its company: the
    company takes them, and so does every other firm's client record of it.

    Called by clients.services.client_update, in its transaction, once the numbers passed the
    rules and the firm's own duplicate check; it saves `client` itself. Another firm's record
    shows the change without the name of the firm's staff member who made it.
    """
    assert client.company_id is not None, "only a client linked to its company"
    company = Company.objects.select_for_update().get(pk=client.company_id)
    number = numbers["company_number"]
    taken = Company.objects.filter(company_number=number).exclude(pk=company.pk)
    if number and taken.exists():
        raise _company_exists()
    _refuse_taken_in_linked_firms(company, numbers)
    for name in COMPANY_NUMBERS:
        setattr(company, name, numbers[name])
    company.updated_at = timezone.now()
    try:
        with transaction.atomic():
            company.save(update_fields=[*COMPANY_NUMBERS, "updated_at"])
    except IntegrityError:
        raise _company_exists() from None  # taken at this very moment
    for other in _linked_clients(company).exclude(pk=client.pk):
        _mirror(other, company, actor=None)


def _company_exists() -> Conflict:
    return Conflict(
        "company_exists",
        _("Another company in Partner Space has this enterprise number."),
        field="company_number",
    )


@transaction.atomic
def company_contact_add(
    *, user: User, company: Company, data: dict[str, Any]
) -> list[FieldWarning]:
    """A contact person the company adds shows on the client page of every firm it works with."""
    require_role(speaks_for(user, company), MEMBERS_ONLY)
    cleaned = contact_clean(data, country=company.country)
    linked = list(_linked_clients(company))
    if not linked:
        # The company keeps no contacts of its own: they live on the firms' records of it.
        raise Conflict(
            "no_firm_linked",
            _(
                "No accounting firm works with your company now: there is no one to give this "
                "contact person to."
            ),
        )
    for client in linked:
        if client.contacts.filter(email__iexact=cleaned.values["email"]).exists():
            continue
        contact = Contact.objects.create(client=client, is_primary=False, **cleaned.values)
        refresh_search(client, anonymous=True)
        history_record(
            client=client,
            actor=user,
            source=HistorySource.CLIENT,
            action="contact_added",
            changes=[{"field": "contact", "old": None, "new": contact_label(contact)}],
        )
    return cleaned.warnings


@transaction.atomic
def company_end_link(*, user: User, company: Company, client: Client) -> Client:
    """The company stops working with a firm: the firm sees the client Archived, ended by it."""
    require_role(speaks_for(user, company), MEMBERS_ONLY)
    client = get_object_or_404(Client.objects.select_for_update(), pk=client.pk, company=company)
    # Archived as from any other door: open invitations withdrawn, Peppol deregistered.
    return client_status_change(
        client=client,
        status=ClientStatus.ARCHIVED,
        actor=user,
        source=HistorySource.CLIENT,
        action="ended_by_client",
    )
