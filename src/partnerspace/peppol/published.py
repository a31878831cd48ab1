"""Whether a client has something published at the firm's SMP: the one rule, and its refusal.

Published means a registration under way (pending), done (registered), or one that failed
half-way, after the SMP had taken some of it. Such a client keeps its mandate, its
enterprise and VAT numbers and its country (its identifiers are built from them), and may not
be deleted, until it is deregistered: otherwise it would stay published with nothing left here
to remove it, or under a number it no longer has.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from partnerspace.clients.models import Client
from partnerspace.core.errors import Conflict
from partnerspace.peppol.models import ClientPeppol, Operation, RegistrationStatus


def is_published(status: str, completed_steps, operation: str) -> bool:
    if status in (RegistrationStatus.PENDING, RegistrationStatus.REGISTERED):
        return True
    if status != RegistrationStatus.FAILED:
        return False
    if operation == Operation.DEREGISTER:
        # Its steps are the deregistration's: all stays published until the service group
        # itself is gone.
        return "delete:service_group" not in (completed_steps or ())
    return bool(completed_steps)


def published_among(client_ids: Iterable[int]) -> set[int]:
    """Those of the clients with something published at the firm's SMP."""
    states = ClientPeppol.objects.filter(client_id__in=list(client_ids)).values_list(
        "client_id", "status", "completed_steps", "operation"
    )
    return {pk for pk, status, steps, operation in states if is_published(status, steps, operation)}


def still_published(client: Client, *, field: str | None = None) -> Conflict:
    """The refusal of a change a published client must wait for (deregistration first)."""
    return Conflict(
        "registered",
        _("%(client)s is registered on Peppol (or about to be): deregister it first.")
        % {"client": client.legal_name},
        field=field,
    )
