"""How a company's own record reacts to a client's changes (clients.events); registered in
CompaniesConfig.ready."""

from partnerspace.clients import events
from partnerspace.clients.services import client_details_owned_by_client
from partnerspace.clients.validation import COMPANY_NUMBERS


def on_details_changed(event: events.DetailsChanged) -> None:
    """The numbers are the firm's to change; a linked company's own record follows."""
    from partnerspace.companies.services import company_numbers_change

    client = event.client
    if client_details_owned_by_client(client) and any(
        change["field"] in COMPANY_NUMBERS for change in event.changes
    ):
        company_numbers_change(
            client=client, numbers={name: getattr(client, name) for name in COMPANY_NUMBERS}
        )


def handlers_register() -> None:
    events.details_changed.register(on_details_changed)
