"""The menu's count of a firm's open register changes, without counting them on every page.

Every page draws the menu, and its count of open changes was a query of its own. The count
changes only when the firm's open changes do (the watch flags, moves or drops them after an
update; a person takes one over or dismisses it) or when the clients it counts do (a client
deleted; for an accountant, who counts only their own clients, an assignment). So it is kept
in the cache under two versions from the firm's row, which every page reads anyway:
`register_changes_version`, raised here by each writer of the changes, and `clients_version`
(clients.counts), raised by those of the clients. Every process, on every machine, sees a
change with its next page.
"""

from collections.abc import Callable, Iterable

from django.core.cache import cache

from partnerspace.core.versions import version_raise
from partnerspace.firms.models import Firm, Membership

# A version nobody asks for again ages out; an hour bounds what an idle firm keeps.
CACHE_SECONDS = 3600


def register_changes_changed(*, firm_ids: Iterable[int]) -> None:
    """Raise the firms' register_changes_version once the current transaction commits (at
    once outside one): the next page counts again (core.versions)."""
    version_raise(Firm, "register_changes_version", ids=firm_ids)


def count_cached(membership: Membership, count: Callable[[], int]) -> int:
    """`count()` of this membership's open changes, as counted since they last changed."""
    firm = membership.firm
    key = (
        f"register:open-changes:{firm.pk}:{firm.register_changes_version}:"
        f"{firm.clients_version}:{membership.clients_seen}"
    )
    counted: int | None = cache.get(key)
    if counted is None:
        counted = count()
        cache.set(key, counted, CACHE_SECONDS)
    return counted
