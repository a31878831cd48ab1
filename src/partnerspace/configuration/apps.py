from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigurationConfig(AppConfig):
    name = "partnerspace.configuration"
    label = "configuration"
    verbose_name = _("Configuration")

    def ready(self) -> None:
        from partnerspace.configuration.handlers import handlers_register

        # Reactions to a client's changes (clients.events): clients itself imports nothing
        # from this app.
        handlers_register()
