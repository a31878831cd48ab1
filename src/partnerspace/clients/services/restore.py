"""Taking back what one operation did to clients (an import undone): the Drafts it created
deleted, the values it changed written back from the history.

The door that undoes decides which clients, and checks who may (imports.services.import_undo);
these services write, record and refuse as every other change of a client does.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.accounts.models import User
from partnerspace.clients import events
from partnerspace.clients.history import contact_label, differences, histories_record, snapshot
from partnerspace.clients.models import Client, ClientStatus, Contact
from partnerspace.clients.search import IDENTIFIER_FIELDS, client_search_fields
from partnerspace.clients.services.clients import (
    ContactChange,
    _refuse_owned_by_client,
    client_change,
    deletions_audit,
    mandate_change_follow,
    not_draft_refusal,
)
from partnerspace.clients.services.duplicates import duplicate_conflict
from partnerspace.clients.services.results import ClientResult
from partnerspace.clients.validation import CLIENT_FIELDS, CONTACT_FIELDS, client_clean
from partnerspace.core.bulk import db_datetime, update_rows
from partnerspace.core.errors import Conflict, ServiceError, ValidationFailed

# The columns a batched restore writes of each client: its details, when it changed, the
# mandate's confirmation that follows the box, and the derived search fields.
_WRITTEN = (
    *CLIENT_FIELDS, "updated_at", "mandate_confirmed_at", "mandate_confirmed_by",
    "search_text", "sort_name", "identity_key",
)  # fmt: skip
_CONTACT_WRITTEN = (*CONTACT_FIELDS, "is_primary")


@transaction.atomic
def clients_drafts_delete(
    *,
    firm_id: int,
    actor: User | None,
    client_ids: Iterable[int],
    audit_data: dict[str, Any] | None = None,
) -> tuple[list[int], dict[int, ServiceError]]:
    """Delete those of `client_ids` that are Drafts of the firm, with their contacts, staff
    assignments, integration links and history; a line each in the firm's audit log (with
    `audit_data`: why). A fixed number of queries, whatever the number of clients.

    Returns the ids deleted, and the refusals by id: a client no longer a Draft, or one an
    app keeps (clients.events.client_deletion_refusals). No role check: the door's service
    checks who may."""
    wanted = list(client_ids)
    found = list(
        Client.objects.select_for_update()
        .filter(pk__in=wanted, firm_id=firm_id)
        .only("pk", "legal_name", "status", "company_number", "vat_number", "external_reference")
        .order_by("pk")
    )
    refused: dict[int, ServiceError] = {
        client.pk: not_draft_refusal(client)
        for client in found
        if client.status != ClientStatus.DRAFT
    }
    drafts = [client for client in found if client.pk not in refused]
    refused.update(events.deletion_refusals([client.pk for client in drafts]))
    drafts = [client for client in drafts if client.pk not in refused]
    deletions_audit(firm_id=firm_id, actor=actor, clients=drafts, data=audit_data)
    ids = [client.pk for client in drafts]
    Client.objects.filter(pk__in=ids).delete()
    return ids, refused


def restore_values(changes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The client's fields as they were before a history row's change."""
    return {
        change["field"]: change["old"] for change in changes if change["field"] in CLIENT_FIELDS
    }


@transaction.atomic
def client_values_restore(
    *,
    client: Client,
    changes: Sequence[Mapping[str, Any]],
    actor: User | None,
    source: str,
    action: str,
    may_change_mandate: bool = True,
) -> ClientResult:
    """Write back the values a history row's `changes` replaced (its "old" ones), through the
    client's one update (client_change: the rules, duplicates and mandate checks), recorded
    as `action`. The contact that change wrote gets its values back; one it added goes.

    Refuses (ServiceError, ValidationFailed) what client_change refuses, and a contact that
    is gone or whose earlier values the history does not hold."""
    contact_change = None
    line = next((change for change in changes if change["field"] == "contact"), None)
    if line is not None:
        contact = Contact.objects.filter(pk=line.get("contact_id") or 0, client=client).first()
        if contact is None:
            raise Conflict(
                "contact_gone",
                _("The contact person this change wrote is no longer there."),
            )
        if line["old"] is None:
            contact_change = ContactChange(values={}, contact=contact, remove=True)
        elif line.get("before"):
            contact_change = ContactChange(values=dict(line["before"]), contact=contact)
        else:
            raise Conflict(
                "before_unknown",
                _("The history does not hold the contact person's earlier values."),
            )
    return client_change(
        client=client,
        data=restore_values(changes),
        actor=actor,
        source=source,
        numbers_follow=False,
        contact=contact_change,
        action=action,
        may_change_mandate=may_change_mandate,
    )


def restore_refusal(error: Exception) -> ServiceError:
    """A refusal of a restore as one ServiceError (code, message), whatever raised it."""
    if isinstance(error, ServiceError):
        return error
    if isinstance(error, ValidationFailed):
        return Conflict("refused", " ".join(str(item.message) for item in error.errors))
    return Conflict("refused", _("Another client has these details now."))


@transaction.atomic
def clients_values_restore(
    *,
    firm_id: int,
    restores: Sequence[tuple[int, Sequence[Mapping[str, Any]]]],
    actor: User | None,
    source: str,
    action: str,
    may_change_mandate: bool = True,
) -> dict[int, ServiceError]:
    """client_values_restore for many clients of one firm at once (client id, the history
    row's `changes`), in a fixed number of queries (but a few per client whose mandate
    changes, which Peppol is asked about): the same rules (client_clean), the same refusals
    (a linked client's own details, duplicates, a mandate the role may not change, a contact
    gone), the same reactions (details_changed) and one history row each, written together
    (histories_record). Returns the refusals by client id; the others are restored.

    Should the database refuse the batch (two of its clients now colliding, or a writer in
    between), it is rolled back and restored one client at a time, each refused as
    client_values_restore refuses it."""
    try:
        with transaction.atomic():
            return _restore_together(
                firm_id=firm_id,
                restores=restores,
                actor=actor,
                source=source,
                action=action,
                may_change_mandate=may_change_mandate,
            )
    except IntegrityError:
        pass
    refused: dict[int, ServiceError] = {}
    clients = Client.objects.in_bulk([client_id for client_id, _changes in restores])
    for client_id, changes in restores:
        client = clients.get(client_id)
        if client is None:
            continue
        try:
            with transaction.atomic():
                client_values_restore(
                    client=client,
                    changes=changes,
                    actor=actor,
                    source=source,
                    action=action,
                    may_change_mandate=may_change_mandate,
                )
        except (ServiceError, ValidationFailed, IntegrityError) as error:
            refused[client_id] = restore_refusal(error)
    return refused


@dataclass
class _Planned:
    """One client of a batched restore, checked and changed in memory, not yet written."""

    client: Client
    before: dict[str, Any]
    values: dict[str, Any]
    people: list[Contact]
    line: list[dict[str, Any]]
    gone: list[int]
    written: list[Contact]
    search: dict[str, str | None] = field(default_factory=dict)


def _restore_together(
    *,
    firm_id: int,
    restores: Sequence[tuple[int, Sequence[Mapping[str, Any]]]],
    actor: User | None,
    source: str,
    action: str,
    may_change_mandate: bool,
) -> dict[int, ServiceError]:
    clients = {
        client.pk: client
        for client in Client.objects.select_for_update(of=("self",))
        .select_related("firm")
        .filter(pk__in=[client_id for client_id, _changes in restores], firm_id=firm_id)
    }
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(client_id__in=list(clients)).order_by("pk"):
        contacts.setdefault(contact.client_id, []).append(contact)
    refused: dict[int, ServiceError] = {}
    planned: list[_Planned] = []
    # In client_values_restore's order: the contact the history names, the client's rules,
    # a linked client's own details, then the contact written.
    for client_id, changes in restores:
        client = clients.get(client_id)
        if client is None:
            continue
        people = contacts.get(client_id, [])
        try:
            line = next((change for change in changes if change["field"] == "contact"), None)
            named = _contact_named(line, people) if line is not None else None
            before = snapshot(client)
            merged = {name: before[name] for name in CLIENT_FIELDS}
            merged.update(restore_values(changes))
            company = client_clean(merged)
            _refuse_owned_by_client(client, company.values, numbers_too=True)
            entry = _Planned(client, before, company.values, people, [], [], [])
            if line is not None and named is not None:
                _contact_restore(entry, line, named)
        except (ServiceError, ValidationFailed) as error:
            refused[client_id] = restore_refusal(error)
            continue
        for name, value in company.values.items():
            setattr(client, name, value)
        entry.search = client_search_fields(client, entry.people)
        planned.append(entry)
    taken = _identifiers_taken(firm_id, planned)
    now = timezone.now()
    done: list[_Planned] = []
    entries: list[tuple[int, str, list[dict[str, Any]]]] = []
    for entry in planned:
        client = entry.client
        try:
            duplicates = _duplicates_of(entry, taken)
            if duplicates:
                raise duplicate_conflict(client.firm, duplicates)
            changes = differences(entry.before, snapshot(client))
            if not changes and not entry.line:
                continue
            events.details_change_refusals.send(
                events.DetailsChanging(client=client, changes=changes)
            )
            events.details_changed.send(
                events.DetailsChanged(client=client, changes=changes, actor=actor, source=source)
            )
            client.updated_at = now
            mandate_change_follow(
                client,
                mandate_before=entry.before["peppol_mandate"],
                actor=actor,
                source=source,
                may_change_mandate=may_change_mandate,
            )
        except ServiceError as error:
            refused[client.pk] = error
            continue
        for name, value in entry.search.items():
            setattr(client, name, value)
        done.append(entry)
        entries.append((client.pk, action, changes + entry.line))
    gone = [pk for entry in done for pk in entry.gone]
    if gone:
        Contact.objects.filter(pk__in=gone).delete()
    update_rows(
        Contact,
        _CONTACT_WRITTEN,
        [
            (*(getattr(contact, name) for name in _CONTACT_WRITTEN), contact.pk)
            for entry in done
            for contact in entry.written
        ],
    )
    update_rows(Client, _WRITTEN, [_client_row(entry.client) for entry in done])
    histories_record(entries=entries, actor=actor, source=source, at=now)
    return refused


def _contact_named(line: Mapping[str, Any], people: list[Contact]) -> Contact:
    """The contact a history row's contact line wrote, refused as client_values_restore
    refuses it: gone, or its earlier values unknown."""
    contact = next((c for c in people if c.pk == (line.get("contact_id") or 0)), None)
    if contact is None:
        raise Conflict(
            "contact_gone", _("The contact person this change wrote is no longer there.")
        )
    if line["old"] is not None and not line.get("before"):
        raise Conflict(
            "before_unknown", _("The history does not hold the contact person's earlier values.")
        )
    return contact


def _contact_restore(entry: _Planned, line: Mapping[str, Any], contact: Contact) -> None:
    """The contact's values back (or the contact the change added gone), in memory, and the
    line the history row gets: as the clients' _contact_write writes it."""
    old = contact_label(contact)
    if line["old"] is None:
        others = [person for person in entry.people if person.pk != contact.pk]
        if contact.is_primary or not others:
            raise Conflict("last_contact", _("A client keeps at least one contact person."))
        entry.people = others
        entry.gone.append(contact.pk)
        entry.line.append({"field": "contact", "old": old, "new": None})
        return
    values = dict(line["before"])
    if any(name not in _CONTACT_WRITTEN for name in values):
        raise IntegrityError("a contact field the batch does not write")  # one at a time
    before = {name: getattr(contact, name) for name in values}
    for name, value in values.items():
        setattr(contact, name, value)
    entry.written.append(contact)
    entry.line.append({"field": "contact", "old": old, "new": contact_label(contact),
                       "contact_id": contact.pk, "before": before})  # fmt: skip


_LOOKUPS = (*IDENTIFIER_FIELDS, "identity_key")


def _identifiers_taken(firm_id: int, planned: list[_Planned]) -> list[Client]:
    """The firm's clients holding an identifier one of `planned` will have: one query."""
    wanted: dict[str, set[str]] = {name: set() for name in _LOOKUPS}
    for entry in planned:
        for name in IDENTIFIER_FIELDS:
            if entry.values.get(name):
                wanted[name].add(entry.values[name])
        if entry.search.get("identity_key"):
            wanted["identity_key"].add(entry.search["identity_key"])  # type: ignore[arg-type]  # checked just above
    condition = Q()
    for name, values in wanted.items():
        if values:
            condition |= Q(**{f"{name}__in": sorted(values)})
    if not condition:
        return []
    return list(
        Client.objects.filter(condition, firm_id=firm_id).only("id", "legal_name", *_LOOKUPS)
    )


def _duplicates_of(entry: _Planned, taken: list[Client]) -> dict[str, Client]:
    """As clients.selectors.client_duplicates answers for one client, from `taken`."""
    lookups: dict[str, Any] = {
        name: entry.values.get(name) for name in IDENTIFIER_FIELDS if entry.values.get(name)
    }
    if entry.search.get("identity_key"):
        lookups["identity_key"] = entry.search["identity_key"]
    duplicates: dict[str, Client] = {}
    for other in taken:
        if other.pk == entry.client.pk:
            continue
        for name, value in lookups.items():
            if getattr(other, name) == value and name not in duplicates:
                duplicates[name] = other
    return duplicates


def _client_row(client: Client) -> tuple[Any, ...]:
    row: list[Any] = []
    for name in _WRITTEN:
        if name == "mandate_confirmed_by":
            row.append(client.mandate_confirmed_by_id)
        elif name in {"updated_at", "mandate_confirmed_at"}:
            row.append(db_datetime(getattr(client, name)))
        else:
            row.append(getattr(client, name))
    return (*row, client.pk)
