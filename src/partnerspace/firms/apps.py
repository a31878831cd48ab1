from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FirmsConfig(AppConfig):
    name = "partnerspace.firms"
    label = "firms"
    verbose_name = _("Firms")

    def ready(self) -> None:
        from partnerspace.firms.choices import connect_signals

        connect_signals()
