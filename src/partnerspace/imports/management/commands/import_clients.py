"""partnerspace import_clients --firm SLUG FILE: the import of the page, from the command line.

Exit status: 0 when no row was refused, 1 when some were, 2 when the file itself was refused
(or the command could not start: an unknown firm or person, a file that cannot be opened),
3 when the import stopped on an error on our side (the batches written before it stay
written: the same command with --update goes on with the rest).
"""

import json
import logging
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerspace.accounts.models import email_key
from partnerspace.clients.history import history_operation
from partnerspace.core.errors import ValidationFailed
from partnerspace.firms.models import Firm, Membership
from partnerspace.imports.columns import COLUMN_BY_KEY, LANGUAGES
from partnerspace.imports.mapping import (
    RAW_HEADERS,
    HeaderRules,
    file_columns,
    sheet_split,
    suggest,
)
from partnerspace.imports.models import ImportMode
from partnerspace.imports.outcomes import WARNINGS, outcome_counts
from partnerspace.imports.pipeline import Importer, Outcome
from partnerspace.imports.reading import ENCODING_NAMES, FileProblem, Sheet, read_table
from partnerspace.imports.report import error_report_bytes
from partnerspace.imports.services import (
    import_job_record,
    import_mapping_check,
    import_token,
    mapping_sheet,
)
from partnerspace.imports.undo import import_operation

EXIT_REFUSED_ROWS = 1
EXIT_REFUSED_FILE = 2
EXIT_CRASHED = 3

logger = logging.getLogger(__name__)
# The human summary lists this many errors; --json and --report hold them all.
LISTED_ERRORS = 50
# The keys of the --json summary, as the issue gives them.
JSON_KEYS = ("rows", "created", "updated", "refused", "errors", "warnings")


class Command(BaseCommand):
    help = (
        "Import clients into a firm from an .xlsx, .xls, .ods or .csv file, with the rules of "
        "the import page. Exit status 0: no row refused; 1: some rows refused; 2: the file "
        "was refused; 3: the import stopped on an error (what was written stays: run it again "
        "with --update)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="the file to import")
        parser.add_argument("--firm", required=True, metavar="SLUG", help="the firm's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, write no client"
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="update the clients a row matches (by enterprise number, VAT number or "
            "external reference) instead of refusing the row",
        )
        parser.add_argument(
            "--report", metavar="OUT.xlsx", help="write the refused rows to this file"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="read the file's column HEADER as FIELD (a template key such as legal_name, "
            "address for a whole address, contact_name for a whole name, or nothing not to "
            "import it); once per column whose header is not the template's",
        )
        parser.add_argument(
            "--sheet",
            metavar="NAME",
            help="the worksheet to read (default: the one whose headers name the most columns)",
        )
        parser.add_argument(
            "--actor",
            metavar="EMAIL",
            help="the administrator or client manager the import is recorded for",
        )
        parser.add_argument(
            "--language",
            choices=LANGUAGES,
            default="nl",
            help="language of the messages and the report's headers (default nl)",
        )

    def handle(self, *args, **options):
        language = options["language"]
        with translation.override(language):
            try:
                code = self._import(options, language)
            except (CommandError, SystemExit, KeyboardInterrupt):
                raise
            except Exception:
                logger.exception("import_clients stopped on an error")
                self.stderr.write(
                    _(
                        "The import stopped on an error on our side. The clients written "
                        "before it stay written; run the same command with --update to go on "
                        "with the rest."
                    )
                )
                code = EXIT_CRASHED
        if code:
            sys.exit(code)

    def _import(self, options, language: str) -> int:
        firm = Firm.objects.filter(slug=options["firm"]).first()
        if firm is None:
            raise CommandError(
                _("There is no firm %(slug)s.") % {"slug": options["firm"]},
                returncode=EXIT_REFUSED_FILE,
            )
        actor = self._actor(firm, options["actor"])
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror},
                returncode=EXIT_REFUSED_FILE,
            ) from None
        started_at = timezone.now()
        token = import_token()
        record = {
            "token": token,
            "firm": firm,
            "actor": actor,
            "file_name": path.name,
            "content": content,
            "mode": ImportMode.UPDATE if options["update"] else ImportMode.CREATE,
            "language": language,
            "dry_run": options["dry_run"],
            "started_at": started_at,
            "sheet_name": options["sheet"] or "",
        }
        wanted_sheet = options["sheet"] or None
        try:
            mapping, mapped_sheet = self._mapping(options["map"], content, path.name, wanted_sheet)
            wanted_sheet = mapping_sheet(wanted_sheet or "", mapped_sheet) or None
            record["mapping"] = mapping
            headers = HeaderRules(mapping=mapping) if mapping is not None else None
            sheet = sheet_split(
                read_table(content, filename=path.name, headers=headers, sheet=wanted_sheet)
            )
        except FileProblem as problem:
            job = import_job_record(**record, problem=problem)
            self._report_file(options, problem, language, job.pk)
            if problem.code == "missing_columns" and not options["map"]:
                self._suggest_mapping(content, path.name, wanted_sheet)
            return EXIT_REFUSED_FILE
        progress = ProgressBar(self.stderr, sheet.row_count) if self.stderr.isatty() else None
        importer = Importer(
            firm=firm,
            actor=actor,
            update=options["update"],
            dry_run=options["dry_run"],
            on_progress=progress,
        )
        # Its history rows carry the import's operation: import_undo finds them so.
        with history_operation(import_operation(token)):
            outcome = importer.run(sheet)
        if progress is not None:
            progress.finish()
        job = import_job_record(**record, outcome=outcome, sheet=sheet)
        if options["report"]:
            self._write(
                options["report"],
                error_report_bytes(sheet=sheet, errors=outcome.errors, language=language),
            )
        if options["json"]:
            self._print_json(summary_json(outcome, job.pk))
        else:
            self._print_summary(outcome, language, options, job.pk)
            self._print_reading(sheet)
        return EXIT_REFUSED_ROWS if outcome.refused else 0

    def _mapping(
        self, given: list[str], content: bytes, file_name: str, sheet: str | None
    ) -> tuple[dict | None, str]:
        """The --map options as the import keeps a mapping, and the worksheet whose columns
        they name ("" without --map, or for a csv file); CommandError for a wrong one."""
        if not given:
            return None, ""
        wanted: dict[str, str] = {}
        for option in given:
            header, equals, field = option.partition("=")
            if not equals or not header.strip():
                raise CommandError(
                    _('Give each --map as "HEADER=FIELD", e.g. --map "Naam=legal_name".'),
                    returncode=EXIT_REFUSED_FILE,
                )
            wanted[header.strip()] = field.strip()
        table = _raw_table(content, file_name, sheet)
        try:
            mapping = import_mapping_check(mapping=wanted, columns=file_columns(table))
            return mapping, table.sheet_name or ""
        except ValidationFailed as failed:
            raise CommandError(
                "\n".join(error.message for error in failed.errors),
                returncode=EXIT_REFUSED_FILE,
            ) from None

    def _suggest_mapping(self, content: bytes, file_name: str, sheet: str | None) -> None:
        """A file whose headers are not the template's: the --map options we suggest."""
        try:
            columns = file_columns(_raw_table(content, file_name, sheet))
        except FileProblem:
            return
        options = " ".join(
            f'--map "{header}={field}"' for header, field in suggest(columns).items()
        )
        self.stderr.write(
            _("Its headers are not the template's. Match its columns with --map, e.g.: %(options)s")
            % {"options": options}
        )

    def _actor(self, firm, email: str | None):
        if not email:
            return None
        membership = (
            Membership.objects.select_related("user")
            .filter(firm=firm, user__email=email_key(email))
            .first()
        )
        if membership is None or not membership.can_create_clients:
            raise CommandError(
                _("%(email)s is not an administrator or client manager of %(firm)s.")
                % {"email": email, "firm": firm.slug},
                returncode=EXIT_REFUSED_FILE,
            )
        return membership.user

    def _report_file(self, options, problem: FileProblem, language: str, job_id: int) -> None:
        message = problem.message()
        if options["report"]:
            errors = [{"row": None, "field": None, "code": problem.code, "message": message}]
            self._write(
                options["report"], error_report_bytes(sheet=None, errors=errors, language=language)
            )
        if options["json"]:
            self._print_json(
                {
                    "id": job_id,
                    "rows": 0,
                    "created": 0,
                    "updated": 0,
                    "refused": 0,
                    "errors": [
                        {
                            "row": None,
                            "field": None,
                            "code": problem.code,
                            "value": "",
                            "message": message,
                        }
                    ],
                    "warnings": [],
                }
            )
        else:
            self.stderr.write(_("The file was refused: %(message)s") % {"message": message})

    def _write(self, name: str, content: bytes) -> None:
        try:
            Path(name).write_bytes(content)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": name, "error": error.strerror},
                returncode=EXIT_REFUSED_FILE,
            ) from None

    def _print_json(self, data: dict) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False))

    def _print_reading(self, sheet) -> None:
        """Which sheet was read, of several, and a csv file's character set if not UTF-8."""
        if len(sheet.sheet_names) > 1:
            self.stdout.write(
                _(
                    "Sheet %(sheet)s was read; the file's sheets: %(sheets)s "
                    "(--sheet reads another)."
                )
                % {"sheet": sheet.sheet_name, "sheets": ", ".join(sheet.sheet_names)}
            )
        if sheet.encoding not in ("", "utf-8", "utf-16"):
            self.stdout.write(
                _("The file was read in the %(encoding)s character set.")
                % {"encoding": ENCODING_NAMES.get(sheet.encoding, sheet.encoding)}
            )

    def _print_summary(self, outcome: Outcome, language: str, options, job_id: int) -> None:
        if options["dry_run"]:
            line = _("Checked %(rows)s rows, nothing written.") % {"rows": outcome.rows}
        else:
            line = _("%(rows)s rows read.") % {"rows": outcome.rows}
        # The counts in the words of the pages (imports.outcomes).
        counts = " · ".join(
            f"{item.label}: {item.count}"
            for item in outcome_counts(outcome)
            if item.key != WARNINGS
        )
        self.stdout.write(f"{line} {counts}")
        for header in outcome.unknown_headers:
            self.stdout.write(
                _("Column %(header)s is not one of the template's: it was ignored.")
                % {"header": header}
            )
        if outcome.warnings:
            self.stdout.write(
                _("%(count)s values were repaired; --json lists them.")
                % {"count": len(outcome.warnings)}
            )
        for issue in outcome.errors[:LISTED_ERRORS]:
            column = COLUMN_BY_KEY.get(issue.field or "")
            where = column.label(language) if column else (issue.field or "")
            place = _("Row %(row)s") % {"row": issue.row} if issue.row else _("File")
            self.stdout.write(
                f"{place}, {where}: {issue.message}" if where else f"{place}: {issue.message}"
            )
        if len(outcome.errors) > LISTED_ERRORS:
            self.stdout.write(
                _("… and %(count)s more errors: --report or --json lists them all.")
                % {"count": len(outcome.errors) - LISTED_ERRORS}
            )
        self.stdout.write(_("Recorded as import %(id)s.") % {"id": job_id})


def _raw_table(content: bytes, file_name: str, sheet: str | None) -> Sheet:
    """The file read by its own headers (its columns, with a few values, as the page shows
    them), of the sheet asked for or the one the reader chooses."""
    return read_table(content, filename=file_name, headers=RAW_HEADERS, sheet=sheet)


def summary_json(outcome: Outcome, job_id: int) -> dict:
    """The one JSON object of --json: {"id", "rows", "created", "updated", "refused",
    "errors", "warnings"}; `id` is the import's, as import_undo and the API know it."""
    data = outcome.as_json()
    return {"id": job_id, **{key: data[key] for key in JSON_KEYS}}


class ProgressBar:
    """A one-line bar on a terminal, redrawn at each batch the importer finishes."""

    WIDTH = 30

    def __init__(self, stream, total: int):
        self.stream = stream
        self.total = max(total, 1)
        self.started = time.monotonic()

    def __call__(self, processed: int, outcome: Outcome) -> None:
        done = min(processed / self.total, 1.0)
        filled = int(self.WIDTH * done)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"\r[{bar}] {processed}/{self.total} {done:4.0%} {elapsed:5.1f}s",
            style_func=_plain,
            ending="",
        )
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("", style_func=_plain)


def _plain(text: str) -> str:
    return text
