from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ViesConfig(AppConfig):
    name = "partnerspace.vies"
    label = "vies"
    verbose_name = _("VIES VAT checks")

    def ready(self) -> None:
        from partnerspace.clients.listfilters import ListFilter, list_filter_register
        from partnerspace.core.recovery import recovery_register
        from partnerspace.vies.handlers import handlers_register
        from partnerspace.vies.selectors import (
            FILTER_CHOICES,
            FILTER_PARAM,
            clients_in_vies_state,
            vies_state_counts,
        )
        from partnerspace.vies.services import vat_checks_recover

        # Reactions to a client's changes (clients.events): clients imports nothing from here.
        handlers_register()
        # Checks whose wake-up was lost are taken up by the workers' recovery pass.
        recovery_register(vat_checks_recover)
        list_filter_register(
            ListFilter(
                param=FILTER_PARAM,
                label=_("VIES"),
                choices=FILTER_CHOICES,
                narrow=clients_in_vies_state,
                count=vies_state_counts,
            )
        )
