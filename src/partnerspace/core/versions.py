"""Version counters in a row that every page reads anyway (a firm's), raised once the
transaction that changed what they stand for commits: a cache keyed by the version is read
again by every web process, on every machine, with the next request after the change.

Raised after the commit, so that a page reading under the new version sees the change, and
once per transaction and counter, however many rows the transaction changed.
"""

from collections.abc import Callable, Iterable

from django.db import models, transaction
from django.db.models import F


def version_raise(model: type[models.Model], field: str, *, ids: Iterable[int]) -> None:
    """Raise `field` of the `model` rows `ids` when the current transaction commits (at once
    outside one); a rollback raises nothing."""
    wanted = {pk for pk in ids if pk}
    if not wanted:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _raise(model, field, wanted)
        return
    waiting: dict[tuple[type[models.Model], str], tuple[set[int], Callable[[], None]]]
    waiting = connection.__dict__.setdefault("_versions_to_raise", {})
    key = (model, field)
    pending = waiting.get(key)
    # Still waiting for this transaction's commit? (A rollback drops the callback.)
    if pending is None or not any(entry[1] is pending[1] for entry in connection.run_on_commit):
        rows: set[int] = set()
        pending = waiting[key] = (rows, lambda: _raise(model, field, rows))
        # Robust: the change is committed whatever happens here; a failed raise leaves a cache
        # a while behind (logged), not the person who made the change facing an error page.
        transaction.on_commit(pending[1], robust=True)
    pending[0].update(wanted)


def _raise(model: type[models.Model], field: str, ids: set[int]) -> None:
    model._default_manager.filter(pk__in=sorted(ids)).update(**{field: F(field) + 1})
