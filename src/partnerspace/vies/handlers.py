"""How VIES checks follow a client's changes (clients.events); registered in ViesConfig.ready.

Each handler only marks checks queued, in the change's transaction: VIES is asked by the
worker once it commits, so a check never slows down or refuses creating, importing or
inviting a client.
"""

from partnerspace.clients import events
from partnerspace.clients.models import Client
from partnerspace.vies.services import ToCheck, vat_checks_of_company_follow, vat_checks_queue


def on_client_created(event: events.ClientCreated) -> None:
    client = event.client
    vat_checks_queue(clients=[ToCheck(client.pk, client.firm_id, client.vat_number)])


def on_clients_imported(event: events.ClientsImported) -> None:
    rows = Client.objects.filter(pk__in=list(event.client_ids), firm_id=event.firm_id)
    vat_checks_queue(
        clients=[
            ToCheck(pk, event.firm_id, vat)
            for pk, vat in rows.exclude(vat_number=None).values_list("pk", "vat_number")
        ]
    )


def on_details_changed(event: events.DetailsChanged) -> None:
    """A new VAT number (from any door) is checked; sent before the client is saved, with its
    new values."""
    if not any(change["field"] == "vat_number" for change in event.changes):
        return
    client = event.client
    vat_checks_queue(
        clients=[
            ToCheck(client.pk, client.firm_id, client.vat_number),
            *vat_checks_of_company_follow(client=client),
        ]
    )


def handlers_register() -> None:
    events.client_created.register(on_client_created)
    events.clients_imported.register(on_clients_imported)
    events.details_changed.register(on_details_changed)
