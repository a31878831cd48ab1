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
