from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compile the project's .po files into .mo files with Babel, so a fresh machine "
        "needs no GNU gettext to run the site. Only files whose .po is newer are rebuilt."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Path(apps.get_app_config("core").path).parent
        compiled = 0
        for po_path in sorted(project.glob("*/locale/*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, abort_invalid=True)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)
            compiled += 1
        if compiled:
            self.stdout.write(f"Compiled {compiled} translation catalogue(s).")
