from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeppolConfig(AppConfig):
    name = "partnerspace.peppol"
    label = "peppol"
    verbose_name = _("Peppol")
