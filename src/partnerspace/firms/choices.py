"""A firm's lists to choose from (its staff by name, its configuration templates), which the
client list draws on every page in its filters and its bulk actions, without reading them
from the database on every page.

They change seldom, so they are kept in the cache under the firm's `choices_version`, which
every committed change to what they show raises (`firm_choices_changed`). As with the
clients' counts (clients.counts), the version comes with the firm's row that every page reads
anyway: every web process sees a change with its next request, whatever cache it has.

What changes them: a membership added or removed (or its roles changed), a member's name or
e-mail address, a template added, renamed or deleted. The ORM's signals say so for the first
two here and for templates in the configuration app.
"""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from partnerspace.core.versions import version_raise
from partnerspace.firms.models import Firm, Membership

T = TypeVar("T")
# Long enough to outlast a working day of pages; a version nobody asks for again ages out.
CHOICES_CACHE_SECONDS = 60 * 60 * 12
# What of a person a list of staff shows.
PERSON_FIELDS = frozenset({"first_name", "last_name", "email"})


def firm_choices_changed(*, firm_ids: Iterable[int]) -> None:
    """Raise the firms' choices_version once the current transaction commits."""
    version_raise(Firm, "choices_version", ids=firm_ids)


def choices_cached(firm: Firm, name: str, read: Callable[[], list[T]]) -> list[T]:
    """The firm's list `name`, as `read` gives it, kept until its choices change. `read`
    must give plain values (tuples, strings): they are stored in the cache, not models."""
    key = f"firms:choices:{name}:{firm.pk}:{firm.choices_version}"
    found: list[T] | None = cache.get(key)
    if found is None:
        found = read()
        cache.set(key, found, CHOICES_CACHE_SECONDS)
    return found


def _membership_changed(sender, instance, **kwargs) -> None:
    firm_choices_changed(firm_ids=[instance.firm_id])


def _person_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    # A login saves last_login only: not what a list shows, and not worth a query.
    if created or (update_fields is not None and not PERSON_FIELDS & set(update_fields)):
        return
    firm_choices_changed(
        firm_ids=Membership.objects.filter(user_id=instance.pk).values_list("firm_id", flat=True)
    )


def connect_signals() -> None:
    from django.contrib.auth import get_user_model

    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="firms-choices-saved")
    post_delete.connect(
        _membership_changed, sender=Membership, dispatch_uid="firms-choices-deleted"
    )
    post_save.connect(_person_saved, sender=get_user_model(), dispatch_uid="firms-choices-person")
