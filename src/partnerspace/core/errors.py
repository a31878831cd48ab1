"""Refusals that services raise and every door (page, API, import) shows the same way."""

from dataclasses import dataclass
from typing import Protocol

from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None  # None: the whole object, not one field
    code: str
    message: str
    value: object = None


class ServiceError(Exception):
    """A refusal the user can act on: a stable code and a translated message."""

    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, **extra: object):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.field = field
        self.extra = extra


class NotAllowed(ServiceError):
    status = 403


def require_role(allowed: bool, message: str | Promise | None = None) -> None:
    """A service's check of the acting membership's role (its `can_…` property), the one
    place a role is checked: pages answer the refusal with a 403 page
    (core.middleware.ServiceRefusalMiddleware), the API with its 403 body."""
    if not allowed:
        raise NotAllowed("not_allowed", str(message or _("Your role does not allow this.")))


class _OfAFirm(Protocol):
    @property
    def firm_id(self) -> int: ...


def require_same_firm(membership: _OfAFirm, thing: _OfAFirm) -> None:
    """Another firm's object does not exist for this membership: every door resolves it
    through the firm first, and this is a service's last line."""
    if thing.firm_id != membership.firm_id:
        raise Http404


class Conflict(ServiceError):
    """The action contradicts the current state: a duplicate, a status that forbids it."""

    status = 409


class ValidationFailed(Exception):
    """One or more fields refused; every error is reported at once, not only the first."""

    status = 422

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))
