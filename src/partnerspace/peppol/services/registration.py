"""Registering clients as Peppol receivers: who may be, and queueing the registrations (and
deregistrations) that the background run (peppol.services.runner) carries out."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.accounts.models import User
from partnerspace.clients.history import history_record
from partnerspace.clients.models import Client, HistorySource
from partnerspace.core.bulk import BulkOutcome
from partnerspace.core.errors import (
    Conflict,
    require_role,
)
from partnerspace.firms.models import Firm, Membership
from partnerspace.peppol.models import (
    ClientPeppol,
    Operation,
    PeppolBatch,
    PeppolSettings,
    RegistrationStatus,
)
from partnerspace.peppol.published import is_published
from partnerspace.peppol.rules import PROBLEMS, registration_problems, single
from partnerspace.peppol.services.smp_settings import configured_settings

SKIP_REASONS = ("no_mandate", "no_enterprise_number", "archived", "already")


def _skip_reason(client: Client, state: ClientPeppol | None) -> str | None:
    if state is not None and state.status in (
        RegistrationStatus.PENDING,
        RegistrationStatus.REGISTERED,
    ):
        return "already"
    problems = registration_problems(client)
    if "no_mandate" in problems:
        return "no_mandate"
    if "no_enterprise_number" in problems:
        return "no_enterprise_number"
    return problems[0] if problems else None


@dataclass
class RegistrationBulkOutcome(BulkOutcome):
    batch: PeppolBatch | None = None
    reasons: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def _pending_values(
    *, operation: str, actor: User | None, batch: PeppolBatch | None = None
) -> dict[str, Any]:
    """A fresh run: what a queued registration (or deregistration) starts from."""
    now = timezone.now()
    return {
        "status": RegistrationStatus.PENDING,
        "operation": operation,
        "error_code": "",
        "smp_answer": "",
        "other_smp": "",
        "attempts": 0,
        "next_attempt_at": None,
        "completed_steps": [],
        "lease_until": None,
        "batch": batch,
        "requested_at": now,
        "requested_by": actor,
        "updated_at": now,
    }


def _make_pending(
    state: ClientPeppol, *, operation: str, actor: User | None, batch: PeppolBatch | None = None
) -> None:
    for name, value in _pending_values(operation=operation, actor=actor, batch=batch).items():
        setattr(state, name, value)


def _state_locked(client: Client) -> ClientPeppol:
    ClientPeppol.objects.bulk_create([ClientPeppol(client=client)], ignore_conflicts=True)
    return ClientPeppol.objects.select_for_update().get(client=client)


def _enqueue_client(client_id: int) -> None:
    from partnerspace.peppol.tasks import register_client

    transaction.on_commit(lambda: register_client.enqueue(client_id))


@transaction.atomic
def registration_request(
    *, membership: Membership, client: Client, source: str = HistorySource.STAFF
) -> ClientPeppol:
    """E-invoicing activeren for one client: queued, then run in the background."""
    require_role(membership.can_manage_peppol)
    configured_settings(membership.firm)
    client = Client.objects.select_for_update().get(pk=client.pk, firm_id=membership.firm_id)
    state = _state_locked(client)
    reason = _skip_reason(client, state)
    if reason == "already":
        if state.status == RegistrationStatus.PENDING:
            raise Conflict("pending", _("This client's registration is under way."))
        raise Conflict(
            "already_registered",
            _("%(client)s is registered already.") % {"client": client.legal_name},
        )
    if reason:
        raise Conflict(reason, str(PROBLEMS[reason]))
    _make_pending(state, operation=Operation.REGISTER, actor=membership.user)
    state.save()
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="peppol_registration_requested",
    )
    _enqueue_client(client.pk)
    return state


def _queue_many(
    *, firm: Firm, clients: list[Client], actor: User | None, source: str
) -> RegistrationBulkOutcome:
    """Queue the registrable ones among `clients` as one batch; count the others by reason."""
    outcome = RegistrationBulkOutcome()
    ids = [client.pk for client in clients]
    ClientPeppol.objects.bulk_create(
        [ClientPeppol(client_id=pk) for pk in ids], ignore_conflicts=True, batch_size=500
    )
    states = {
        state.client_id: state
        for state in ClientPeppol.objects.select_for_update().filter(client_id__in=ids)
    }
    queued: list[tuple[Client, ClientPeppol]] = []
    for client in clients:
        reason = _skip_reason(client, states[client.pk])
        if reason:
            outcome.skip(reason)
        else:
            queued.append((client, states[client.pk]))
    if not queued:
        return outcome
    batch = PeppolBatch.objects.create(
        firm=firm, created_by=actor, total=len(queued), skipped=outcome.reasons, source=source
    )
    # Every queued row starts from the same values: one UPDATE, whatever the selection's size.
    ClientPeppol.objects.filter(pk__in=[state.pk for _client, state in queued]).update(
        **_pending_values(operation=Operation.REGISTER, actor=actor, batch=batch)
    )
    for client, _state in queued:
        history_record(
            client=client, actor=actor, source=source, action="peppol_registration_requested"
        )
    outcome.done = len(queued)
    outcome.batch = batch
    from partnerspace.peppol.tasks import dispatch_batch

    # One task fans the batch out, so the request that asked for it returns at once.
    transaction.on_commit(lambda: dispatch_batch.enqueue(batch.pk))
    return outcome


@transaction.atomic
def registration_bulk_request(
    *, membership: Membership, clients: Iterable[Client], source: str = HistorySource.STAFF
) -> RegistrationBulkOutcome:
    """E-invoicing activeren for the selected clients: those without a confirmed mandate,
    without a Belgian enterprise number, archived, or registered (or pending) already are
    skipped and counted by reason. Nothing is registered twice."""
    require_role(membership.can_manage_peppol)
    configured_settings(membership.firm)
    clients = [client for client in clients if client.firm_id == membership.firm_id]
    return _queue_many(firm=membership.firm, clients=clients, actor=membership.user, source=source)


def registration_queue_after_import(
    *, firm: Firm, client_ids: Iterable[int], actor: User | None = None
) -> int:
    """The import's hook, called once it created clients (inside its transaction or after):
    when the firm registers imported clients automatically, queue those with a mandate.
    Returns how many were queued; a no-op (0) when automatic registration is off."""
    settings = single(PeppolSettings.objects.filter(firm=firm))
    if settings is None or not settings.auto_register or not settings.is_configured:
        return 0
    with transaction.atomic():
        clients = list(
            Client.objects.select_for_update()
            .filter(firm=firm, pk__in=list(client_ids), peppol_mandate=True)
            .order_by("pk")
        )
        if not clients:
            return 0
        outcome = _queue_many(firm=firm, clients=clients, actor=actor, source=HistorySource.IMPORT)
    return outcome.done


@transaction.atomic
def deregistration_request(
    *, membership: Membership, client: Client, source: str = HistorySource.STAFF
) -> ClientPeppol:
    """Remove the client from the firm's SMP (service group, metadata, business card)."""
    require_role(membership.can_manage_peppol)
    configured_settings(membership.firm)
    client = Client.objects.select_for_update().get(pk=client.pk, firm_id=membership.firm_id)
    state = single(ClientPeppol.objects.select_for_update().filter(client=client))
    if state is not None and state.status == RegistrationStatus.PENDING:
        raise Conflict("pending", _("This client's registration is under way."))
    if state is None or state.status not in (
        RegistrationStatus.REGISTERED,
        RegistrationStatus.FAILED,
    ):
        raise Conflict(
            "not_registered", _("This client is not registered through your firm's SMP.")
        )
    _make_pending(state, operation=Operation.DEREGISTER, actor=membership.user)
    state.save()
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="peppol_deregistration_requested",
    )
    _enqueue_client(client.pk)
    return state


def peppol_client_archived(
    *, client: Client, actor: User | None = None, source: str = HistorySource.STAFF
) -> None:
    """The firm's link with the client ended: its Peppol registration at the firm's SMP goes.

    Invoices would otherwise keep reaching the firm's access point for a company it no longer
    serves. A registration under way finds the client archived and undoes itself (see
    _prepare and _finish), so only a finished (or half-finished) one is queued here.
    """
    state = single(ClientPeppol.objects.select_for_update().filter(client=client))
    if state is None or state.is_pending:
        return
    if not is_published(state.status, state.completed_steps, state.operation):
        return
    _make_pending(state, operation=Operation.DEREGISTER, actor=actor)
    state.save()
    history_record(
        client=client, actor=actor, source=source, action="peppol_deregistration_requested"
    )
    _enqueue_client(client.pk)


def peppol_clients_archived(
    *, client_ids: list[int], actor: User | None = None, source: str = HistorySource.STAFF
) -> None:
    """peppol_client_archived for many, looking only at those with a registration to undo."""
    states = ClientPeppol.objects.filter(
        client_id__in=client_ids,
        status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.FAILED],
    ).select_related("client")
    for state in states:
        peppol_client_archived(client=state.client, actor=actor, source=source)


def batch_dispatch(*, batch_id: int) -> int:
    """Enqueue one registration task per client still pending in the batch."""
    from partnerspace.peppol.tasks import register_client

    ids = list(
        ClientPeppol.objects.filter(batch_id=batch_id, status=RegistrationStatus.PENDING)
        .order_by("client_id")
        .values_list("client_id", flat=True)
    )
    for client_id in ids:
        register_client.enqueue(client_id)
    return len(ids)
