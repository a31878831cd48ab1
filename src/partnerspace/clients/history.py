"""What changed, said once: the client's history entries.

Every history row is written here: `history_record` for one, `histories_record` for many in
one statement (a bulk action, an import, a template applied to thousands of clients).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from json.encoder import encode_basestring as _json_string

from django.utils import timezone

from partnerspace.clients.models import Client, ClientHistory, HistorySource
from partnerspace.clients.validation import CLIENT_FIELDS
from partnerspace.core.bulk import JsonText, db_datetime, insert_rows, json_for_db, json_text

HISTORY_COLUMNS = (
    "client", "at", "actor", "actor_label", "source", "action", "changes", "operation",
)  # fmt: skip

# The operation the history rows being written belong to (see history_operation).
_operation: ContextVar[str] = ContextVar("history_operation", default="")


@contextmanager
def history_operation(name: str) -> Iterator[None]:
    """Every history row written inside this block, through any service, belongs to the
    operation `name` ("import:<token>"): an import is then found, and undone, from its rows,
    whichever service (a template applied, a contact changed) wrote them."""
    token = _operation.set(name)
    try:
        yield
    finally:
        _operation.reset(token)


def operation_current() -> str:
    return _operation.get()


# Fields whose changes the history records, in the order the page shows them.
TRACKED_FIELDS = (*CLIENT_FIELDS, "status")


def snapshot(instance, fields=TRACKED_FIELDS) -> dict:
    return {name: getattr(instance, name) for name in fields}


def differences(before: dict, after: dict) -> list[dict]:
    """The fields whose value changed; empty and missing count as the same."""
    return [
        {"field": name, "old": _plain(before.get(name)), "new": _plain(after.get(name))}
        for name in after
        if _blank_as_none(before.get(name)) != _blank_as_none(after.get(name))
    ]


def _created(values: dict) -> Iterator[tuple[str, object]]:
    """(field, value) of every field a new client starts with a value for."""
    for name, value in values.items():
        if value is not None and value != "":
            yield name, value if type(value) in _PLAIN_TYPES else _plain(value)


def creation_changes(values: dict) -> list[dict]:
    """The history lines of a new client: every field it starts with a value for."""
    return [{"field": name, "old": None, "new": value} for name, value in _created(values)]


def creation_changes_json(values: dict) -> JsonText:
    """`creation_changes(values)` as the JSON its history row stores, the same text
    `json_for_db` would make of it, written straight from the values: an import records
    100,000 of them, and building the dictionaries first costs seven times as much."""
    return JsonText(
        "["
        + ",".join(
            f'{{"field":{_json_string(name)},"old":null,"new":{_json_plain(value)}}}'
            for name, value in _created(values)
        )
        + "]"
    )


def _json_plain(value) -> str:
    """A plain value (as `_plain` leaves it) in JSON, as json.JSONEncoder writes it."""
    if type(value) is str:
        return _json_string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return json_text(value)


def contact_label(contact) -> str:
    """A contact as the history names it."""
    return f"{contact.first_name} {contact.last_name} <{contact.email}>"


def _blank_as_none(value):
    return None if value == "" or value is None else value


def _plain(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


_PLAIN_TYPES = frozenset({str, bool, int, type(None)})


def history_record(
    *,
    client: Client,
    actor,
    source: str = HistorySource.STAFF,
    action: str,
    changes: list[dict] | None = None,
) -> ClientHistory:
    return ClientHistory.objects.create(
        client=client,
        actor=actor,
        actor_label=actor_label(actor),
        source=source,
        action=action,
        changes=changes or [],
        operation=_operation.get(),
    )


def actor_label(actor) -> str:
    """Who made a change, as the history keeps it after the account is gone."""
    return str(actor) if actor else ""


def histories_record(
    *,
    entries: Iterable[tuple[int, str, list[dict] | JsonText]],
    actor,
    source: str,
    at: datetime | None = None,
) -> int:
    """Many history rows in one statement: (client id, action, changes) each, all by the same
    actor through the same door at the same moment. Returns how many were written.

    `changes` may come encoded already (`core.bulk.json_text`, `creation_changes_json`):
    lines that thousands of rows share are then encoded once."""
    stamp = db_datetime(at or timezone.now())
    db_json = json_for_db()
    actor_id = actor.pk if actor else None
    label = actor_label(actor)
    operation = _operation.get()
    rows = [
        (client_id, stamp, actor_id, label, source, action, db_json(changes or []), operation)
        for client_id, action, changes in entries
    ]
    insert_rows(ClientHistory, HISTORY_COLUMNS, rows)
    return len(rows)
