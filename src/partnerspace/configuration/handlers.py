"""How configuration reacts to a client's changes (clients.events); registered in
ConfigurationConfig.ready."""

from partnerspace.clients import events


def on_client_created(event: events.ClientCreated) -> None:
    """A client made from a template starts with its staff and integrations."""
    from partnerspace.configuration.services import template_apply

    if event.template is not None:
        template_apply(
            clients=[event.client], template=event.template, actor=event.actor, source=event.source
        )


def handlers_register() -> None:
    events.client_created.register(on_client_created)
