"""`id_list__any_of`: a column among a list of ids, the list sent as one parameter.

A page reads what belongs to its rows (their staff, invitations, Peppol states) by the rows'
ids. Django's `__in` prepares, checks and binds each id as a parameter of its own: about
thirty Python calls per id, for values that are the page's own integer keys. This sends the
whole list as one value: an array on PostgreSQL (`= ANY(%s)`), a JSON array on SQLite
(`IN (SELECT value FROM json_each(%s))`); both use the column's index as `IN` does.
"""

import json
import operator
from typing import Any

from django.db.models import AutoField, BigAutoField, ForeignKey, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        # Whole numbers only (a page's own keys), and a list, not a query: nothing else is
        # ever sent in it (operator.index refuses text, floats and expressions alike).
        return [operator.index(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs)
        # lhs is the column Django compiled; the ids go in as a parameter.
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, (*lhs_params, json.dumps(self.rhs))


def lookups_register() -> None:
    for field in (ForeignKey, AutoField, BigAutoField):
        field.register_lookup(AnyOf)
