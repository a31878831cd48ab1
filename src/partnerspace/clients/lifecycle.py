"""A client's status and mandate change here, and nowhere else.

Every door (a staff page, the API, a bulk action, the import, an invitation accepted, the
company ending the link from its own space) changes a client's status through
`client_status_change` (one client) or `clients_status_change` (many, in a fixed number of
queries), and its Peppol mandate through `client_mandate_set`. Each writes the history row
with the door as its source and tells the apps that react (clients.events): an archive
withdraws the open invitations and deregisters the client from Peppol, whatever the door.

No role check here: the service of each door checks who may go through it.
"""

from collections.abc import Iterable

from django.utils import timezone

from partnerspace.clients import events
from partnerspace.clients.counts import clients_changed
from partnerspace.clients.history import differences, histories_record, history_record, snapshot
from partnerspace.clients.models import Client, ClientStatus, HistorySource

MANDATE_FIELDS = ("peppol_mandate", "mandate_confirmed_at", "mandate_confirmed_by", "updated_at")


def client_status_change(
    *, client: Client, status: str, actor, source: str, action: str = "status_changed"
) -> Client:
    """Give one client (locked by the caller) a new status, recorded as `action`.

    Archived by the company itself (source `client`) marks the client `archived_by_client`;
    any other change clears it.
    """
    if client.status == status:
        return client
    old = client.status
    client.status = status
    client.archived_by_client = _by_client(status, source)
    client.updated_at = timezone.now()
    client.save(update_fields=["status", "archived_by_client", "updated_at"])
    history_record(
        client=client,
        actor=actor,
        source=source,
        action=action,
        changes=[{"field": "status", "old": old, "new": status}],
    )
    if status == ClientStatus.ARCHIVED:
        events.client_archived.send(
            events.ClientsArchived(
                firm_id=client.firm_id, client_ids=(client.pk,), actor=actor, source=source
            )
        )
    return client


def clients_status_change(
    *,
    firm_id: int,
    client_ids: Iterable[int],
    status: str,
    actor,
    source: str,
    action: str = "status_changed",
) -> list[int]:
    """The same for many clients of one firm, in a fixed number of queries: those that have
    the status already are left alone. Returns the ids of the clients changed."""
    old_status = dict(
        Client.objects.select_for_update()
        .filter(pk__in=list(client_ids), firm_id=firm_id)
        .exclude(status=status)
        .order_by("pk")
        .values_list("pk", "status")
    )
    ids = list(old_status)
    if not ids:
        return []
    now = timezone.now()
    Client.objects.filter(pk__in=ids).update(
        status=status, archived_by_client=_by_client(status, source), updated_at=now
    )
    clients_changed(firm_ids=[firm_id])  # past the ORM's signals: the tab counts
    histories_record(
        entries=(
            (pk, action, [{"field": "status", "old": old, "new": status}])
            for pk, old in old_status.items()
        ),
        actor=actor,
        source=source,
        at=now,
    )
    if status == ClientStatus.ARCHIVED:
        events.client_archived.send(
            events.ClientsArchived(
                firm_id=firm_id, client_ids=tuple(ids), actor=actor, source=source
            )
        )
    return ids


def _by_client(status: str, source: str) -> bool:
    return status == ClientStatus.ARCHIVED and source == HistorySource.CLIENT


def mandate_change_check(*, client: Client, confirmed: bool, actor, source: str) -> None:
    """Ask the apps that react whether the mandate may change (Peppol refuses a withdrawal
    while the client has something at the SMP); a refusal raises."""
    events.mandate_changed.send(
        events.MandateChanged(client=client, confirmed=confirmed, actor=actor, source=source)
    )


def mandate_confirmation_follow(client: Client, actor) -> None:
    """The confirmation (who, when) follows the box: set when ticked, cleared when not.
    The caller asked mandate_change_check first."""
    client.mandate_confirmed_at = client.updated_at if client.peppol_mandate else None
    client.mandate_confirmed_by = actor if client.peppol_mandate else None


def client_mandate_set(*, client: Client, confirmed: bool, actor, source: str) -> Client:
    """Confirm (from now, by `actor`) or withdraw the firm's Peppol mandate for one client,
    locked by the caller; recorded as mandate_confirmed or mandate_withdrawn."""
    mandate_change_check(client=client, confirmed=confirmed, actor=actor, source=source)
    before = snapshot(client, ("peppol_mandate",))
    client.peppol_mandate = confirmed
    client.updated_at = timezone.now()
    mandate_confirmation_follow(client, actor)
    client.save(update_fields=list(MANDATE_FIELDS))
    history_record(
        client=client,
        actor=actor,
        source=source,
        action="mandate_confirmed" if confirmed else "mandate_withdrawn",
        changes=differences(before, snapshot(client, ("peppol_mandate",))),
    )
    return client
