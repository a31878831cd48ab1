"""The register watch: what each update changed of the companies that are a firm's clients.

Two steps around `register_update`'s transaction:

- `watch_capture`, inside it and before anything is deleted, keeps the register's data (legal
  names, legal form, juridical situation, seat address, whether the enterprise is active) of
  every enterprise the update touches that is some firm's client, in RegisterWatchPending;
- `watch_pass`, after it commits, compares those with the register as it now is and flags
  each client of each changed enterprise with a RegisterChange per kind, then forgets the
  pending rows and queues the digest e-mails (register.digest).

Both are set-based: a fixed number of queries joins the update's enterprise numbers with the
clients' enterprise numbers, whatever the number of clients; the comparing is done in memory
on the rows those queries return. A pass that did not run (the process died after the update
committed) is done by the next one, which reads every pending row.

The values a change keeps (`before`, `after`), by kind:
- name: the legal names (type 001) as [[language code, name], ...], sorted;
- legal_form, situation: the KBO code (code.csv gives the label, in the reader's language);
- address: the seat (REGO) as a dict of the address table's columns, or None;
- stopped: true (active) before, false after.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.core.bulk import db_datetime, insert_rows, json_for_db
from partnerspace.register import kbo, tables
from partnerspace.register.counts import register_changes_changed
from partnerspace.register.models import (
    ChangeKind,
    ChangeState,
    RegisterChange,
    RegisterExtract,
    RegisterWatchPending,
)
from partnerspace.register.selectors import (
    LEGAL_NAME,
    SEAT,
    bare_names,
    client_at_seat,
    name_is_among,
    seat_keys,
)

logger = logging.getLogger(__name__)

LIVE = tables.LIVE
ADDRESS_COLUMNS = tables.columns("address")[2:]  # after number and type
# Kinds compared while the enterprise stays active, in the order a page lists them.
COMPARED = (ChangeKind.NAME, ChangeKind.LEGAL_FORM, ChangeKind.SITUATION, ChangeKind.ADDRESS)
_NUMBERS_TABLE = "register_watch_numbers"
_INSERT_BATCH = 5_000

State = dict[str, Any]


def value_key(value: object) -> str:
    """The same value, the same key: what a dismissal remembers."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def register_states(numbers_sql: str, params: Sequence[Any] = ()) -> dict[str, State]:
    """The watched data of the enterprises whose numbers `numbers_sql` (a SELECT of one
    column) gives, by number, in three queries. An enterprise not in the enterprise table is
    inactive (its names and seat, if any rows are left, are kept all the same)."""
    states: dict[str, State] = {}

    def state(number: str) -> State:
        return states.setdefault(
            number,
            {"active": False, "name": [], "legal_form": None, "situation": None, "address": None},
        )

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT number, form, situation FROM {LIVE}enterprise WHERE number IN ({numbers_sql})",
            list(params),
        )
        for number, form, situation in cursor.fetchall():
            found = state(number)
            found.update(active=True, legal_form=form or None, situation=situation or None)
        cursor.execute(
            f"SELECT number, language, name FROM {LIVE}name "
            f"WHERE type = %s AND number IN ({numbers_sql})",
            [LEGAL_NAME, *params],
        )
        for number, language, name in cursor.fetchall():
            state(number)["name"].append([language, name])
        cursor.execute(
            f"SELECT number, {', '.join(ADDRESS_COLUMNS)} FROM {LIVE}address "
            f"WHERE type = %s AND number IN ({numbers_sql})",
            [SEAT, *params],
        )
        for number, *values in cursor.fetchall():
            state(number)["address"] = {
                column: _plain(value)
                for column, value in zip(ADDRESS_COLUMNS, values, strict=True)
                if value not in (None, "")
            }
    for found in states.values():
        found["name"].sort()
    return states


# Inside the update's transaction


def _client_numbers_among(cursor, vendor: str, numbers: Iterable[str]) -> list[str]:
    """Of these enterprise numbers, those some firm's Belgian client holds: a temporary table
    of the numbers, joined with the clients."""
    if vendor == "postgresql":
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_NUMBERS_TABLE} (number text PRIMARY KEY) "
            "ON COMMIT DELETE ROWS"
        )
    else:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_NUMBERS_TABLE} (number TEXT PRIMARY KEY)"
        )
    cursor.execute(f"DELETE FROM {_NUMBERS_TABLE}")
    batch: list[tuple[str]] = []
    for number in numbers:
        batch.append((number,))
        if len(batch) == _INSERT_BATCH:
            cursor.executemany(f"INSERT INTO {_NUMBERS_TABLE} (number) VALUES (%s)", batch)
            batch = []
    if batch:
        cursor.executemany(f"INSERT INTO {_NUMBERS_TABLE} (number) VALUES (%s)", batch)
    if vendor == "postgresql":
        cursor.execute(f"ANALYZE {_NUMBERS_TABLE}")
    client_table = Client._meta.db_table
    cursor.execute(
        f"SELECT DISTINCT c.company_number FROM {client_table} c "
        f"JOIN {_NUMBERS_TABLE} w ON w.number = c.company_number "
        "WHERE c.country = %s AND c.status <> %s",
        ["BE", ClientStatus.ARCHIVED],
    )
    found = [row[0] for row in cursor.fetchall()]
    cursor.execute(f"DELETE FROM {_NUMBERS_TABLE}")
    return found


def watch_capture(*, extract: kbo.Extract, extract_number: int) -> int:
    """Keep the register's data, before the update at hand changes it, of every enterprise
    it touches that is a client's: call inside the update's transaction, before it deletes.
    Returns how many enterprises are watched."""
    vendor = connection.vendor
    # The delete files name every entity whose rows the update replaces or removes.
    touched: set[str] = set()
    read_before, on_read = extract.read_bytes, extract.on_read
    extract.on_read = None  # read twice; the progress bar counts the applying only
    try:
        for name in kbo.DATA_FILES:
            touched.update(extract.deleted_numbers(name))
    finally:
        extract.read_bytes, extract.on_read = read_before, on_read
    if not touched:
        return 0
    with connection.cursor() as cursor:
        watched = _client_numbers_among(cursor, vendor, sorted(touched))
        if not watched:
            return 0
        cursor.executemany(
            f"INSERT INTO {_NUMBERS_TABLE} (number) VALUES (%s)", [(n,) for n in watched]
        )
        states = register_states(f"SELECT number FROM {_NUMBERS_TABLE}")
        cursor.execute(f"DELETE FROM {_NUMBERS_TABLE}")
    db_json = json_for_db()
    empty: State = {
        "active": False,
        "name": [],
        "legal_form": None,
        "situation": None,
        "address": None,
    }
    rows = [(extract_number, number, db_json(states.get(number, empty))) for number in watched]
    insert_rows(RegisterWatchPending, ("extract_number", "number", "before"), rows)
    return len(rows)


# After the update's transaction


@dataclass
class WatchOutcome:
    enterprises: int = 0  # changed enterprises whose clients were flagged
    flagged: int = 0  # changes flagged (new, or an open one moved to a newer value)
    clients: int = 0
    firms: set[int] = field(default_factory=set)
    extract_number: int | None = None


@dataclass(frozen=True)
class _Change:
    kind: str
    before: object
    after: object
    # Made once per enterprise, for all its clients: the after-value's key, and what a
    # client's name or address is compared with.
    key: str = ""
    names: frozenset[tuple[str, ...]] = frozenset()
    seats: frozenset = frozenset()


def _change(kind: str, before: Any, after: Any) -> _Change:
    names: frozenset[tuple[str, ...]] = frozenset()
    seats: frozenset = frozenset()
    if kind == ChangeKind.NAME and after:
        names = bare_names(name for _language, name in after)
    elif kind == ChangeKind.ADDRESS and after and not after.get("struck_off_on"):
        seats = seat_keys(after)
    return _Change(kind, before, after, value_key(after), names, seats)


def _differences(before: State, after: State) -> list[_Change]:
    if before["active"] and not after["active"]:
        return [_change(ChangeKind.STOPPED, True, False)]
    if not before["active"] and after["active"]:
        # Back in the register: only undoes a "stopped" still open (see _flag).
        return [_change(ChangeKind.STOPPED, False, True)]
    if not after["active"]:
        return []
    return [
        _change(kind, before[kind], after[kind]) for kind in COMPARED if before[kind] != after[kind]
    ]


def _client_has(client: tuple, change: _Change) -> bool:
    """The client already holds the register's new value: nothing to flag. (A seat struck
    off is flagged even where the client has its address.)"""
    if change.names:
        return name_is_among(client[3], change.names)
    if change.seats:
        return client_at_seat(
            {
                "street": client[4],
                "house_number": client[5],
                "box": client[6],
                "postal_code": client[7],
                "city": client[8],
                "country": client[9],
            },
            change.seats,
        )
    return False


def watch_pass() -> WatchOutcome:
    """Flag the clients of every enterprise whose watched data the pending updates changed;
    in one transaction, which also forgets the pending rows."""
    outcome = WatchOutcome()
    pending_table = RegisterWatchPending._meta.db_table
    client_table = Client._meta.db_table
    change_table = RegisterChange._meta.db_table
    with transaction.atomic():
        record = RegisterExtract.objects.order_by("-id").first()
        befores: dict[str, State] = {}
        # The earliest pending row of a number is its data before the updates not yet seen.
        for number, before in (
            RegisterWatchPending.objects.order_by("extract_number")
            .values_list("number", "before")
            .iterator(chunk_size=5_000)
        ):
            befores.setdefault(number, before)
        if not befores or record is None:
            RegisterWatchPending.objects.all().delete()
            return outcome
        outcome.extract_number = record.extract_number
        numbers_sql = f"SELECT DISTINCT number FROM {pending_table}"
        afters = register_states(numbers_sql)
        inactive: State = {
            "active": False,
            "name": [],
            "legal_form": None,
            "situation": None,
            "address": None,
        }
        changed = {
            number: differences
            for number, before in befores.items()
            if (differences := _differences(before, afters.get(number, inactive)))
        }
        if changed:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT c.id, c.firm_id, c.company_number, c.legal_name, c.street, "
                    f"c.house_number, c.box, c.postal_code, c.city, c.country "
                    f"FROM {client_table} c WHERE c.country = %s AND c.status <> %s "
                    f"AND c.company_number IN ({numbers_sql})",
                    ["BE", ClientStatus.ARCHIVED],
                )
                clients = [row for row in cursor.fetchall() if row[2] in changed]
                cursor.execute(
                    f"SELECT r.id, r.client_id, r.kind, r.state, r.before, r.after_key "
                    f"FROM {change_table} r JOIN {client_table} c ON c.id = r.client_id "
                    f"WHERE r.state IN (%s, %s) AND c.country = %s "
                    f"AND c.company_number IN ({numbers_sql})",
                    [ChangeState.OPEN, ChangeState.DISMISSED, "BE"],
                )
                known = cursor.fetchall()
            _flag(outcome, record, clients, changed, known)
        RegisterWatchPending.objects.all().delete()
    if outcome.flagged:
        from partnerspace.register.tasks import register_digest_send

        flagged_by = record.extract_number
        transaction.on_commit(lambda: register_digest_send.enqueue(flagged_by))
    return outcome


def _decoded(value: object) -> object:
    """A JSON column read with SQL answers its text on both databases (Django keeps the
    PostgreSQL driver from decoding jsonb: JSONField decodes it)."""
    return json.loads(value) if isinstance(value, str) else value


def _flag(
    outcome: WatchOutcome,
    record: RegisterExtract,
    clients: list[tuple],
    changed: dict[str, list[_Change]],
    known: list[tuple],
) -> None:
    open_rows: dict[tuple[int, str], tuple[int, object, str]] = {}
    dismissed: set[tuple[int, str, str]] = set()
    for change_id, client_id, kind, state, before, after_key in known:
        if state == ChangeState.OPEN:
            open_rows[(client_id, kind)] = (change_id, _decoded(before), after_key)
        else:
            dismissed.add((client_id, kind, after_key))
    now = timezone.now()
    new_rows: list[tuple] = []
    moved: list[RegisterChange] = []
    gone: list[int] = []
    flagged_clients: set[int] = set()
    flagged_numbers: set[str] = set()
    touched_firms: set[int] = set()  # whose open changes this pass writes
    db_json = json_for_db()
    stamp = db_datetime(now)
    for client in clients:
        client_id, firm_id, number = client[0], client[1], client[2]
        for change in changed[number]:
            key = change.key
            current = open_rows.get((client_id, change.kind))
            if current is not None:
                change_id, first_before, open_key = current
                if open_key == key:
                    continue
                if first_before == change.after or _client_has(client, change):
                    gone.append(change_id)  # back as it was, or the client has it already
                    touched_firms.add(firm_id)
                    continue
                if (client_id, change.kind, key) in dismissed:
                    gone.append(change_id)
                    touched_firms.add(firm_id)
                    continue
                moved.append(
                    RegisterChange(
                        pk=change_id,
                        after=change.after,
                        after_key=key,
                        extract_number=record.extract_number,
                        snapshot_date=record.snapshot_date,
                        flagged_at=now,
                    )
                )
            else:
                if change.kind == ChangeKind.STOPPED and change.after is True:
                    continue  # back in the register, with nothing open to undo
                if (client_id, change.kind, key) in dismissed or _client_has(client, change):
                    continue
                new_rows.append(
                    (
                        firm_id,
                        client_id,
                        number,
                        change.kind,
                        db_json(change.before),
                        db_json(change.after),
                        key,
                        ChangeState.OPEN,
                        record.extract_number,
                        record.snapshot_date,
                        stamp,
                    )
                )
            flagged_clients.add(client_id)
            flagged_numbers.add(number)
            outcome.firms.add(firm_id)
            touched_firms.add(firm_id)
    if gone:
        RegisterChange.objects.filter(pk__in=gone).delete()
    if moved:
        RegisterChange.objects.bulk_update(
            moved,
            ["after", "after_key", "extract_number", "snapshot_date", "flagged_at"],
            batch_size=1_000,
        )
    insert_rows(
        RegisterChange,
        (
            "firm",
            "client",
            "number",
            "kind",
            "before",
            "after",
            "after_key",
            "state",
            "extract_number",
            "snapshot_date",
            "flagged_at",
        ),
        new_rows,
    )
    register_changes_changed(firm_ids=touched_firms)
    outcome.flagged = len(new_rows) + len(moved)
    outcome.clients = len(flagged_clients)
    outcome.enterprises = len(flagged_numbers)
