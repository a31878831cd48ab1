"""The rows ticked in the client list, kept in the session so they survive paging and filters."""

from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.urls import reverse

from partnerspace.clients.models import Client
from partnerspace.clients.selectors import clients_visible_to

MAX_SELECTION = 10_000


def _key(request) -> str:
    return f"client_selection:{request.firm.pk}"


def selection_get(request) -> set[int]:
    return set(request.session.get(_key(request), []))


def selection_update(request, *, visible: set[int], ticked: set[int]) -> set[int]:
    """The rows shown on this page are exactly `ticked` now; rows on other pages are kept."""
    selection = (selection_get(request) - visible) | ticked
    request.session[_key(request)] = sorted(selection)[:MAX_SELECTION]
    return selection


def selection_add(request, ids) -> set[int]:
    """Every client of a filtered list at once (up to MAX_SELECTION), on top of the ticked."""
    selection = selection_get(request) | set(ids)
    request.session[_key(request)] = sorted(selection)[:MAX_SELECTION]
    return selection_get(request)


def selection_clear(request) -> None:
    request.session.pop(_key(request), None)


def list_page_url(request, url: str) -> str:
    """The client list page `url` names (its path and query), else the list itself.

    Where a bulk action goes back to: only the list page, never another path under it (the
    selection URL, which accepts only POST, drew the bulk bar after each tick)."""
    base = reverse("clients:list", args=[request.firm.slug])
    parts = urlsplit(url)
    if parts.path != base:
        return base
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def selection_clients(request) -> QuerySet[Client]:
    """The ticked clients the person may see, in a fixed order: what a bulk action acts on."""
    ids = selection_get(request)
    return clients_visible_to(request.membership).filter(pk__in=ids).order_by("pk")


def selection_back(request) -> str:
    """Where a bulk action goes back to: the list page its form was sent from (`back`)."""
    return list_page_url(request, request.POST.get("back", ""))
