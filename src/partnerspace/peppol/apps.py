from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeppolConfig(AppConfig):
    name = "partnerspace.peppol"
    label = "peppol"
    verbose_name = _("Peppol")

    def ready(self) -> None:
        from partnerspace.peppol.handlers import handlers_register

        # Reactions to a client's changes (clients.events): clients itself imports nothing
        # from this app.
        handlers_register()

        from partnerspace.clients.listfilters import ListFilter, list_filter_register
        from partnerspace.peppol.selectors import (
            LIST_FILTER_CHOICES,
            LIST_FILTER_PARAM,
            clients_by_peppol_state,
        )

        list_filter_register(
            ListFilter(
                param=LIST_FILTER_PARAM,
                label=_("Peppol"),
                choices=LIST_FILTER_CHOICES,
                narrow=clients_by_peppol_state,
            )
        )
