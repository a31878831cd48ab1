"""partnerspace import_undo ID [--dry-run]: undo a whole import, as its page does.

Exit status: 0 when done (or planned, with --dry-run), 2 when the import cannot be undone
(unknown, already undone, still running, nothing written, or too old).
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from partnerspace.accounts.models import email_key
from partnerspace.core.errors import ServiceError
from partnerspace.firms.models import Membership
from partnerspace.imports.columns import LANGUAGES
from partnerspace.imports.models import ImportJob
from partnerspace.imports.services import import_undo_run
from partnerspace.imports.undo import UndoPlan

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = (
        "Undo a whole import (its id: import_clients --json prints it): the clients it "
        "created and nobody changed since are deleted, those it updated get their earlier "
        "values back, and those changed since are left alone and listed. Exit status 0: "
        "done; 2: the import cannot be undone."
    )

    def add_arguments(self, parser):
        parser.add_argument("import_id", metavar="ID", type=int, help="the import's id")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what the undo would do, change nothing"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--actor",
            metavar="EMAIL",
            help="the administrator or client manager the undo is recorded for",
        )
        parser.add_argument(
            "--language",
            choices=LANGUAGES,
            default="nl",
            help="language of the messages (default nl)",
        )

    def handle(self, *args, **options):
        with translation.override(options["language"]):
            code = self._undo(options)
        if code:
            sys.exit(code)

    def _undo(self, options) -> int:
        job = ImportJob.objects.select_related("firm").filter(pk=options["import_id"]).first()
        if job is None:
            raise CommandError(
                _("There is no import %(id)s.") % {"id": options["import_id"]},
                returncode=EXIT_REFUSED,
            )
        actor = self._actor(job, options["actor"])
        try:
            plan = import_undo_run(job=job, actor=actor, dry_run=options["dry_run"])
        except ServiceError as refusal:
            if options["json"]:
                self.stdout.write(json.dumps({"id": job.pk, "code": refusal.code,
                                              "message": str(refusal.message)}))  # fmt: skip
            else:
                self.stderr.write(str(refusal.message))
            return EXIT_REFUSED
        if options["json"]:
            data = {"id": job.pk, "dry_run": options["dry_run"], **plan.as_json()}
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        else:
            self._print_summary(plan, dry_run=options["dry_run"])
        return 0

    def _actor(self, job: ImportJob, email: str | None):
        if not email:
            return None
        membership = (
            Membership.objects.select_related("user")
            .filter(firm_id=job.firm_id, user__email=email_key(email))
            .first()
        )
        if membership is None or not membership.can_create_clients:
            raise CommandError(
                _("%(email)s is not an administrator or client manager of %(firm)s.")
                % {"email": email, "firm": job.firm.slug},
                returncode=EXIT_REFUSED,
            )
        return membership.user

    def _print_summary(self, plan: UndoPlan, *, dry_run: bool) -> None:
        counts = {
            "deleted": plan.deleted,
            "restored": plan.restored,
            "left_alone": plan.left_alone,
        }
        if dry_run:
            line = _(
                "Nothing changed yet. The undo would delete %(deleted)s clients, restore "
                "%(restored)s and leave %(left_alone)s alone."
            )
        else:
            line = _(
                "Import undone: %(deleted)s clients deleted, %(restored)s restored, "
                "%(left_alone)s left alone."
            )
        self.stdout.write(line % counts)
        for kept in plan.kept:
            self.stdout.write(f"{kept['name']} ({kept['id']}): {kept['message']}")
