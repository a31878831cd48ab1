"""The background run of one registration (or deregistration): the SML look-up and the SMP
calls, each answered step saved at once, retried with back-off, and finished in one state."""

import logging
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from partnerspace.clients.history import history_record
from partnerspace.clients.models import Client, ClientStatus, HistorySource
from partnerspace.core.retry import backoff_delay, enqueue_after
from partnerspace.peppol.identifiers import (
    ParticipantId,
    primary_participant_id,
)
from partnerspace.peppol.models import (
    ClientPeppol,
    Operation,
    PeppolSettings,
    RegistrationStatus,
)
from partnerspace.peppol.rules import (
    is_our_smp,
    registration_problems,
    single,
    smp_allowed_networks,
)
from partnerspace.peppol.secrets import SecretUnreadable, secret_decrypt
from partnerspace.peppol.services.registration import peppol_client_archived
from partnerspace.peppol.sml import LookupFailed, sml_lookup
from partnerspace.peppol.smp import (
    Endpoint,
    SmpAddressRefused,
    SmpClient,
    SmpRefused,
    SmpUnavailable,
    business_card_xml,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a run holds a registration. Far above what one run can take (the SML look-up and
# each SMP call are bounded by their timeouts, and the lease is renewed after each call), so a
# lease that ran out means the worker running it is gone (core.recovery queues it again).
REGISTRATION_LEASE = timedelta(minutes=10)
# What is kept of an answer (the SMP's, already an excerpt, or the network's) and shown.
SMP_ANSWER_MAX = 500


class _Steps(set[str]):
    """The SMP calls answered in this run; each one added is saved at once, and the lease
    renewed, so that the run taking this one's place after a crash starts after it."""

    def __init__(self, client_id: int, steps: Iterable[str]) -> None:
        super().__init__(steps)
        self.client_id = client_id

    def add(self, step: str) -> None:
        super().add(step)
        ClientPeppol.objects.filter(
            client_id=self.client_id, status=RegistrationStatus.PENDING
        ).update(completed_steps=sorted(self), lease_until=timezone.now() + REGISTRATION_LEASE)


@dataclass
class _Run:
    client: Client
    settings: PeppolSettings
    secret: str
    participant: ParticipantId
    operation: str
    done: set[str]


def _participant_of(state: ClientPeppol, client: Client) -> ParticipantId | None:
    if state.participant_id and "::" in state.participant_id:
        scheme, value = state.participant_id.split("::", 1)
        return ParticipantId(value, primary=True, scheme=scheme)
    return primary_participant_id(client)


def _prepare(client_id: int) -> _Run | str:
    with transaction.atomic():
        state = single(
            ClientPeppol.objects.select_for_update()
            .select_related("client__firm")
            .filter(client_id=client_id)
        )
        if state is None or state.status != RegistrationStatus.PENDING:
            return "skipped"
        now = timezone.now()
        if state.lease_until is not None and state.lease_until > now:
            # Another run holds it; if its worker died, the work is taken up when it runs out.
            _come_back(client_id, state.lease_until - now + timedelta(seconds=1))
            return "claimed"
        client = state.client
        state.attempts += 1
        state.next_attempt_at = None
        state.updated_at = now
        state.lease_until = now + REGISTRATION_LEASE
        settings = single(PeppolSettings.objects.filter(firm_id=client.firm_id))
        if settings is None or not settings.is_configured:
            return _fail(state, "smp_not_configured")
        try:
            secret = secret_decrypt(settings.secret_encrypted)
        except SecretUnreadable:
            return _fail(state, "secret_unreadable")
        if state.operation == Operation.REGISTER:
            problems = registration_problems(client)
            if "archived" in problems and state.completed_steps:
                # Archived half-way through: what was created at the SMP is removed.
                state.operation = Operation.DEREGISTER
                state.completed_steps = []
            elif problems:
                return _fail(state, problems[0])
        if state.operation == Operation.REGISTER:
            participant = primary_participant_id(client)
            if participant is None:  # registration_problems refused it above already
                return _fail(state, "no_enterprise_number")
            state.participant_id = participant.uri
        else:
            participant = _participant_of(state, client)
            if participant is None:
                return _finish(state, RegistrationStatus.NOT_REGISTERED, "peppol_deregistered")
        state.save(
            update_fields=[
                "attempts",
                "next_attempt_at",
                "updated_at",
                "lease_until",
                "participant_id",
                "operation",
                "completed_steps",
            ]
        )
        return _Run(
            client=client,
            settings=settings,
            secret=secret,
            participant=participant,
            operation=state.operation,
            done=_Steps(client_id, state.completed_steps),
        )


def registration_run(*, client_id: int) -> str:
    """The task body: register (or deregister) one client, resuming after the steps done.

    The SMP is called outside any transaction. Each call it answered is saved at once, with
    the lease renewed, so neither a retry nor the run that takes up the work of a killed worker
    repeats it. (The call a worker was killed in is repeated: a PUT or DELETE of the same
    document, which the SMP takes as the same state.)
    """
    run = _prepare(client_id)
    if isinstance(run, str):
        return run
    try:
        if run.operation == Operation.REGISTER:
            return _register(run)
        return _deregister(run)
    except (SmpUnavailable, LookupFailed) as error:
        return _retry(client_id, error, run.done)
    except SmpAddressRefused as refused:
        return _fail_by_id(client_id, "smp_address", refused.describe(), run.done)
    except SmpRefused as refused:
        return _fail_by_id(client_id, "smp_refused", refused.describe(), run.done)


def _smp(run: _Run) -> SmpClient:
    return SmpClient(
        run.settings.smp_base_url,
        auth_scheme=run.settings.auth_scheme,
        username=run.settings.username,
        secret=run.secret,
        timeout=django_settings.PARTNERSPACE_SMP_TIMEOUT,
        allowed=smp_allowed_networks(),
    )


def _endpoint(settings: PeppolSettings) -> Endpoint:
    return Endpoint(
        address=settings.access_point_url,
        certificate=settings.access_point_certificate,
        transport_profile=settings.transport_profile,
        description=settings.service_description or settings.firm.name,
        technical_contact=settings.technical_contact,
    )


def _register(run: _Run) -> str:
    client_id = run.client.pk
    answer = sml_lookup(run.participant)
    if answer.smp_url and not is_our_smp(run.settings, answer.smp_url):
        return _elsewhere(client_id, answer.smp_url)
    smp = _smp(run)
    if "service_group" not in run.done:
        try:
            smp.put_service_group(run.participant)
        except SmpRefused as refused:
            # It exists already: fine when the SML says it is ours (an earlier, interrupted
            # registration); someone else's otherwise.
            if refused.status != 409:
                raise
            if not answer.smp_url:
                return _fail_by_id(client_id, "conflict", refused.describe(), run.done)
        run.done.add("service_group")
    endpoint = _endpoint(run.settings)
    for document in run.settings.document_types:
        step = f"metadata:{document}"
        if step not in run.done:
            smp.put_service_metadata(run.participant, document, run.settings.process_id, endpoint)
            run.done.add(step)
    if "business_card" not in run.done:
        client = run.client
        smp.put_business_card(
            run.participant,
            business_card_xml(
                run.participant,
                name=client.legal_name,
                country=client.country or "BE",
                vat_number=client.vat_number,
                place=" ".join(part for part in (client.postal_code, client.city) if part),
            ),
        )
        run.done.add("business_card")
    return _finish_by_id(client_id, RegistrationStatus.REGISTERED, "peppol_registered")


def _deleted(call: Callable[..., object], *args: object) -> None:
    try:
        call(*args)
    except SmpRefused as refused:
        if refused.status != 404:  # gone already is what we want
            raise


def _deregister(run: _Run) -> str:
    client_id = run.client.pk
    smp = _smp(run)
    if "delete:business_card" not in run.done:
        _deleted(smp.delete_business_card, run.participant)
        run.done.add("delete:business_card")
    for document in run.settings.document_types:
        step = f"delete:metadata:{document}"
        if step not in run.done:
            _deleted(smp.delete_service_metadata, run.participant, document)
            run.done.add(step)
    if "delete:service_group" not in run.done:
        _deleted(smp.delete_service_group, run.participant)
        run.done.add("delete:service_group")
    return _finish_by_id(client_id, RegistrationStatus.NOT_REGISTERED, "peppol_deregistered")


def _locked_pending(client_id: int) -> ClientPeppol | None:
    state = single(
        ClientPeppol.objects.select_for_update()
        .select_related("client")
        .filter(client_id=client_id)
    )
    return state if state is not None and state.status == RegistrationStatus.PENDING else None


def _finish(state: ClientPeppol, status: str, action: str, **extra: object) -> str:
    now = timezone.now()
    state.status = status
    state.next_attempt_at = None
    state.lease_until = None
    state.updated_at = now
    if status == RegistrationStatus.REGISTERED:
        state.registered_at = now
        state.error_code = ""
        state.smp_answer = ""
    elif status == RegistrationStatus.NOT_REGISTERED:
        state.registered_at = None
        state.participant_id = ""
        state.error_code = ""
        state.smp_answer = ""
    for name, value in extra.items():
        setattr(state, name, value)
    state.save()
    changes: list[dict[str, Any]] = []
    if state.other_smp and status == RegistrationStatus.REGISTERED_ELSEWHERE:
        changes.append({"field": "other_smp", "old": None, "new": state.other_smp})
    if state.smp_answer and status == RegistrationStatus.FAILED:
        changes.append({"field": "smp_answer", "old": None, "new": state.smp_answer[:500]})
    history_record(
        client=state.client,
        actor=None,
        source=HistorySource.SYSTEM,
        action=action,
        changes=changes,
    )
    undo = status == RegistrationStatus.REGISTERED or (
        # A registration that failed half-way left something at the SMP; a failed
        # deregistration is not tried again here, or it would never stop.
        status == RegistrationStatus.FAILED
        and state.operation == Operation.REGISTER
        and state.completed_steps
    )
    if undo and state.client.status == ClientStatus.ARCHIVED:
        # Archived while the registration ran: what it made is removed at once.
        peppol_client_archived(client=state.client, source=HistorySource.SYSTEM)
    return status


@transaction.atomic
def _finish_by_id(client_id: int, status: str, action: str, **extra: object) -> str:
    state = _locked_pending(client_id)
    if state is None:
        return "skipped"
    return _finish(state, status, action, **extra)


def _elsewhere(client_id: int, smp_url: str) -> str:
    return _finish_by_id(
        client_id,
        RegistrationStatus.REGISTERED_ELSEWHERE,
        "peppol_registered_elsewhere",
        other_smp=smp_url[:300],
        error_code="",
        smp_answer="",
    )


def _fail(state: ClientPeppol, code: str, answer: str = "") -> str:
    action = (
        "peppol_registration_failed"
        if state.operation == Operation.REGISTER
        else "peppol_deregistration_failed"
    )
    return _finish(
        state,
        RegistrationStatus.FAILED,
        action,
        error_code=code,
        smp_answer=answer[:SMP_ANSWER_MAX],
    )


@transaction.atomic
def _fail_by_id(
    client_id: int, code: str, answer: str = "", done: AbstractSet[str] = frozenset()
) -> str:
    state = _locked_pending(client_id)
    if state is None:
        return "skipped"
    # What was created stays known, for a deregistration to clean up.
    state.completed_steps = sorted(done)
    return _fail(state, code, answer)


def _retry(client_id: int, error: Exception, done: AbstractSet[str] = frozenset()) -> str:
    from partnerspace.peppol.tasks import register_client

    answer = error.describe() if isinstance(error, SmpUnavailable) else str(error)
    code = "lookup_unavailable" if isinstance(error, LookupFailed) else "smp_unreachable"
    with transaction.atomic():
        state = _locked_pending(client_id)
        if state is None:
            return "skipped"
        if state.attempts >= MAX_ATTEMPTS:
            log.error("Peppol %s of client %s failed: %s", state.operation, client_id, answer)
            # What the last attempt made stays known, for a deregistration to remove.
            state.completed_steps = sorted(done)
            return _fail(state, code, answer)
        delay = backoff_delay(state.attempts)
        state.smp_answer = answer[:SMP_ANSWER_MAX]
        state.completed_steps = sorted(done)
        state.next_attempt_at = timezone.now() + delay
        state.lease_until = None
        state.updated_at = timezone.now()
        state.save(
            update_fields=[
                "smp_answer",
                "completed_steps",
                "next_attempt_at",
                "lease_until",
                "updated_at",
            ]
        )
    log.warning(
        "Peppol call for client %s failed (%s); next attempt in %s", client_id, answer, delay
    )
    transaction.on_commit(lambda: enqueue_after(register_client, delay, client_id))
    return "retrying"


def _come_back(client_id: int, wait: timedelta) -> None:
    """Run the registration again after `wait` (on a backend that can defer; the immediate
    one, in tests, has no other run to wait for)."""
    from partnerspace.peppol.tasks import register_client

    if register_client.get_backend().supports_defer:
        transaction.on_commit(lambda: enqueue_after(register_client, wait, client_id))
