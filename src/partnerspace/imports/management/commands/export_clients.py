"""partnerspace export_clients --firm SLUG OUT.xlsx: the firm's clients in the template's
columns, to edit and import again in update mode."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from partnerspace.clients.models import Client
from partnerspace.firms.models import Firm
from partnerspace.imports.columns import LANGUAGES
from partnerspace.imports.export import export_workbook


class Command(BaseCommand):
    help = "Write a firm's clients to an .xlsx file in the columns of the import template."

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT.xlsx", help="the file to write")
        parser.add_argument("--firm", required=True, metavar="SLUG", help="the firm's slug")
        parser.add_argument(
            "--language",
            choices=LANGUAGES,
            default="nl",
            help="language of the headers and of Ja/Nee (default nl)",
        )

    def handle(self, *args, out, firm, language, **options):
        with translation.override(language):
            found = Firm.objects.filter(slug=firm).first()
            if found is None:
                raise CommandError(_("There is no firm %(slug)s.") % {"slug": firm})
            content = export_workbook(firm=found, language=language)
            try:
                Path(out).write_bytes(content)
            except OSError as error:
                raise CommandError(
                    _("Cannot write %(file)s: %(error)s") % {"file": out, "error": error.strerror}
                ) from None
            count = Client.objects.filter(firm=found).count()
            self.stdout.write(
                _("%(count)s clients written to %(file)s.") % {"count": count, "file": out}
            )
