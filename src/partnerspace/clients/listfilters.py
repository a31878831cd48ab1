"""Filters of the client list that the apps above clients add (a VIES state, …): clients
knows nothing of them but their query parameter, choices and how they narrow a queryset.

An app registers its filter in its AppConfig.ready (`list_filter_register`); the list page
and the API read `list_filters()` and pass the chosen values in `ClientFilters.extra`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from partnerspace.clients.models import Client


@dataclass(frozen=True)
class ListFilter:
    param: str  # the query parameter, on the page and in the API
    label: Any  # a lazy translation
    choices: tuple[tuple[str, Any], ...]  # (value, label)
    narrow: Callable[[QuerySet[Client], str], QuerySet[Client]]
    # How many of the clients (the tab's) each choice would keep; None: no counts shown. A
    # large firm's counts are kept until its clients_version rises: the filter's app raises it
    # (clients.counts.clients_changed) whenever what it filters on changes.
    count: Callable[[QuerySet[Client]], dict[str, int]] | None = None

    def value_of(self, raw: object) -> str:
        """The chosen value, or "" for none or one that is not a choice."""
        text = str(raw or "")
        return text if any(text == value for value, _label in self.choices) else ""


_FILTERS: dict[str, ListFilter] = {}


def list_filter_register(list_filter: ListFilter) -> None:
    _FILTERS[list_filter.param] = list_filter


def list_filters() -> tuple[ListFilter, ...]:
    return tuple(_FILTERS.values())


def list_filters_apply(
    clients: QuerySet[Client], extra: tuple[tuple[str, str], ...]
) -> tuple[QuerySet[Client], bool]:
    """The clients narrowed by each chosen filter, and whether any was chosen."""
    narrowed = False
    for param, value in extra:
        list_filter = _FILTERS.get(param)
        if list_filter is None or not list_filter.value_of(value):
            continue
        clients = list_filter.narrow(clients, value)
        narrowed = True
    return clients, narrowed
