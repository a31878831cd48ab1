from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "partnerspace.invitations"
    label = "invitations"
    verbose_name = _("Invitations")

    def ready(self) -> None:
        from partnerspace.invitations.handlers import handlers_register

        # Reactions to a client's changes (clients.events): clients itself imports nothing
        # from this app.
        handlers_register()
