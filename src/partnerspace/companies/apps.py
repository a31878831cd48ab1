from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "partnerspace.companies"
    label = "companies"
    verbose_name = _("Companies")

    def ready(self) -> None:
        from partnerspace.companies.handlers import handlers_register

        # Reactions to a client's changes (clients.events): clients itself imports nothing
        # from this app.
        handlers_register()
