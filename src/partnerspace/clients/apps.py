from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "partnerspace.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from partnerspace.clients.counts import connect_signals

        post_migrate.connect(_repair_search_index, sender=self)
        connect_signals()

        from partnerspace.clients.handlers import handlers_register

        # Reactions to a change below clients (firms.events).
        handlers_register()

        from partnerspace.clients.listfilters import ListFilter, list_filter_register
        from partnerspace.clients.selectors import (
            CONTACT_FILTER_CHOICES,
            CONTACT_FILTER_PARAM,
            clients_by_contact_email,
        )

        # No counts: a contact's e-mail changes without raising the firm's clients_version,
        # so a large firm's cached counts would go stale.
        list_filter_register(
            ListFilter(
                param=CONTACT_FILTER_PARAM,
                label=_("Primary contact"),
                choices=CONTACT_FILTER_CHOICES,
                narrow=clients_by_contact_email,
            )
        )


def _repair_search_index(sender, using, **kwargs) -> None:
    from django.db import connections

    from partnerspace.clients.search import search_index_repair

    search_index_repair(connections[using])
