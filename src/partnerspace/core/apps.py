from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "partnerspace.core"
    label = "core"
    verbose_name = _("Partner Space")

    def ready(self) -> None:
        from partnerspace.core.lookups import lookups_register

        lookups_register()
