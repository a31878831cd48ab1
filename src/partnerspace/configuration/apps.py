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

        from django.db.models.signals import post_delete, post_save

        from partnerspace.configuration.models import ConfigurationTemplate

        # The client list's filter of templates (firms.choices).
        post_save.connect(
            _template_changed, sender=ConfigurationTemplate, dispatch_uid="templates-choices"
        )
        post_delete.connect(
            _template_changed, sender=ConfigurationTemplate, dispatch_uid="templates-choices-gone"
        )


def _template_changed(sender, instance, **kwargs) -> None:
    from partnerspace.firms.choices import firm_choices_changed

    firm_choices_changed(firm_ids=[instance.firm_id])
