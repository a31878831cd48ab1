"""How invitations react to a client's changes (clients.events); registered in
InvitationsConfig.ready."""

from django.utils import timezone

from partnerspace.clients import events
from partnerspace.invitations.models import Invitation


def on_clients_archived(event: events.ClientsArchived) -> None:
    """The link ends: an invitation still open must not make the client Active again."""
    Invitation.objects.filter(
        client_id__in=list(event.client_ids),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        replaced_at__isnull=True,
    ).update(revoked_at=timezone.now())


def handlers_register() -> None:
    events.client_archived.register(on_clients_archived)
