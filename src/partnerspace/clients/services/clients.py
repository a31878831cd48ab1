"""Creating, changing, deleting and archiving clients: validated, checked, recorded,
transactional."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.accounts.models import User
from partnerspace.clients import events
from partnerspace.clients.history import (
    contact_label,
    creation_changes,
    differences,
    history_record,
    snapshot,
)
from partnerspace.clients.lifecycle import (
    client_status_change,
    clients_status_change,
    mandate_change_check,
    mandate_confirmation_follow,
)
from partnerspace.clients.models import (
    Client,
    ClientStatus,
    Contact,
    HistorySource,
)
from partnerspace.clients.search import identity_key
from partnerspace.clients.services.assignments import assign_also, memberships_of_firm
from partnerspace.clients.services.contacts import email_taken, same_address
from partnerspace.clients.services.duplicates import duplicates_refuse, refresh_search
from partnerspace.clients.services.results import ClientResult
from partnerspace.clients.validation import (
    CLIENT_FIELDS,
    COMPANY_FIELDS,
    COMPANY_NUMBERS,
    FieldWarning,
    client_clean,
    contact_clean,
)
from partnerspace.core.bulk import BulkOutcome
from partnerspace.core.errors import (
    Conflict,
    FieldError,
    ValidationFailed,
    require_role,
)
from partnerspace.firms.models import AuditEvent, Firm, Membership


def _clean_contacts(
    contacts: Sequence[dict[str, Any]], country: str | None
) -> tuple[list[dict[str, Any]], list[FieldWarning]]:
    errors: list[FieldError] = []
    cleaned: list[dict[str, Any]] = []
    warnings: list[FieldWarning] = []
    for index, data in enumerate(contacts):
        try:
            result = contact_clean(data, country=country, prefix=f"contacts.{index}.")
        except ValidationFailed as failed:
            errors += failed.errors
            continue
        cleaned.append({**result.values, "is_primary": bool(data.get("is_primary"))})
        warnings += result.warnings
        if any(same_address(person["email"], result.values["email"]) for person in cleaned[:-1]):
            errors.append(email_taken(result.values["email"], f"contacts.{index}.email"))
    if errors:
        raise ValidationFailed(errors)
    return cleaned, warnings


@transaction.atomic
def client_create(
    *,
    membership: Membership,
    data: dict[str, Any],
    contacts: Sequence[dict[str, Any]],
    template: Any = None,  # a configuration template: clients does not import configuration
    source: str = HistorySource.STAFF,
    assigned_ids: Iterable[int] = (),
) -> ClientResult:
    """A new Draft client with its first contact(s), and its template applied, all or nothing.

    `assigned_ids` (membership ids) come on top of the template's: people already assigned
    stay once. (Integrations given by hand are linked by the door that takes them, after
    this: configuration.services.client_integrations_link.)
    """
    require_role(membership.can_create_clients)
    also_assigned: list[Membership] = []
    problems: list[FieldError] = []
    try:
        also_assigned = memberships_of_firm(membership.firm_id, assigned_ids)
    except ValidationFailed as failed:
        problems = failed.errors
    result = client_create_in_firm(
        firm=membership.firm,
        actor=membership.user,
        data=data,
        contacts=contacts,
        template=template,
        source=source,
        more_errors=problems,
    )
    assign_also(membership, result.client, also_assigned, source)
    return result


@transaction.atomic
def client_create_in_firm(
    *,
    firm: Firm,
    actor: User | None,
    data: dict[str, Any],
    contacts: Sequence[dict[str, Any]],
    template: Any = None,  # a configuration template: clients does not import configuration
    source: str = HistorySource.STAFF,
    status: str = ClientStatus.DRAFT,
    more_errors: Sequence[FieldError] = (),
) -> ClientResult:
    """Create the client, its contacts and its template's settings, all or nothing.

    No role check here: `client_create` makes it for staff; a firm's registration link
    (the company signing itself up) calls this directly.
    """
    errors: list[FieldError] = list(more_errors)
    try:
        company = client_clean(data)
    except ValidationFailed as failed:
        errors += failed.errors
        company = None
    if not contacts:
        errors.append(FieldError("contacts", "required", _("Add the first contact person.")))
    country = company.values.get("country") if company else data.get("country")
    try:
        people, contact_warnings = _clean_contacts(contacts, country)
    except ValidationFailed as failed:
        errors += failed.errors
    if errors:
        raise ValidationFailed(errors)
    assert company is not None  # its errors were raised above
    if not any(person["is_primary"] for person in people):
        people[0]["is_primary"] = True
    primary = next(person for person in people if person["is_primary"])
    client = Client(firm=firm, created_by=actor, status=status, **company.values)
    client.identity_key = identity_key(client, primary["email"])
    duplicates_refuse(firm, company.values, identity_key=client.identity_key)
    if client.peppol_mandate:
        client.mandate_confirmed_at = client.created_at
        client.mandate_confirmed_by = actor
    if template is not None:
        client.template = template
        client.template_name = template.name
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        # Another request created the same client between our check and our insert.
        duplicates_refuse(firm, company.values, identity_key=client.identity_key)
        raise
    seen_primary = False
    for person in people:
        is_primary = person["is_primary"] and not seen_primary
        seen_primary = seen_primary or is_primary
        Contact.objects.create(client=client, **{**person, "is_primary": is_primary})
    refresh_search(client)
    history_record(
        client=client,
        actor=actor,
        source=source,
        action="created",
        changes=creation_changes(snapshot(client)),
    )
    # The template's staff and integrations (configuration) come with it.
    events.client_created.send(
        events.ClientCreated(client=client, actor=actor, source=source, template=template)
    )
    return ClientResult(client, company.warnings + contact_warnings)


@transaction.atomic
def client_update(
    *,
    membership: Membership,
    client: Client,
    data: dict[str, Any],
    source: str = HistorySource.STAFF,
) -> ClientResult:
    """Change company data; `data` may hold only the fields to change (the API's PATCH)."""
    return client_change(
        client=client,
        data=data,
        actor=membership.user,
        source=source,
        viewer=membership,
        may_change_mandate=membership.can_manage_peppol,
    )


@dataclass(frozen=True)
class ContactChange:
    """A contact written with a client's change, in its history row: `values` (cleaned) for
    `contact`, or for a new contact when it is None (primary when the client has none)."""

    values: dict[str, Any]
    contact: Contact | None = None
    # The contact goes (an undo removing the contact an import added); `values` unused.
    remove: bool = False


@transaction.atomic
def client_change(
    *,
    client: Client,
    data: dict[str, Any],
    actor: User | None,
    source: str,
    viewer: Membership | None = None,
    may_change_mandate: bool = True,
    numbers_follow: bool = True,
    contact: ContactChange | None = None,
    action: str = "updated",
) -> ClientResult:
    """The one update of a client's details, whatever the door (client_update for a page and
    the API, the import row by row): the merged values pass the client's rules, a linked
    client's own details stay its own, duplicates are refused, a mandate change is confirmed
    or withdrawn, and one history row says what changed.

    `numbers_follow`: a linked client's enterprise and VAT numbers change, and its company
    follows (a client edit); the import refuses them instead, saying where to change them.
    """
    client = get_object_or_404(Client.objects.select_for_update(), pk=client.pk)
    before = snapshot(client)
    merged = {name: before[name] for name in CLIENT_FIELDS}
    merged.update({name: value for name, value in data.items() if name in CLIENT_FIELDS})
    company = client_clean(merged)
    _refuse_owned_by_client(client, company.values, numbers_too=not numbers_follow)
    for name, value in company.values.items():
        setattr(client, name, value)
    contact_line = _contact_write(client, contact) if contact is not None else None
    primary = client.contacts.filter(is_primary=True).first()
    key = identity_key(client, primary.email if primary else None)
    duplicates_refuse(
        client.firm, company.values, exclude_id=client.pk, viewer=viewer, identity_key=key
    )
    changes = differences(before, snapshot(client))
    if not changes and contact_line is None:
        return ClientResult(client, company.warnings)
    events.details_change_refusals.send(events.DetailsChanging(client=client, changes=changes))
    # The numbers are the firm's to change, and a linked company's own record follows
    # (companies reacts).
    events.details_changed.send(
        events.DetailsChanged(client=client, changes=changes, actor=actor, source=source)
    )
    client.updated_at = timezone.now()
    mandate_change_follow(
        client,
        mandate_before=before["peppol_mandate"],
        actor=actor,
        source=source,
        may_change_mandate=may_change_mandate,
    )
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        duplicates_refuse(client.firm, company.values, exclude_id=client.pk, viewer=viewer)
        raise
    refresh_search(client, viewer=viewer)
    if contact_line is not None:
        changes.append(contact_line)
    history_record(client=client, actor=actor, source=source, action=action, changes=changes)
    return ClientResult(client, company.warnings)


def client_change_check(
    *,
    client: Client,
    data: dict[str, Any],
    actor: User | None,
    source: str,
    numbers_follow: bool = True,
) -> None:
    """What client_change refuses before writing anything (a dry run asks this): a linked
    client's own details, a change another app refuses (details_change_refusals: Peppol keeps
    a published client's numbers), and a mandate withdrawal that must wait for
    deregistration. `data`: the values that change."""
    merged = {name: getattr(client, name) for name in COMPANY_FIELDS}
    merged.update({name: value for name, value in data.items() if name in COMPANY_FIELDS})
    _refuse_owned_by_client(client, merged, numbers_too=not numbers_follow)
    changes = [
        {"field": name, "old": getattr(client, name), "new": value}
        for name, value in data.items()
        if name in CLIENT_FIELDS
    ]
    if changes:
        events.details_change_refusals.send(events.DetailsChanging(client=client, changes=changes))
    if data.get("peppol_mandate") is False and client.peppol_mandate:
        mandate_change_check(client=client, confirmed=False, actor=actor, source=source)


def _contact_write(client: Client, change: ContactChange) -> dict[str, Any]:
    """Write the contact of a client's change; its line in the change's history row.

    The line names the contact (`contact_id`) and keeps the values it had (`before`): what
    an undo of the change writes back."""
    if change.contact is None:
        contact = Contact.objects.create(
            client=client, is_primary=not client.contacts.exists(), **change.values
        )
        return {"field": "contact", "old": None, "new": contact_label(contact),
                "contact_id": contact.pk}  # fmt: skip
    contact = client.contacts.get(pk=change.contact.pk)
    old = contact_label(contact)
    if change.remove:
        if contact.is_primary or not client.contacts.exclude(pk=contact.pk).exists():
            raise Conflict("last_contact", _("A client keeps at least one contact person."))
        contact.delete()
        return {"field": "contact", "old": old, "new": None}
    before = {name: getattr(contact, name) for name in change.values}
    for name, value in change.values.items():
        setattr(contact, name, value)
    contact.save(update_fields=list(change.values))
    return {"field": "contact", "old": old, "new": contact_label(contact),
            "contact_id": contact.pk, "before": before}  # fmt: skip


def client_details_owned_by_client(client: Client) -> bool:
    """An Active client linked to its company keeps its own details; the firm sees them."""
    return bool(client.company_id) and client.status == ClientStatus.ACTIVE


def _refuse_owned_by_client(
    client: Client, values: dict[str, Any], *, numbers_too: bool = True
) -> None:
    """The details an Active, linked client keeps itself may not change from the firm's side.

    Its enterprise and VAT numbers are the firm's (COMPANY_NUMBERS), but only a client edit
    carries them to the company (client_update, which passes numbers_too=False); elsewhere
    (the import) they are refused too, with a word on where to change them.
    """
    if not client_details_owned_by_client(client):
        return
    changed = [
        name
        for name in COMPANY_FIELDS
        if (getattr(client, name) or None) != (values.get(name) or None)
    ]
    kept = [name for name in changed if name not in COMPANY_NUMBERS]
    if kept:
        raise Conflict(
            "owned_by_client",
            _(
                "%(client)s keeps these details up to date itself: ask the client to change "
                "them in its own space."
            )
            % {"client": client.legal_name},
            field=kept[0],
        )
    if changed and numbers_too:
        raise Conflict(
            "owned_by_client",
            _(
                "%(client)s is linked to its own company: change its enterprise or VAT number "
                "on its page, where the company's record follows."
            )
            % {"client": client.legal_name},
            field=changed[0],
        )


def not_draft_refusal(client: Client) -> Conflict:
    """Why a client that is no longer a Draft is not deleted (a page, the API, an undo)."""
    return Conflict(
        "not_draft",
        _("Only a client in Draft can be deleted; %(client)s is %(status)s.")
        % {"client": client.legal_name, "status": client.get_status_display().lower()},
    )


def mandate_change_follow(
    client: Client,
    *,
    mandate_before: bool,
    actor: User | None,
    source: str,
    may_change_mandate: bool,
) -> None:
    """A change that ticks or clears the mandate box: refused to a role that may not, checked
    against Peppol's state, and the confirmation follows the box."""
    if client.peppol_mandate == mandate_before:
        return
    require_role(
        may_change_mandate,
        _("Only administrators and client managers confirm or withdraw mandates."),
    )
    mandate_change_check(client=client, confirmed=client.peppol_mandate, actor=actor, source=source)
    mandate_confirmation_follow(client, actor)


@transaction.atomic
def client_delete(*, membership: Membership, client: Client) -> None:
    """Only a Draft may go; its contacts and history go with it, the audit log keeps a line."""
    require_role(membership.can_delete_clients)
    client = get_object_or_404(Client.objects.select_for_update(), pk=client.pk)
    if client.status != ClientStatus.DRAFT:
        raise not_draft_refusal(client)
    refusal = events.deletion_refusals([client.pk]).get(client.pk)
    if refusal is not None:
        raise refusal
    _deletions_audit(membership, [client])
    client.delete()


def _deletions_audit(membership: Membership, clients: list[Client]) -> None:
    deletions_audit(firm_id=membership.firm_id, actor=membership.user, clients=clients)


def deletions_audit(
    *, firm_id: int, actor: User | None, clients: list[Client], data: dict[str, Any] | None = None
) -> None:
    """The audit log keeps a line per deleted client: its name and numbers, who, when (and
    `data`: why, when a door says so)."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                firm_id=firm_id,
                actor=actor,
                actor_label=actor.email if actor else "",
                action="client.deleted",
                target_type=Client._meta.label_lower,
                target_id=str(client.pk),
                target_label=str(client),
                data={
                    "company_number": client.company_number,
                    "vat_number": client.vat_number,
                    "external_reference": client.external_reference,
                    **(data or {}),
                },
            )
            for client in clients
        ],
        batch_size=1000,
    )


@transaction.atomic
def client_archive(
    *, membership: Membership, client: Client, source: str = HistorySource.STAFF
) -> Client:
    """End the link with the client: it stays in the list and can be invited again."""
    require_role(membership.can_create_clients)
    client = get_object_or_404(Client.objects.select_for_update(), pk=client.pk)
    return client_status_change(
        client=client, status=ClientStatus.ARCHIVED, actor=membership.user, source=source
    )


@transaction.atomic
def clients_bulk_archive(*, membership: Membership, clients: Iterable[Client]) -> BulkOutcome:
    """Archive many clients as client_archive does one, in a fixed number of queries (but a
    few per client registered on Peppol, which is deregistered)."""
    require_role(membership.can_create_clients)
    clients = list(clients)
    ids = clients_status_change(
        firm_id=membership.firm_id,
        client_ids=[client.pk for client in clients],
        status=ClientStatus.ARCHIVED,
        actor=membership.user,
        source=HistorySource.STAFF,
    )
    return BulkOutcome(done=len(ids), skipped=len(clients) - len(ids))


@transaction.atomic
def clients_bulk_delete(*, membership: Membership, clients: Iterable[Client]) -> BulkOutcome:
    """Delete the Drafts among the clients; the others are skipped and counted. A fixed
    number of queries, whatever the selection's size."""
    require_role(membership.can_delete_clients)
    clients = list(clients)
    drafts = list(
        Client.objects.select_for_update()
        .filter(
            pk__in=[client.pk for client in clients],
            firm_id=membership.firm_id,
            status=ClientStatus.DRAFT,
        )
        .only("pk", "legal_name", "company_number", "vat_number", "external_reference")
    )
    refused = events.deletion_refusals([client.pk for client in drafts])
    drafts = [client for client in drafts if client.pk not in refused]
    _deletions_audit(membership, drafts)
    Client.objects.filter(pk__in=[client.pk for client in drafts]).delete()
    return BulkOutcome(done=len(drafts), skipped=len(clients) - len(drafts))
