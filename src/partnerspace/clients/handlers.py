"""How clients react to a change below them (firms.events); registered in ClientsConfig.ready."""

from partnerspace.clients.history import histories_record
from partnerspace.clients.models import ClientAssignment, HistorySource
from partnerspace.firms import events


def on_membership_removing(event: events.MembershipRemoving) -> None:
    """Deleting the membership deletes its client assignments: each of those clients' history
    says who was unassigned, by whom and when, as assigning by hand does."""
    membership = event.membership
    client_ids = ClientAssignment.objects.filter(membership=membership).values_list(
        "client_id", flat=True
    )
    changes = [{"field": "assigned", "old": str(membership.user), "new": None}]
    # One INSERT: a person can be assigned to thousands of clients.
    histories_record(
        entries=((client_id, "assignment_changed", changes) for client_id in client_ids),
        actor=event.actor,
        source=HistorySource.STAFF,
    )


def handlers_register() -> None:
    events.membership_removing.register(on_membership_removing)
