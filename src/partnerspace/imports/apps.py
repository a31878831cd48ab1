from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "partnerspace.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from partnerspace.core.recovery import recovery_register
        from partnerspace.imports.recovery import import_undos_recover, imports_recover
        from partnerspace.imports.retention import uploads_sweep

        # Every worker resumes imports and undos whose process died, and deletes the uploads kept
        # long enough: no cron needed beside it.
        recovery_register(imports_recover)
        recovery_register(import_undos_recover)
        recovery_register(uploads_sweep)
