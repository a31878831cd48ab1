"""How Peppol reacts to a client's changes (clients.events); registered in PeppolConfig.ready."""

from collections.abc import Mapping

from django.utils.translation import gettext as _

from partnerspace.clients import events
from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.services import client_details_owned_by_client
from partnerspace.clients.validation import COMPANY_NUMBERS
from partnerspace.core.errors import Conflict, ServiceError
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


def on_details_changing(event: events.DetailsChanging) -> None:
    """A published client is published under identifiers built from its numbers and country:
    they stay until it is deregistered, whatever the door, as its mandate does. The other
    firms' records of a linked company follow a change of its numbers
    (companies.services.company_numbers_change): not while one of them is published."""
    changed = [change["field"] for change in event.changes if change["field"] in IDENTITY_FIELDS]
    if not changed:
        return
    client = event.client
    if published_among([client.pk]):
        raise still_published(client, field=changed[0])
    numbers = [field for field in changed if field in COMPANY_NUMBERS]
    # The records that follow it: those of an Active client linked to its company, as
    # companies.handlers sends the numbers on (an archived record follows nothing).
    company_id = client.company_id
    if numbers and company_id is not None and client_details_owned_by_client(client):
        followers = Client.objects.filter(
            company_id=company_id, status=ClientStatus.ACTIVE
        ).exclude(pk=client.pk)
        if published_among(followers.values_list("pk", flat=True)):
            # Names no firm: nobody learns another firm's clients from a refusal.
            raise Conflict(
                "registered_by_a_linked_firm",
                _(
                    "Another accounting firm this company works with has registered it on "
                    "Peppol under these numbers: they can change once that firm deregisters it."
                ),
                field=numbers[0],
            )


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
    events.details_change_refusals.register(on_details_changing)
    events.client_deletion_refusals.register(on_clients_deleting)
