"""The client list's tab counts (Actief, Niet actief, Alle and per status) without counting
a large firm's clients on every page.

Counting 100,000 clients by status costs PostgreSQL about 30 ms. A firm's counts change only
when its clients do, so they are kept in the cache under the firm's `clients_version`, which
every committed change to its clients raises (`clients_changed`). The version lives in the
firm's row, which every page reads anyway (with the membership): every web process, on every
machine, sees a change with the next request, whatever cache it has; a version no one asks for
again simply ages out of the cache.

What changes a count: a client added, deleted or given another status, and, for an
accountant who sees only their own clients, an assignment added or removed. The ORM's
signals say so for a client saved or deleted and an assignment saved; `core.bulk.rows_inserted`
for the rows an import writes; a service that writes past them (QuerySet.update,
bulk_create, deleting assignments: a post_delete receiver would make Django delete them one
by one) calls `clients_changed` itself.
"""

from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save

from partnerspace.core.versions import version_raise
from partnerspace.firms.models import Firm, Membership


def clients_changed(*, firm_ids: Iterable[int]) -> None:
    """Raise the firms' clients_version once the current transaction commits (at once
    outside one): the next page counts again (core.versions)."""
    version_raise(Firm, "clients_version", ids=firm_ids)


def _client_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    if created or update_fields is None or "status" in update_fields:
        clients_changed(firm_ids=[instance.firm_id])


def _client_deleted(sender, instance, **kwargs) -> None:
    clients_changed(firm_ids=[instance.firm_id])


def _assignment_changed(sender, instance, **kwargs) -> None:
    firm_id = Membership.objects.filter(pk=instance.membership_id).values_list("firm_id", flat=True)
    clients_changed(firm_ids=firm_id)


def _rows_inserted(sender, fields, rows, **kwargs) -> None:
    from partnerspace.clients.models import Client, ClientAssignment

    if sender is Client:
        column = list(fields).index("firm") if "firm" in fields else list(fields).index("firm_id")
        clients_changed(firm_ids={row[column] for row in rows})
    elif sender is ClientAssignment:
        column = (
            list(fields).index("membership")
            if "membership" in fields
            else list(fields).index("membership_id")
        )
        memberships = {row[column] for row in rows}
        clients_changed(
            firm_ids=Membership.objects.filter(pk__in=memberships)
            .values_list("firm_id", flat=True)
            .distinct()
        )


def connect_signals() -> None:
    from partnerspace.clients.models import Client, ClientAssignment
    from partnerspace.core.bulk import rows_inserted

    post_save.connect(_client_saved, sender=Client, dispatch_uid="clients-counts-saved")
    post_delete.connect(_client_deleted, sender=Client, dispatch_uid="clients-counts-deleted")
    post_save.connect(
        _assignment_changed, sender=ClientAssignment, dispatch_uid="clients-counts-assignment"
    )
    rows_inserted.connect(_rows_inserted, dispatch_uid="clients-counts-rows-inserted")
