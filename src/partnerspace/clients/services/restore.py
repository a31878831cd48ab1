"""Taking back what one operation did to clients (an import undone): the Drafts it created
deleted, the values it changed written back from the history.

The door that undoes decides which clients, and checks who may (imports.services.import_undo);
these services write, record and refuse as every other change of a client does.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from partnerspace.accounts.models import User
from partnerspace.clients import events
from partnerspace.clients.models import Client, ClientStatus, Contact
from partnerspace.clients.services.clients import (
    ContactChange,
    client_change,
    deletions_audit,
)
from partnerspace.clients.services.results import ClientResult
from partnerspace.clients.validation import CLIENT_FIELDS
from partnerspace.core.errors import Conflict, ServiceError


def not_draft_refusal(client_name: str, status_label: str) -> Conflict:
    return Conflict(
        "not_draft",
        _("Only a client in Draft can be deleted; %(client)s is %(status)s.")
        % {"client": client_name, "status": status_label.lower()},
    )


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
        client.pk: not_draft_refusal(client.legal_name, client.get_status_display())
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
