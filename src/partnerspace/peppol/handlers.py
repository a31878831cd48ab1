"""How Peppol reacts to a client's changes (clients.events); registered in PeppolConfig.ready."""

from collections.abc import Mapping

from partnerspace.clients import events
from partnerspace.clients.models import Client
from partnerspace.core.errors import ServiceError
from partnerspace.peppol.published import published_among, still_published


def on_clients_archived(event: events.ClientsArchived) -> None:
    """The firm's link with the clients ended: their registration at its SMP goes."""
    from partnerspace.peppol.services.registration import peppol_clients_archived

    peppol_clients_archived(
        client_ids=list(event.client_ids), actor=event.actor, source=event.source
    )


def on_mandate_changed(event: events.MandateChanged) -> None:
    """A published client keeps its mandate until it is deregistered, whatever the door."""
    if not event.confirmed and published_among([event.client.pk]):
        raise still_published(event.client, field="peppol_mandate")


# What the client's Peppol identifiers are built from (peppol.identifiers).
IDENTITY_FIELDS = ("company_number", "vat_number", "country")


def on_details_changed(event: events.DetailsChanged) -> None:
    """A published client is published under identifiers built from its numbers and country:
    they stay until it is deregistered, whatever the door, as its mandate does."""
    changed = [change["field"] for change in event.changes if change["field"] in IDENTITY_FIELDS]
    if changed and published_among([event.client.pk]):
        raise still_published(event.client, field=changed[0])


def on_clients_deleting(event: events.ClientsDeleting) -> Mapping[int, ServiceError]:
    published = published_among(event.client_ids)
    if not published:
        return {}
    return {
        client.pk: still_published(client)
        for client in Client.objects.filter(pk__in=published).only("pk", "legal_name")
    }


def handlers_register() -> None:
    events.client_archived.register(on_clients_archived)
    events.mandate_changed.register(on_mandate_changed)
    events.details_changed.register(on_details_changed)
    events.client_deletion_refusals.register(on_clients_deleting)
