"""Inserting tens of thousands of rows fast: ids reserved up front, rows sent with executemany.

Django's bulk_create spends most of an import's time preparing each value of each object in
Python. The import knows its values are already clean (clients.validation made them), so it
reserves the primary keys itself, which also lets contacts and history rows point at their
client before anything is written, and hands plain tuples to the database driver. The
database still checks every constraint: a duplicate raises IntegrityError as it would
through the ORM.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.dispatch import Signal

# Sent after insert_rows wrote rows (sender: the model; fields, rows), as post_save would be
# for each: whoever keeps something derived from a table (the client list's tab counts)
# learns of rows written past the ORM.
rows_inserted = Signal()


@dataclass
class BulkOutcome:
    """What a bulk action did: how many of the selection it changed, how many it skipped."""

    done: int = 0
    skipped: int = 0


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys for `model`, safe against concurrent writers.

    PostgreSQL hands them out from the table's sequence. On SQLite the caller's transaction
    holds the database's write lock (transactions begin IMMEDIATE), so nobody else can
    insert until it commits; the next ids follow both the highest id and AUTOINCREMENT's
    high-water mark, so a deleted client's id is never handed out again.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("reserve_ids needs the caller's transaction on SQLite")
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608 (a model's table)
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT the rows (tuples in the order of `fields`, `id` included) in one executemany.

    Values go to the driver as they are: pass datetimes and JSON through `db_datetime` and
    `json_for_db()` (once per batch for a shared timestamp, not once per row).
    """
    if not rows:
        return
    opts = model._meta
    columns = [_column(model, name) for name in fields]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # COPY streams the rows in one command; executemany would bind every value of every
        # row in Python first (half of an import's time on PostgreSQL).
        statement = (
            f"COPY {quote(opts.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        )
        # wrap_database_errors: a duplicate raises Django's IntegrityError, as through the ORM.
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(statement) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        rows_inserted.send(sender=model, fields=fields, rows=rows)
        return
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    rows_inserted.send(sender=model, fields=fields, rows=rows)


def _column(model: type[models.Model], name: str) -> str:
    """The column of a concrete field (a reverse relation has none to insert into)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field.column


def db_datetime(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


class JsonText(str):
    """A value already encoded as JSON (as `json_text` encodes it): `json_for_db` passes it
    to the column as it is. What thousands of rows share is encoded once, and an import
    writes its history lines straight as text (clients.history.creation_changes_json)."""

    __slots__ = ()


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_text(value: Any) -> JsonText:
    """`value` encoded once, to be written to many rows through `json_for_db`."""
    return JsonText(_encode(value))


def json_for_db() -> Callable[[Any], Any]:
    """The function that turns a value into what a JSON column takes from `insert_rows`;
    ask once per batch (looking up the database on every value costs more than encoding).
    A `JsonText` goes as the text it is: SQLite stores it, PostgreSQL's COPY parses it."""
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        def adapt_postgresql(value: Any) -> Any:
            return str(value) if type(value) is JsonText else Jsonb(value)

        return adapt_postgresql

    def adapt_sqlite(value: Any) -> Any:
        return str(value) if type(value) is JsonText else _encode(value)

    return adapt_sqlite


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """UPDATE many rows by id in one executemany: each row the values of `fields` in their
    order, then the id. One statement however many rows (QuerySet.bulk_update splits its
    CASE expressions by the database's parameter limit, and builds them value by value).
    Values go to the driver as they are: datetimes through `db_datetime`, relations as ids.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(model, name))} = %s" for name in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608 (a model's columns)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
