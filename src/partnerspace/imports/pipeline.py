"""Checking and importing the rows of a client file: every row, every cell, all errors at once.

Each row passes the same rules as a client added by hand (clients.validation), the same
template application (configuration.services.template_apply) and the same uniqueness
(the firm's database constraints decide, also between two imports running at once).
Rows are written in batches, one transaction each; a refused row is skipped, never half
written. A dry run checks everything and writes nothing.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerspace.clients.history import (
    TRACKED_FIELDS,
    creation_changes,
    differences,
    histories_record,
    snapshot,
)
from partnerspace.clients.models import Client, ClientStatus, Contact, HistorySource
from partnerspace.clients.search import client_search_fields, fold, search_index_deferred
from partnerspace.clients.services import ContactChange, client_change, client_change_check
from partnerspace.clients.services.duplicates import IDENTIFIER_LABELS
from partnerspace.clients.validation import (
    CLIENT_FIELDS,
    FieldWarning,
    client_clean,
    contact_clean,
)
from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.configuration.selectors import template_find
from partnerspace.core.bulk import db_datetime, insert_rows, reserve_ids
from partnerspace.core.errors import Conflict, ValidationFailed
from partnerspace.core.languages import words_join
from partnerspace.identifiers import rules
from partnerspace.imports.reading import Sheet
from partnerspace.imports.register_fill import FILLED, register_fill
from partnerspace.register.selectors import register_copy

IDENTIFIERS = ("company_number", "vat_number", "external_reference")
# The company columns of the file: the client's fields but its notes, which stay the firm's.
COMPANY_KEYS = tuple(name for name in CLIENT_FIELDS if name != "notes")
CONTACT_KEYS = {
    "contact_first_name": "first_name",
    "contact_last_name": "last_name",
    "contact_email": "email",
    "contact_locale": "locale",
}
BATCH_SIZE = 2000
# Column order of the rows _insert builds; the tuples there follow these exactly.
CLIENT_COLUMNS = (
    "id", "firm", "legal_name", "country", "company_number", "vat_number",
    "external_reference", "iban", "street", "house_number", "box", "postal_code", "city",
    "peppol_mandate", "mandate_confirmed_at", "mandate_confirmed_by", "template",
    "template_name", "status", "archived_by_client", "notes", "created_at", "updated_at",
    "created_by", "search_text", "sort_name", "identity_key",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "client", "first_name", "last_name", "email", "locale", "phone", "is_primary",
    "created_at",
)  # fmt: skip
# Warnings kept for the preview and the database; the counts and --json keep them all.
STORED_WARNINGS = 1000


@dataclass(slots=True)
class Issue:
    row: int | None
    field: str | None
    code: str
    value: str = ""
    message: str = ""
    normalized: str = ""

    def as_error(self) -> dict:
        return {
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "value": self.value,
            "message": self.message,
        }


@dataclass(slots=True)
class RowWarning:
    row: int
    warning: "FieldWarning | TemplateNotChanged"

    def as_issue(self) -> Issue:
        w = self.warning
        return Issue(self.row, w.field, w.code, w.value, w.message, w.normalized)

    def as_json(self) -> dict:
        w = self.warning
        return {
            "row": self.row,
            "field": w.field,
            "code": w.code,
            "value": w.value,
            "normalized": w.normalized,
        }


# How many of the clients a check will create its preview lists by name.
PREVIEW_CLIENTS = 20


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    refused_rows: set[int] = field(default_factory=set)
    created_ids: list[int] = field(default_factory=list)
    # A check's first clients to be created, as the preview lists them.
    to_create: list[dict] = field(default_factory=list)
    unknown_headers: tuple[str, ...] = ()
    # Warnings of the batches an earlier run wrote, when an import goes on after a stop.
    earlier_warnings: int = 0

    @property
    def warning_count(self) -> int:
        return self.earlier_warnings + len(self.warnings)

    def as_json(self) -> dict:
        """The summary `import_clients --json` prints and the API answers."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "errors": [issue.as_error() for issue in self.errors],
            "warnings": [
                *(
                    {
                        "row": None,
                        "field": None,
                        "code": "unknown_column",
                        "value": header,
                        "normalized": "",
                    }
                    for header in self.unknown_headers
                ),
                *(warning.as_json() for warning in self.warnings),
            ],
        }


@dataclass(slots=True)
class _Row:
    number: int
    company: dict
    contact: dict
    template: ConfigurationTemplate | None
    target_id: int | None  # the existing client a row updates
    filled: frozenset  # the cells that hold something: an empty cell changes nothing


MESSAGES: dict[str, Callable[..., str]] = {
    "unknown_template": lambda value, **_k: (
        _(
            "There is no template named %(name)s. Use the name of one of your firm's templates, "
            "or leave the cell empty for the default template."
        )
        % {"name": value}
    ),
    "duplicate_in_file": lambda value, rows, **_k: (
        _("Already in this file: %(rows)s.")
        % {
            "rows": words_join(
                _("row %(row)s (same %(numbers)s)")
                % {"row": row, "numbers": words_join(IDENTIFIER_LABELS[key] for key in keys)}
                for row, keys in rows
            )
        }
    ),
    "duplicate_name_in_file": lambda value, first, **_k: (
        _("%(value)s is in row %(row)s of this file already.") % {"value": value, "row": first}
    ),
    "already_exists_numbers": lambda value, clients, keys, **_k: (
        (
            _(
                "%(clients)s is a client already (same %(numbers)s). Import in update mode to "
                "change that client."
            )
            if len(clients) == 1
            else _("Several of your clients have these numbers (%(numbers)s): %(clients)s.")
        )
        % {
            "clients": words_join(clients),
            "numbers": words_join(IDENTIFIER_LABELS[key] for key in keys),
        }
    ),
    "also_in_file": lambda value, rows, **_k: (
        ngettext(
            "Row %(rows)s of this file is that client too.",
            "Rows %(rows)s of this file are that client too.",
            len(rows),
        )
        % {"rows": words_join(str(row) for row in rows)}
    ),
    "already_exists": lambda value, client, **_k: (
        _("%(client)s already has %(value)s. Import in update mode to change that client.")
        % {"client": client, "value": value}
    ),
    "already_exists_by_contact": lambda value, client, email, **_k: (
        _(
            "%(client)s, with contact person %(email)s, is a client already. Import in update "
            "mode to change it."
        )
        % {"client": client, "email": email}
    ),
    "already_exists_unknown": lambda value, **_k: _(
        "Another client was saved with these details while this file was being imported. "
        "Import the file again to see which."
    ),
    "ambiguous_match": lambda value, clients, **_k: (
        _(
            "This row matches several existing clients (%(clients)s): its numbers belong to "
            "different clients."
        )
        % {"clients": clients}
    ),
    "date_in_text_column": lambda value, **_k: (
        _("This cell holds a date (%(value)s); type the value as text.") % {"value": value}
    ),
}


def message(code: str, value="", **params) -> str:
    return MESSAGES[code](value, **params)


class Importer:
    """Checks and imports one sheet for one firm. Not thread-safe; make one per import."""

    def __init__(
        self,
        *,
        firm,
        actor=None,
        update: bool = False,
        dry_run: bool = False,
        on_progress: Callable[[int, Outcome], None] | None = None,
        on_batch: Callable[[int, Outcome], None] | None = None,
        batch_size: int = BATCH_SIZE,
        outcome: Outcome | None = None,
    ):
        """`on_batch(rows processed, outcome)` is called inside the transaction that writes
        each batch (never in a dry run): what it records commits with the batch or not at
        all. `outcome` holds the counts of the batches an earlier run wrote, to go on."""
        self.firm = firm
        self.actor = actor
        self.update = update
        self.dry_run = dry_run
        self.on_progress = on_progress
        self.on_batch = on_batch
        self.batch_size = batch_size
        self.outcome = outcome or Outcome()
        self.seen: dict[str, dict[str, int]] = {name: {} for name in IDENTIFIERS}
        templates = list(ConfigurationTemplate.objects.filter(firm=firm))
        self.templates = templates
        self.default_template = next((t for t in templates if t.is_default), None)
        self._load_existing()

    def _load_existing(self) -> None:
        """The firm's identifiers, in memory: 100,000 clients cost a few megabytes."""
        self.existing: dict[str, dict[str, int]] = {name: {} for name in IDENTIFIERS}
        self.names: dict[int, str] = {}
        self.template_of: dict[int, int] = {}
        rows = Client.objects.filter(firm=self.firm).values_list(
            "id", "legal_name", "template_id", *IDENTIFIERS
        )
        for pk, name, template_id, *numbers in rows.iterator(chunk_size=10_000):
            self.names[pk] = name
            if template_id:
                self.template_of[pk] = template_id
            for key, value in zip(IDENTIFIERS, numbers, strict=True):
                if value:
                    self.existing[key][value] = pk
        # A client without any number is recognised by its name and the address of its primary
        # contact: an update finds it so, and create mode refuses to make it twice.
        self.by_name_and_email: dict[tuple[str, str], int] = {}
        people = Contact.objects.filter(client__firm=self.firm, is_primary=True)
        for pk, name, email in people.values_list("client_id", "client__sort_name", "email"):
            self.by_name_and_email[(name, email)] = pk
        self.seen_by_name_and_email: dict[tuple[str, str], int] = {}

    # Checking

    def run(self, sheet: Sheet, *, start: int = 0) -> Outcome:
        """Check and write the sheet's rows from the `start`-th on (the rows before it
        were written by an earlier run of this import)."""
        outcome = self.outcome
        outcome.unknown_headers = sheet.unknown_headers
        problems: dict[int, list] = {}
        for problem in sheet.cell_problems:
            problems.setdefault(problem.row, []).append(problem)
        processed = start
        on_batch = self.on_batch
        for chunk in checked_chunks(sheet, self.batch_size, start=start):
            batch = []
            for cleaned in chunk:
                outcome.rows += 1
                row = self._decide(cleaned, problems.get(cleaned.number))
                if row is not None:
                    batch.append(row)
            processed += len(chunk)
            done = None
            if on_batch is not None:
                done = (lambda rows: lambda: on_batch(rows, outcome))(processed)
            self._write(batch, done)
            self._progress(processed)
        return outcome

    def _progress(self, processed: int) -> None:
        if self.on_progress is not None:
            self.on_progress(processed, self.outcome)

    def _refuse(self, number: int, issues: Iterable[Issue]) -> None:
        self.outcome.errors.extend(issues)
        if number not in self.outcome.refused_rows:
            self.outcome.refused_rows.add(number)
            self.outcome.refused += 1

    def _decide(self, cleaned: "CleanedRow", problems) -> _Row | None:
        """What the firm's state makes of a checked row: template, duplicates, existing client."""
        number = cleaned.number
        errors = [
            Issue(number, p.key, p.code, p.value, message(p.code, p.value)) for p in problems or ()
        ]
        errors += cleaned.errors
        company, contact = cleaned.company, cleaned.contact
        target_id = self._match(
            number, cleaned.identifiers, company, contact, errors, filled=cleaned.filled
        )
        if target_id is None:
            template = self._template(number, cleaned.template_name, errors)
        else:
            # An update keeps the client's template: it decided how the client started.
            template = None
            if cleaned.template_name and not self._is_template_of(target_id, cleaned.template_name):
                cleaned.warnings.append(TemplateNotChanged(cleaned.template_name))
            # An update leaves the cells the register filled as the client has them.
            cleaned.warnings = [w for w in cleaned.warnings if w.code != FILLED]
        if errors:
            self._refuse(number, errors)
            return None
        assert company is not None and contact is not None  # each None only with its errors
        self.outcome.warnings.extend(RowWarning(number, w) for w in cleaned.warnings)
        return _Row(number, company, contact, template, target_id, cleaned.filled)

    def _is_template_of(self, client_id: int, name: str) -> bool:
        """The Sjabloon cell names the template the client has (as an export writes it)."""
        template = self._named(name)
        return template is not None and self.template_of.get(client_id) == template.pk

    def _named(self, name: str):
        return template_find(self.firm, name, among=self.templates, by_id=False)

    def _template(self, number: int, name: str, errors: list[Issue]):
        name = (name or "").strip()
        if not name:
            return self.default_template
        template = self._named(name)
        if template is None:
            errors.append(
                Issue(
                    number, "template", "unknown_template", name, message("unknown_template", name)
                )
            )
        return template

    def _match(
        self,
        number: int,
        identifiers: dict,
        company: dict | None,
        contact,
        errors: list[Issue],
        *,
        filled: frozenset = frozenset(),
    ) -> int | None:
        """Duplicates within the file, then the existing client this row is (if any).

        `identifiers` are the row's valid numbers even when other cells fail, so a duplicate
        is reported with the row's other errors, not after they are fixed.
        """
        # One message per row, however many of its numbers repeat another row or client.
        in_file: dict[str, int] = {}
        for key, value in identifiers.items():
            first = self.seen[key].setdefault(value, number)
            if first != number:
                in_file[key] = first
        matches = {
            key: self.existing[key][value]
            for key, value in identifiers.items()
            if value in self.existing[key]
        }
        if matches and not self.update:
            errors.append(self._exists_issue(number, identifiers, matches, in_file, filled))
            return None
        if in_file:
            errors.append(self._in_file_issue(number, identifiers, in_file, filled))
        if not matches:
            if company and contact and not identifiers:
                return self._match_by_name_and_email(number, company, contact, errors)
            return None
        targets = set(matches.values())
        if len(targets) > 1:
            if not in_file:
                names = ", ".join(sorted(self.names.get(pk, str(pk)) for pk in targets))
                key = next(iter(matches))
                errors.append(
                    Issue(
                        number,
                        key,
                        "ambiguous_match",
                        identifiers[key],
                        message("ambiguous_match", clients=names),
                    )
                )
            return None
        return targets.pop()

    def _exists_issue(
        self,
        number: int,
        identifiers: dict,
        matches: dict[str, int],
        in_file: dict[str, int],
        filled: frozenset,
    ) -> Issue:
        """The one refusal of a row whose numbers the firm's clients have already."""
        key = _cell_of(matches, filled)
        names = sorted({self.names.get(pk, "") for pk in matches.values()})
        text = message("already_exists_numbers", clients=names, keys=list(matches))
        if in_file:
            text += " " + message("also_in_file", rows=sorted(set(in_file.values())))
        return Issue(number, key, "already_exists", identifiers[key], text)

    def _in_file_issue(
        self, number: int, identifiers: dict, in_file: dict[str, int], filled: frozenset
    ) -> Issue:
        """The one refusal of a row whose numbers earlier rows of the file have."""
        key = _cell_of(in_file, filled)
        by_row: dict[int, list[str]] = {}
        for name in IDENTIFIERS:
            if name in in_file:
                by_row.setdefault(in_file[name], []).append(name)
        return Issue(
            number,
            key,
            "duplicate_in_file",
            identifiers[key],
            message("duplicate_in_file", rows=sorted(by_row.items())),
        )

    def _match_by_name_and_email(
        self, number: int, company: dict, contact: dict, errors: list[Issue]
    ) -> int | None:
        """A row without any number is the client of the same name and primary contact."""
        key = (fold(company["legal_name"])[:200], contact["email"])
        name = company["legal_name"]
        first = self.seen_by_name_and_email.setdefault(key, number)
        if first != number:
            errors.append(
                Issue(number, "legal_name", "duplicate_in_file", name,
                      message("duplicate_name_in_file", name, first=first))
            )  # fmt: skip
            return None
        pk = self.by_name_and_email.get(key)
        if pk is None or self.update:
            return pk
        errors.append(
            Issue(number, "legal_name", "already_exists", name,
                  message("already_exists_by_contact", name, client=self.names.get(pk, name),
                          email=contact["email"]))
        )  # fmt: skip
        return None

    # Writing

    def _write(self, batch: list[_Row], done: Callable[[], None] | None = None) -> None:
        """Write a batch; `done` runs inside the batch's last transaction."""
        new = [row for row in batch if row.target_id is None]
        existing = [row for row in batch if row.target_id is not None]
        if self.dry_run:
            room = PREVIEW_CLIENTS - len(self.outcome.to_create)
            self.outcome.to_create.extend(
                {
                    "row": row.number,
                    "name": row.company.get("legal_name", ""),
                    "number": row.company.get("vat_number")
                    or row.company.get("company_number")
                    or "",
                    "city": row.company.get("city") or "",
                }
                for row in new[: max(room, 0)]
            )
            self.outcome.created += len(new)
            self.outcome.created += len(self._count_updates(existing, write=False))
            return
        gone = []
        if existing:
            with transaction.atomic():
                gone = self._count_updates(existing, write=True)
                if done is not None and not (new or gone):
                    done()
                    done = None
        elif not new and done is not None:
            with transaction.atomic():
                done()
            return
        # A client deleted since the import looked: its row makes it anew. Updates written
        # just before are written again as "unchanged" if the process stops in between.
        created = self._create(new + gone, done)
        self.outcome.created_ids += [client.pk for client in created]
        if created:
            _after_import(self.firm, [client.pk for client in created], self.actor)

    def _create(
        self, rows: list[_Row], done: Callable[[], None] | None = None
    ) -> list[SimpleNamespace]:
        """Insert new clients with their contact, history and template: one transaction.

        The transaction is the outermost one, never a savepoint inside another: SQLite's
        full-text index gets slower with every batch written under a savepoint (measured:
        20 s instead of 5 s for 30,000 rows). When the database refuses a row (another import
        created that client meanwhile) the batch is redone one row at a time, and only the
        rows the database refuses are refused.
        """
        if not rows:
            return []
        now = timezone.now()
        created_before = self.outcome.created
        try:
            with transaction.atomic():
                clients = self._insert(rows, now)
                self._apply_templates(clients)
                self.outcome.created = created_before + len(clients)
                if done is not None:
                    done()
        except IntegrityError:
            self.outcome.created = created_before
            # The slow way, rarely taken: a savepoint per row, in one transaction with `done`.
            clients = []
            with transaction.atomic():
                for row in rows:
                    try:
                        with transaction.atomic():
                            one = self._insert([row], now)
                            self._apply_templates(one)
                    except IntegrityError:
                        self._refuse(row.number, [self._taken(row)])
                    else:
                        clients += one
                self.outcome.created = created_before + len(clients)
                if done is not None:
                    done()
        for client in clients:
            for key in IDENTIFIERS:
                value = getattr(client, key)
                if value:
                    self.existing[key][value] = client.pk
            self.names[client.pk] = client.legal_name
            self.by_name_and_email[(client.sort_name, client.contact_email)] = client.pk
        return clients

    def _insert(self, rows: list[_Row], now) -> list[SimpleNamespace]:
        client_ids = reserve_ids(Client, len(rows))
        contact_ids = reserve_ids(Contact, len(rows))
        actor_id = self.actor.pk if self.actor else None
        firm_id = self.firm.pk
        stamp = db_datetime(now)
        clients, client_rows, contact_rows, history = [], [], [], []
        for row, pk, contact_pk in zip(rows, client_ids, contact_ids, strict=True):
            values, person, template = row.company, row.contact, row.template
            client = SimpleNamespace(pk=pk, firm_id=firm_id, template=template, **values)
            search = client_search_fields(client, (SimpleNamespace(**person, is_primary=True),))
            client.sort_name, client.contact_email = search["sort_name"], person["email"]
            mandate = values["peppol_mandate"]
            client_rows.append(
                (
                    pk, firm_id, values["legal_name"], values["country"],
                    values["company_number"], values["vat_number"], values["external_reference"],
                    values["iban"], values["street"], values["house_number"], values["box"],
                    values["postal_code"], values["city"], mandate,
                    # "Mandaat: Ja" is the firm's word that it holds the signed mandate.
                    stamp if mandate else None, actor_id if mandate else None,
                    template.pk if template else None, template.name if template else "",
                    ClientStatus.DRAFT, False, "", stamp, stamp, actor_id,
                    search["search_text"], search["sort_name"], search["identity_key"],
                )
            )  # fmt: skip
            contact_rows.append(
                (
                    contact_pk, pk, person["first_name"], person["last_name"], person["email"],
                    person["locale"], person["phone"], True, stamp,
                )
            )  # fmt: skip
            created = {name: values.get(name, "") for name in TRACKED_FIELDS}
            created["status"] = ClientStatus.DRAFT
            history.append((pk, "created", creation_changes(created)))
            clients.append(client)
        with search_index_deferred(client_ids[0], client_ids[-1]):
            insert_rows(Client, CLIENT_COLUMNS, client_rows)
        insert_rows(Contact, CONTACT_COLUMNS, contact_rows)
        histories_record(entries=history, actor=self.actor, source=HistorySource.IMPORT, at=now)
        return clients

    def _taken(self, row: _Row) -> Issue:
        for key in IDENTIFIERS:
            value = row.company.get(key)
            if not value:
                continue
            found = (
                Client.objects.filter(firm=self.firm, **{key: value})
                .exclude(pk=row.target_id or 0)
                .first()
            )
            if found is not None:
                return Issue(row.number, key, "already_exists", value,
                             message("already_exists", value, client=found.legal_name))  # fmt: skip
        # A client without numbers: the database found its name and primary contact taken.
        probe = SimpleNamespace(**row.company)
        fields = client_search_fields(probe, (SimpleNamespace(**row.contact, is_primary=True),))
        found = (
            Client.objects.filter(firm=self.firm, identity_key=fields["identity_key"])
            .exclude(pk=row.target_id or 0)
            .first()
            if fields["identity_key"]
            else None
        )
        if found is not None:
            name = row.company["legal_name"]
            return Issue(row.number, "legal_name", "already_exists", name,
                         message("already_exists_by_contact", name, client=found.legal_name,
                                 email=row.contact["email"]))  # fmt: skip
        return Issue(row.number, None, "already_exists", "", message("already_exists_unknown"))

    def _apply_templates(self, clients: list[SimpleNamespace]) -> None:
        from partnerspace.configuration.services import template_apply

        by_template: dict[int, list[SimpleNamespace]] = {}
        templates = {}
        for client in clients:
            if client.template is not None:
                by_template.setdefault(client.template.pk, []).append(client)
                templates[client.template.pk] = client.template
        for pk, group in by_template.items():
            template_apply(
                clients=group,  # type: ignore[arg-type]  # plain rows: template_apply reads pk, firm_id, external_reference
                template=templates[pk],
                actor=self.actor,
                source=HistorySource.IMPORT,
            )

    def _count_updates(self, rows: list[_Row], *, write: bool) -> list[_Row]:
        """Count (and write) the updates; returns the rows whose client no longer exists.

        Each row goes through the clients' own update (clients.services.client_change), one
        at a time: the same rules, mandate and history as a change by hand. A dry run asks
        only what that update would refuse before writing (client_change_check)."""
        if not rows:
            return []
        clients = Client.objects.in_bulk([row.target_id for row in rows])
        contacts: dict[int, list[Contact]] = {}
        for contact in Contact.objects.filter(client_id__in=clients):
            contacts.setdefault(contact.client_id, []).append(contact)
        vanished = []
        for row in rows:
            client = clients.get(row.target_id)
            if client is None:
                row.target_id = None
                vanished.append(row)
                continue
            changes, contact_change = self._changes(row, client, contacts.get(client.pk, []))
            if not changes and contact_change is None:
                self.outcome.unchanged += 1
                continue
            data = {change["field"]: change["new"] for change in changes}
            try:
                if write:
                    client_change(
                        client=client,
                        data=data,
                        actor=self.actor,
                        source=HistorySource.IMPORT,
                        numbers_follow=False,
                        contact=contact_change,
                    )
                else:
                    client_change_check(
                        client=client,
                        data=data,
                        actor=self.actor,
                        source=HistorySource.IMPORT,
                        numbers_follow=False,
                    )
            except IntegrityError:
                self._refuse(row.number, [self._taken(row)])
            except Conflict as refusal:
                if refusal.code == "already_exists":
                    self._refuse(row.number, [self._taken(row)])
                else:
                    self._refuse(row.number, [self._issue(row, refusal, data)])
            except ValidationFailed as failed:
                self._refuse(
                    row.number,
                    [Issue(row.number, e.field, e.code, _text(e.value), e.message)
                     for e in failed.errors],
                )  # fmt: skip
            else:
                self.outcome.updated += 1
        return vanished

    def _issue(self, row: _Row, refusal: Conflict, data: dict) -> Issue:
        value = data.get(refusal.field)
        return Issue(
            row.number,
            refusal.field,
            refusal.code,
            "" if isinstance(value, bool) else _text(value),
            refusal.message,
        )

    def _changes(self, row: _Row, client: Client, contacts: list[Contact]):
        """What the row changes. A cell left empty, or a column the file lacks, keeps the value:
        an update must not wipe what the firm knows because a file left it out."""
        before = snapshot(client, TRACKED_FIELDS)
        after = dict(before)
        for key, value in row.company.items():
            if key in row.filled:
                after[key] = value
        changes = differences(before, after)
        email = row.contact["email"]
        # The row's contact is the one with its address; else the file changed the primary
        # contact's details (its export holds the primary contact), address included.
        match = next((c for c in contacts if c.email.lower() == email.lower()), None)
        match = match or next((c for c in contacts if c.is_primary), None)
        if match is None:
            return changes, ContactChange(values=dict(row.contact))
        fields = {k: v for k, v in row.contact.items() if v and getattr(match, k) != v}
        return changes, (ContactChange(values=fields, contact=match) if fields else None)


@dataclass(slots=True)
class CleanedRow:
    """One row through the client and contact rules: what needs no database."""

    number: int
    company: dict | None
    contact: dict | None
    errors: list[Issue]
    warnings: list["FieldWarning | TemplateNotChanged"]
    template_name: str
    filled: frozenset
    identifiers: dict  # the valid numbers, also when another company cell fails


def check_row(number: int, data: dict) -> CleanedRow:
    """The rules every client passes (clients.validation), applied to one row of the file."""
    errors: list[Issue] = []
    warnings: list[FieldWarning | TemplateNotChanged] = []
    company = contact = None
    try:
        cleaned = client_clean({key: data.get(key, "") for key in COMPANY_KEYS})
    except ValidationFailed as failed:
        errors += [Issue(number, e.field, e.code, _text(e.value), e.message) for e in failed.errors]
        identifiers = _identifiers_alone(data, {e.field for e in failed.errors})
    else:
        company = cleaned.values
        warnings += cleaned.warnings
        identifiers = {key: company[key] for key in IDENTIFIERS if company.get(key)}
    country = company["country"] if company else _country_or_none(data.get("country"))
    try:
        cleaned = contact_clean(
            {name: data.get(key, "") for key, name in CONTACT_KEYS.items()},
            country=country,
            prefix="contact_",
        )
    except ValidationFailed as failed:
        errors += [Issue(number, e.field, e.code, _text(e.value), e.message) for e in failed.errors]
    else:
        contact = cleaned.values
        warnings += cleaned.warnings
    filled = frozenset(key for key, value in data.items() if value)
    return CleanedRow(
        number,
        company,
        contact,
        errors,
        warnings,
        (data.get("template") or "").strip(),
        filled,
        identifiers,
    )


def _identifiers_alone(data: dict, wrong: set) -> dict:
    """The row's numbers that pass their rules, when other company cells do not."""
    if "country" in wrong:
        return {}
    probe = {"legal_name": "-", "country": data.get("country", "")}
    probe |= {key: data.get(key, "") for key in IDENTIFIERS if key not in wrong}
    try:
        values = client_clean(probe).values
    except ValidationFailed:
        return {}
    return {key: values[key] for key in IDENTIFIERS if values.get(key)}


def checked_chunks(sheet: Sheet, size: int, *, start: int = 0) -> Iterator[list[CleanedRow]]:
    """The sheet's rows from the `start`-th on through the rules, batch by batch, in file
    order."""
    copy = register_copy()
    for first in range(start, len(sheet.rows), size):
        rows = [
            (number, dict(zip(sheet.columns, values, strict=True)))
            for number, values in sheet.rows[first : first + size]
        ]
        filled = {number: frozenset(k for k, v in data.items() if v) for number, data in rows}
        notes = register_fill(rows, copy)
        checked = []
        for number, data in rows:
            cleaned = check_row(number, data)
            # What the register filled is not the file's word: an update keeps the client's.
            cleaned.filled = filled[number]
            cleaned.warnings += notes.get(number, ())
            cleaned.warnings += sheet.notes.get(number, ())  # combined cells split
            checked.append(cleaned)
        yield checked


@dataclass(frozen=True, slots=True)
class TemplateNotChanged:
    """A warning like the rules' repairs: the Sjabloon cell of a row that updates a client."""

    value: str
    field = "template"
    code = "template_not_changed"
    normalized = ""

    @property
    def message(self) -> str:
        return _("An update does not change the client's template: %(name)s is ignored.") % {
            "name": self.value
        }


def _cell_of(duplicated: dict[str, int], filled: frozenset) -> str:
    """The cell a duplicate row's message stands on: the first duplicated number the row's
    own cells hold (a VAT number typed alone also makes the enterprise number)."""
    keys = [name for name in IDENTIFIERS if name in duplicated]
    return next((name for name in keys if name in filled), keys[0])


def _text(value) -> str:
    return "" if value is None else str(value)


def _country_or_none(raw) -> str | None:
    try:
        return rules.country(raw).value
    except rules.IdentifierError:
        return None


def _after_import(firm, client_ids: list[int], actor) -> None:
    """Clients with a Peppol mandate are registered when the firm asked for that."""
    try:
        from partnerspace.peppol.services import registration_queue_after_import
    except ImportError:  # the Peppol app is optional
        return
    registration_queue_after_import(firm=firm, client_ids=client_ids, actor=actor)
