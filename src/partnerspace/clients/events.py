"""What the other apps may react to when a client changes: typed registries of handlers.

`clients` imports nothing from the apps that react (peppol, invitations, configuration,
companies). Each of them registers its handlers in its `AppConfig.ready`:

    from partnerspace.clients import events
    events.client_archived.register(peppol_clients_archived_handler)

A handler runs inside the transaction of the change, in the order the handlers were
registered, and may refuse the change by raising a `core.errors.ServiceError`: the whole
change is then rolled back. Plain functions rather than Django signals: a handler's event is a
typed dataclass, a refusal reaches the caller as it is (a signal would need `send_robust` to
let it through, or swallow it), and a check (`client_deletion_refusals`) answers with a value.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from partnerspace.clients.models import Client
from partnerspace.core.errors import ServiceError
from partnerspace.core.registry import Registry


@dataclass(frozen=True)
class ClientsArchived:
    """Clients of one firm were archived, through one door (`source`): their link with the
    firm ended. Sent once per change, for one client or many."""

    firm_id: int
    client_ids: tuple[int, ...]
    actor: Any  # the user, or None for the system
    source: str


@dataclass(frozen=True)
class MandateChanged:
    """The firm's Peppol mandate for the client is about to be confirmed or withdrawn; sent
    before it is saved, so that a handler may refuse it."""

    client: Client
    confirmed: bool
    actor: Any
    source: str


@dataclass(frozen=True)
class ClientCreated:
    """A client was created, its contacts and first history row written. `template` (a
    configuration template or None), `membership` and `integrations` are what the door asked
    for besides the client: the apps that own them apply them."""

    client: Client
    actor: Any
    source: str
    template: Any = None
    membership: Any = None
    integrations: Sequence[Mapping] = field(default_factory=tuple)


@dataclass(frozen=True)
class ClientsImported:
    """Many clients of one firm were created at once, past `client_create` (the import writes
    its rows in bulk): sent once per batch, inside its transaction, after the rows are
    written. `client_created` is not sent for them."""

    firm_id: int
    client_ids: tuple[int, ...]
    actor: Any
    source: str


@dataclass(frozen=True)
class DetailsChanged:
    """The firm changed a client's details (`changes`: the history's field/old/new lines);
    sent before the client is saved."""

    client: Client
    changes: Sequence[Mapping]
    actor: Any
    source: str


@dataclass(frozen=True)
class DetailsChanging:
    """A client's details are about to change (`changes` as in DetailsChanged): a handler may
    refuse by raising a ServiceError, and writes nothing, since a dry run (the import's
    preview) asks too. Sent before details_changed."""

    client: Client
    changes: Sequence[Mapping]


@dataclass(frozen=True)
class ClientsDeleting:
    """Drafts are about to be deleted: each handler answers those that must stay, and why."""

    client_ids: tuple[int, ...]


client_archived: Registry[ClientsArchived, None] = Registry("client_archived")
mandate_changed: Registry[MandateChanged, None] = Registry("mandate_changed")
client_created: Registry[ClientCreated, None] = Registry("client_created")
details_changed: Registry[DetailsChanged, None] = Registry("details_changed")
details_change_refusals: Registry[DetailsChanging, None] = Registry("details_change_refusals")
clients_imported: Registry[ClientsImported, None] = Registry("clients_imported")
client_deletion_refusals: Registry[ClientsDeleting, Mapping[int, ServiceError]] = Registry(
    "client_deletion_refusals"
)


def deletion_refusals(client_ids: Sequence[int]) -> dict[int, ServiceError]:
    """Why some of these clients may not be deleted, by id (the first refusal of each)."""
    refused: dict[int, ServiceError] = {}
    for answer in client_deletion_refusals.send(ClientsDeleting(tuple(client_ids))):
        for pk, refusal in (answer or {}).items():
            refused.setdefault(pk, refusal)
    return refused
