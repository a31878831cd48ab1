"""Which staff members are assigned to a client: one client, or many at once."""

from collections.abc import Iterable

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from partnerspace.clients.counts import clients_changed
from partnerspace.clients.history import (
    histories_record,
    history_record,
)
from partnerspace.clients.models import (
    Client,
    ClientAssignment,
    HistorySource,
)
from partnerspace.core.bulk import BulkOutcome
from partnerspace.core.errors import (
    FieldError,
    ValidationFailed,
    require_role,
)
from partnerspace.firms.models import Membership


def memberships_of_firm(firm_id: int, membership_ids: Iterable[int]) -> list[Membership]:
    wanted = {int(pk) for pk in membership_ids}
    found = list(Membership.objects.filter(firm_id=firm_id, pk__in=wanted).select_related("user"))
    if len(found) != len(wanted):
        raise ValidationFailed(
            [FieldError("assigned_users", "unknown_user", _("Choose staff members of this firm."))]
        )
    return found


@transaction.atomic
def client_assignments_set(
    *,
    membership: Membership,
    client: Client,
    membership_ids: Iterable[int],
    source: str = HistorySource.STAFF,
) -> Client:
    """Make exactly these staff members the client's assigned people."""
    require_role(membership.sees_all_clients)
    client = get_object_or_404(Client.objects.select_for_update(), pk=client.pk)
    wanted = {m.pk: m for m in memberships_of_firm(client.firm_id, membership_ids)}
    current = {a.membership_id: a for a in client.assignments.select_related("membership__user")}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(client=client, membership=m) for m in added]
    )
    ClientAssignment.objects.filter(pk__in=[a.pk for a in removed]).delete()
    clients_changed(firm_ids=[client.firm_id])  # an accountant's counts
    changes = [{"field": "assigned", "old": None, "new": str(m.user)} for m in added]
    changes += [{"field": "assigned", "old": str(a.membership.user), "new": None} for a in removed]
    if changes:
        history_record(
            client=client,
            actor=membership.user,
            source=source,
            action="assignment_changed",
            changes=changes,
        )
    return client


@transaction.atomic
def clients_bulk_assign(
    *, membership: Membership, clients: Iterable[Client], membership_ids: Iterable[int]
) -> BulkOutcome:
    """Add staff members to many clients at once (already assigned ones are left alone)."""
    return _bulk_assignments(membership, clients, membership_ids, assign=True)


@transaction.atomic
def clients_bulk_unassign(
    *, membership: Membership, clients: Iterable[Client], membership_ids: Iterable[int]
) -> BulkOutcome:
    """Take staff members off many clients at once (clients they were not on are skipped)."""
    return _bulk_assignments(membership, clients, membership_ids, assign=False)


def _bulk_assignments(
    membership: Membership,
    clients: Iterable[Client],
    membership_ids: Iterable[int],
    *,
    assign: bool,
) -> BulkOutcome:
    """A fixed number of queries whatever the selection: "select all" may hold 10,000."""
    require_role(membership.sees_all_clients)
    people = memberships_of_firm(membership.firm_id, membership_ids)
    if not people:
        raise ValidationFailed(
            [FieldError("staff", "no_staff_chosen", _("Choose at least one staff member."))]
        )
    selected = list(clients)
    # The firm's own clients only, locked: a concurrent change cannot insert the same pair.
    ids = list(
        Client.objects.select_for_update()
        .filter(pk__in=[client.pk for client in selected], firm_id=membership.firm_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    existing = set(
        ClientAssignment.objects.filter(client_id__in=ids, membership__in=people).values_list(
            "client_id", "membership_id"
        )
    )
    changed: dict[int, list[Membership]] = {}
    for client_id in ids:
        changing = [p for p in people if ((client_id, p.pk) in existing) != assign]
        if changing:
            changed[client_id] = changing
    if assign:
        ClientAssignment.objects.bulk_create(
            [
                ClientAssignment(client_id=client_id, membership=person)
                for client_id, changing in changed.items()
                for person in changing
            ],
            batch_size=1000,
        )
    else:
        ClientAssignment.objects.filter(client_id__in=list(changed), membership__in=people).delete()
    clients_changed(firm_ids=[membership.firm_id])  # an accountant's counts
    histories_record(
        entries=(
            (
                client_id,
                "assignment_changed",
                [
                    {
                        "field": "assigned",
                        "old": None if assign else str(person.user),
                        "new": str(person.user) if assign else None,
                    }
                    for person in changing
                ],
            )
            for client_id, changing in changed.items()
        ),
        actor=membership.user,
        source=HistorySource.STAFF,
    )
    return BulkOutcome(done=len(changed), skipped=len(selected) - len(changed))


def assign_also(
    membership: Membership, client: Client, people: list[Membership], source: str
) -> None:
    if not people:
        return
    existing = set(client.assignments.values_list("membership_id", flat=True))
    new = [person for person in people if person.pk not in existing]
    if not new:
        return
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(client=client, membership=p) for p in new]
    )
    clients_changed(firm_ids=[client.firm_id])  # an accountant's counts
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="assignment_changed",
        changes=[{"field": "assigned", "old": None, "new": str(p.user)} for p in new],
    )
