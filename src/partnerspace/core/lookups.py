"""`id_list__any_of`: a column among a list of ids, the list sent as one parameter; and
`ReadByIds`, a read by such a list whose SQL is compiled once.

A page reads what belongs to its rows (their staff, invitations, Peppol states) by the rows'
ids. Django's `__in` prepares, checks and binds each id as a parameter of its own: about
thirty Python calls per id, for values that are the page's own integer keys. This sends the
whole list as one value: an array on PostgreSQL (`= ANY(%s)`), a JSON array on SQLite
(`IN (SELECT value FROM json_each(%s))`); both use the column's index as `IN` does.
"""

import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import AutoField, BigAutoField, ForeignKey, Lookup, Model, QuerySet
from django.db.models.query import ValuesListIterable


def _ids_param(ids: list[int], vendor: str) -> Any:
    """The one parameter that carries the ids."""
    return ids if vendor == "postgresql" else json.dumps(ids)


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        # Whole numbers only (a page's own keys), and a list, not a query: nothing else is
        # ever sent in it (operator.index refuses text, floats and expressions alike).
        return [operator.index(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = _ids_param(self.rhs, connection.vendor)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, ids)
        # lhs is the column Django compiled; the ids go in as a parameter.
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, (*lhs_params, ids)


def lookups_register() -> None:
    for field in (ForeignKey, AutoField, BigAutoField):
        field.register_lookup(AnyOf)


def model_columns(model: type[Model]) -> tuple[str, ...]:
    """A model's columns in the order `Model.from_db` takes them: a ReadByIds read that a page
    needs as instances reads these."""
    return tuple(field.attname for field in model._meta.concrete_fields)


# An id no table holds: it marks where the ids go in the SQL compiled once.
_PROBE = -7_310_431


class ReadByIds:
    """A `values_list` read by a list of ids (through `__any_of`), compiled once per database.

    The ORM builds and compiles a query anew each time: about a thousand Python calls before
    the database sees it. The reads of a page's rows (their staff, invitations, Peppol
    states) differ only in their ids, which `__any_of` sends as one parameter. So the SQL and
    its other parameters are kept, from `build([probe])`, and each read puts its own ids in
    the probe's place; the ORM still converts the values it reads (dates on SQLite)."""

    def __init__(self, build: Callable[[list[int]], QuerySet[Any, Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def rows(self, ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
        wanted = [operator.index(value) for value in ids]
        if not wanted:
            return []
        connection = connections[using]
        compiled = self._compiled.get((using, connection.vendor)) or self._compile(using)
        sent = list(compiled.params)
        sent[compiled.slot] = _ids_param(wanted, connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, sent)
            fetched = cursor.fetchall()
        # As the ORM's compiler does: only the columns asked for (the ordering may have added
        # some), each through the fields' converters, with this thread's connection.
        width = compiled.width
        if not compiled.converters:
            return [tuple(row[:width]) for row in fetched]
        converted = []
        for row in fetched:
            values = list(row[:width])
            for position, (converters, expression) in compiled.converters:
                value = values[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                values[position] = value
            converted.append(tuple(values))
        return converted

    def _compile(self, using: str) -> "_Compiled":
        connection = connections[using]
        queryset = self._build([_PROBE])
        if queryset._iterable_class is not ValuesListIterable:
            raise ImproperlyConfigured("ReadByIds reads a values_list() of plain columns.")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        probe = _ids_param([_PROBE], connection.vendor)
        slots = [index for index, value in enumerate(params) if value == probe]
        if len(slots) != 1:
            raise ImproperlyConfigured("ReadByIds needs exactly one __any_of of the ids.")
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        compiled = _Compiled(
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            width=compiler.col_count,
            converters=tuple(compiler.get_converters(columns).items()),
        )
        self._compiled[(using, connection.vendor)] = compiled
        return compiled


@dataclass(frozen=True, slots=True)
class _Compiled:
    """What a read keeps of its query: not the compiler, which holds the connection of the
    thread that compiled it."""

    sql: str
    params: tuple[Any, ...]
    slot: int  # where the ids go in params
    width: int  # the columns asked for
    converters: tuple[tuple[int, tuple[list[Any], Any]], ...]
