from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "partnerspace.register"
    label = "register"
    verbose_name = _("Company register")

    def ready(self) -> None:
        from partnerspace.clients.listfilters import ListFilter, list_filter_register
        from partnerspace.register.selectors import (
            CHANGES_FILTER_CHOICES,
            CHANGES_FILTER_PARAM,
            QUALITY_FILTER_CHOICES,
            QUALITY_FILTER_PARAM,
            clients_by_open_changes,
            clients_by_register_quality,
        )

        list_filter_register(
            ListFilter(
                param=CHANGES_FILTER_PARAM,
                label=_("KBO register"),
                choices=CHANGES_FILTER_CHOICES,
                narrow=clients_by_open_changes,
            )
        )
        list_filter_register(
            ListFilter(
                param=QUALITY_FILTER_PARAM,
                label=_("Data in the KBO"),
                choices=QUALITY_FILTER_CHOICES,
                narrow=clients_by_register_quality,
            )
        )
