"""A client's contact persons: added, changed, made primary, removed; each in the history."""

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from partnerspace.clients.history import (
    contact_label,
    differences,
    history_record,
    snapshot,
)
from partnerspace.clients.models import (
    Client,
    Contact,
    HistorySource,
)
from partnerspace.clients.services.duplicates import refresh_search
from partnerspace.clients.services.results import ClientResult
from partnerspace.clients.validation import (
    CONTACT_FIELDS,
    FieldWarning,
    contact_clean,
)
from partnerspace.core.errors import (
    Conflict,
    FieldError,
    ValidationFailed,
)
from partnerspace.firms.models import Membership


def same_address(one: str, other: str) -> bool:
    return one.lower() == other.lower()


def email_taken(email: str, field: str = "email") -> FieldError:
    return FieldError(
        field,
        "contact_email_taken",
        _(
            "%(email)s is already a contact person of this client. Each contact person has "
            "their own e-mail address."
        )
        % {"email": email},
        email,
    )


def _refuse_taken_email(client: Client, email: str, *, exclude_id: int | None = None) -> None:
    """Another contact of this client with the address, in any case, refuses it (the
    database's constraint decides a race; the caller holds the client's row)."""
    others = client.contacts.filter(email__iexact=email)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if others.exists():
        raise ValidationFailed([email_taken(email)])


def _contact_changes(before: dict[str, Any], contact: Contact) -> list[dict[str, Any]]:
    return differences(before, snapshot(contact, (*CONTACT_FIELDS, "is_primary")))


@transaction.atomic
def contact_add(
    *,
    membership: Membership,
    client: Client,
    data: dict[str, Any],
    source: str = HistorySource.STAFF,
) -> ClientResult:
    client = get_object_or_404(Client.objects.select_for_update(), pk=client.pk)
    cleaned = contact_clean(data, country=client.country)
    _refuse_taken_email(client, cleaned.values["email"])
    make_primary = bool(data.get("is_primary")) or not client.contacts.exists()
    previous = client.contacts.filter(is_primary=True).first() if make_primary else None
    if previous:
        client.contacts.filter(is_primary=True).update(is_primary=False)
    contact = Contact.objects.create(client=client, is_primary=make_primary, **cleaned.values)
    refresh_search(client, viewer=membership)
    changes = [{"field": "contact", "old": None, "new": contact_label(contact)}]
    if previous:
        changes.append(_primary_change(previous, contact))
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="contact_added",
        changes=changes,
    )
    return ClientResult(client, cleaned.warnings)


@transaction.atomic
def contact_update(
    *,
    membership: Membership,
    contact: Contact,
    data: dict[str, Any],
    source: str = HistorySource.STAFF,
) -> ClientResult:
    client = get_object_or_404(Client.objects.select_for_update(), pk=contact.client_id)
    contact = get_object_or_404(client.contacts, pk=contact.pk)
    if data.get("is_primary") is False and contact.is_primary:
        raise Conflict(
            "primary_stays",
            _("A client keeps one primary contact: make another contact the primary one."),
            field="is_primary",
        )
    before = snapshot(contact, (*CONTACT_FIELDS, "is_primary"))
    merged = {name: before[name] for name in CONTACT_FIELDS}
    merged.update({name: value for name, value in data.items() if name in CONTACT_FIELDS})
    cleaned = contact_clean(merged, country=client.country)
    _refuse_taken_email(client, cleaned.values["email"], exclude_id=contact.pk)
    for name, value in cleaned.values.items():
        setattr(contact, name, value)
    contact.save()
    # Recorded before a change of primary, which must not swallow the other changes.
    changes = _contact_changes(before, contact)
    if changes:
        refresh_search(client, viewer=membership)
        history_record(
            client=client,
            actor=membership.user,
            source=source,
            action="contact_updated",
            changes=[{**change, "contact": contact_label(contact)} for change in changes],
        )
    if data.get("is_primary") and not contact.is_primary:
        return _make_primary(membership, client, contact, source, cleaned.warnings)
    return ClientResult(client, cleaned.warnings)


@transaction.atomic
def contact_make_primary(
    *, membership: Membership, contact: Contact, source: str = HistorySource.STAFF
) -> ClientResult:
    client = get_object_or_404(Client.objects.select_for_update(), pk=contact.client_id)
    return _make_primary(
        membership, client, get_object_or_404(client.contacts, pk=contact.pk), source, []
    )


def _make_primary(
    membership: Membership,
    client: Client,
    contact: Contact,
    source: str,
    warnings: list[FieldWarning],
) -> ClientResult:
    previous = client.contacts.filter(is_primary=True).first()
    if previous and previous.pk == contact.pk:
        return ClientResult(client, warnings)
    # The old primary first: the database allows one primary contact per client at a time.
    client.contacts.filter(is_primary=True).update(is_primary=False)
    Contact.objects.filter(pk=contact.pk).update(is_primary=True)
    refresh_search(client, viewer=membership)  # the identity key follows the primary contact
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="primary_contact_changed",
        changes=[
            {
                "field": "primary_contact",
                "old": contact_label(previous) if previous else None,
                "new": contact_label(contact),
            }
        ],
    )
    return ClientResult(client, warnings)


@transaction.atomic
def contact_remove(
    *, membership: Membership, contact: Contact, source: str = HistorySource.STAFF
) -> None:
    client = get_object_or_404(Client.objects.select_for_update(), pk=contact.client_id)
    contact = get_object_or_404(client.contacts, pk=contact.pk)
    others = client.contacts.exclude(pk=contact.pk)
    if not others.exists():
        raise Conflict("last_contact", _("A client keeps at least one contact person."))
    contact.delete()
    changes = [{"field": "contact", "old": contact_label(contact), "new": None}]
    successor = others.order_by("created_at", "id").first() if contact.is_primary else None
    if successor is not None:  # the removed contact was the primary: the oldest other takes it
        Contact.objects.filter(pk=successor.pk).update(is_primary=True)
        changes.append(_primary_change(contact, successor))
    refresh_search(client, viewer=membership)
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="contact_removed",
        changes=changes,
    )


def _primary_change(old: Contact, new: Contact) -> dict[str, Any]:
    return {"field": "primary_contact", "old": contact_label(old), "new": contact_label(new)}
