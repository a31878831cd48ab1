"""Mandates, the firm's SMP settings, and registering clients as Peppol receivers.

A client may be registered when it has a confirmed mandate (`Client.peppol_mandate`, set by a
confirmation here, the client form or the import's Mandaat column), a Belgian enterprise
number, and a status other than Archived: `registration_problems` says so, once. Each
registration runs as a background task (`registration_run`) that talks to the SMP; network
trouble and 5xx answers are retried with back-off, a 4xx fails at once with the SMP's answer.
"""

import ipaddress
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerspace.clients.history import history_record
from partnerspace.clients.lifecycle import client_mandate_set
from partnerspace.clients.models import Client, ClientStatus, HistorySource
from partnerspace.core.bulk import BulkOutcome
from partnerspace.core.errors import (
    Conflict,
    FieldError,
    ValidationFailed,
    require_role,
)
from partnerspace.core.outbound import (
    AllowList,
    OutboundFailed,
    OutboundRefused,
    addresses_checked,
    is_public_address,
)
from partnerspace.core.retry import backoff_delay, enqueue_after
from partnerspace.firms.models import Firm, Membership
from partnerspace.firms.services import audit_record
from partnerspace.peppol.identifiers import (
    ParticipantId,
    enterprise_number,
    primary_participant_id,
)
from partnerspace.peppol.models import (
    AuthScheme,
    ClientPeppol,
    MandateDocument,
    Operation,
    PeppolBatch,
    PeppolSettings,
    RegistrationStatus,
)
from partnerspace.peppol.published import is_published
from partnerspace.peppol.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from partnerspace.peppol.sml import LookupFailed, sml_lookup
from partnerspace.peppol.smp import (
    Endpoint,
    SmpAddressRefused,
    SmpClient,
    SmpRefused,
    SmpUnavailable,
    business_card_xml,
    certificate_der_base64,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a run holds a registration. Far above what one run can take (the SML look-up and
# each SMP call are bounded by their timeouts, and the lease is renewed after each call), so a
# lease that ran out means the worker running it is gone (core.recovery queues it again).
REGISTRATION_LEASE = timedelta(minutes=10)
# What is kept of an answer (the SMP's, already an excerpt, or the network's) and shown.
SMP_ANSWER_MAX = 500
MANDATE_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"

# Why a client cannot be registered, in the order the page lists them.
PROBLEMS = {
    "archived": gettext_lazy("The client is archived."),
    "no_mandate": gettext_lazy("There is no confirmed Peppol mandate."),
    "no_enterprise_number": gettext_lazy("The client has no Belgian enterprise number."),
}
# Why a registration stopped: shown beside the SMP's own answer.
FAILURES = {
    **PROBLEMS,
    "smp_not_configured": gettext_lazy("Your firm's SMP is not configured (Settings → Peppol)."),
    "secret_unreadable": gettext_lazy(
        "The SMP password can no longer be read; enter it again in Settings → Peppol."
    ),
    "smp_refused": gettext_lazy("The SMP refused the request."),
    "smp_address": gettext_lazy(
        "This address is not a public one, and this installation does not allow an SMP there."
    ),
    "smp_unreachable": gettext_lazy("The SMP could not be reached; the last attempts failed."),
    "lookup_unavailable": gettext_lazy(
        "The Peppol network's look-up (SML) did not answer; the last attempts failed."
    ),
    "conflict": gettext_lazy(
        "The SMP already holds this participant, but the Peppol network does not show it as "
        "registered with your SMP."
    ),
}
SKIP_REASONS = ("no_mandate", "no_enterprise_number", "archived", "already")


def single(queryset):
    """The row a unique lookup finds, or None. Not `.first()`: its ORDER BY pk can make the
    database walk the primary key instead of using the unique index."""
    return next(iter(queryset[:1]), None)


# Settings


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def smp_allowed_networks() -> AllowList:
    """Where a firm's SMP may be besides public addresses: the installation's choice."""
    return AllowList.parse(django_settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS)


def _url_error(name: str, value: str, *, required: bool, tls: bool = True) -> FieldError | None:
    if not value:
        return FieldError(name, "required", _("This field is required.")) if required else None
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return FieldError(name, "invalid_url", _("Enter an address starting with https://."))
    if tls and parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        # Credentials and certificates travel over it: only a local test server may skip TLS.
        return FieldError(name, "https_required", _("Use an https:// address."))
    return None


def _smp_address_error(value: str) -> FieldError | None:
    """The firm's SMP: https, at a public address, unless the installation allows its host.

    Checked here so the administrator hears it at once; checked again at every connection,
    where it counts (the name may resolve elsewhere by then)."""
    error = _url_error("smp_base_url", value, required=True, tls=False)
    if error:
        return error
    parts = urlsplit(value)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allowed = smp_allowed_networks()
    literal = _ip_literal(parts.hostname)
    not_allowed = FieldError("smp_base_url", "address_not_allowed", str(FAILURES["smp_address"]))
    if literal is not None and not (
        is_public_address(literal) or allowed.permits("", literal, port)
    ):
        return not_allowed
    if literal:
        listed = allowed.permits(parts.hostname, literal, port)
    else:
        listed = allowed.lists(parts.hostname, port)
    if parts.scheme == "http" and not listed:
        # The credentials travel over it: in clear only inside the installation's own network.
        return FieldError("smp_base_url", "https_required", _("Use an https:// address."))
    try:
        addresses_checked(parts.hostname, port, allowed=allowed)
    except OutboundRefused:
        return not_allowed
    except OutboundFailed:
        return FieldError(
            "smp_base_url", "address_not_found", _("No server could be found at this address.")
        )
    return None


def _ip_literal(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _lines(value) -> list[str]:
    items = value.splitlines() if isinstance(value, str) else list(value or [])
    seen = []
    for item in (str(line).strip() for line in items):
        if item and item not in seen:
            seen.append(item)
    return seen


def _settings_clean(data: dict, current: PeppolSettings) -> dict:
    errors: list[FieldError] = []
    values = {}
    text = {name: str(data.get(name) or "").strip() for name in data if name != "document_types"}
    # The public address is only compared with the SML's answer (Peppol SMPs publish an
    # http:// one); the other two carry credentials or receive documents: TLS.
    for name, required, tls in (
        ("smp_base_url", True, True),
        ("smp_public_url", False, False),
        ("access_point_url", True, True),
    ):
        value = text.get(name, "")
        if name == "smp_base_url":
            error = _smp_address_error(value)
        else:
            error = _url_error(name, value, required=required, tls=tls)
        if error:
            errors.append(error)
        values[name] = value.rstrip("/") if name != "access_point_url" else value
    scheme = text.get("auth_scheme") or AuthScheme.BASIC
    if scheme not in AuthScheme.values:
        errors.append(FieldError("auth_scheme", "invalid", _("Choose Basic or Bearer.")))
    values["auth_scheme"] = scheme
    values["username"] = text.get("username", "")[:200]
    if scheme == AuthScheme.BASIC and not values["username"]:
        errors.append(FieldError("username", "required", _("This field is required.")))
    secret = str(data.get("secret") or "")
    if not secret.strip() and not current.has_secret:
        errors.append(FieldError("secret", "required", _("This field is required.")))
    documents = _lines(data.get("document_types"))
    if not documents:
        errors.append(FieldError("document_types", "required", _("Name at least one type.")))
    for document in documents:
        if "::" not in document or any(c.isspace() for c in document) or len(document) > 500:
            errors.append(
                FieldError(
                    "document_types",
                    "invalid_document_type",
                    _("%(value)s is not a document type identifier.") % {"value": document[:80]},
                )
            )
    values["document_types"] = documents
    for name, limit in (("process_id", 200), ("transport_profile", 100)):
        value = text.get(name, "")
        if not value:
            errors.append(FieldError(name, "required", _("This field is required.")))
        elif len(value) > limit or any(c.isspace() for c in value):
            errors.append(FieldError(name, "invalid", _("Enter an identifier without spaces.")))
        values[name] = value
    try:
        values["access_point_certificate"] = certificate_der_base64(
            text.get("access_point_certificate", "")
        )
    except ValueError:
        errors.append(
            FieldError(
                "access_point_certificate",
                "invalid_certificate",
                _("Paste the access point's certificate (PEM, or base64 of the DER)."),
            )
        )
    values["service_description"] = text.get("service_description", "")[:200]
    values["technical_contact"] = text.get("technical_contact", "")[:254]
    if not values["technical_contact"]:
        errors.append(FieldError("technical_contact", "required", _("This field is required.")))
    values["auto_register"] = bool(data.get("auto_register"))
    if errors:
        raise ValidationFailed(errors)
    if secret.strip():
        values["secret_encrypted"] = secret_encrypt(secret.strip())
    return values


@transaction.atomic
def peppol_settings_save(*, membership: Membership, data: dict) -> PeppolSettings:
    """Configure the firm's SMP. An empty secret keeps the stored one; none is ever returned."""
    require_role(membership.can_manage_configuration)
    current, _created = PeppolSettings.objects.select_for_update().get_or_create(
        firm=membership.firm
    )
    values = _settings_clean(data, current)
    changed = sorted(
        name if name != "secret_encrypted" else "secret"
        for name, value in values.items()
        if getattr(current, name) != value
    )
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_at = timezone.now()
    current.updated_by = membership.user
    current.save()
    if changed:
        audit_record(
            firm=membership.firm,
            actor=membership.user,
            action="peppol.settings_changed",
            target_label="Peppol",
            data={"changed": changed},
        )
    return current


def _configured_settings(firm: Firm) -> PeppolSettings:
    settings = single(PeppolSettings.objects.filter(firm=firm))
    if settings is None or not settings.is_configured:
        raise Conflict("smp_not_configured", str(FAILURES["smp_not_configured"]))
    return settings


# Mandates


def _is_confirmed(client: Client) -> bool:
    return client.peppol_mandate and client.mandate_confirmed_at is not None


@transaction.atomic
def mandate_confirm(
    *, membership: Membership, client: Client, document=None, source: str = HistorySource.STAFF
) -> Client:
    """The firm holds the client's signed mandate: yes, from now, confirmed by this person.
    The signed PDF may come with it."""
    require_role(membership.can_manage_peppol)
    client = Client.objects.select_for_update().get(pk=client.pk, firm_id=membership.firm_id)
    if document is not None:
        _document_store(client, document, membership.user, source)
    if not _is_confirmed(client):
        client_mandate_set(client=client, confirmed=True, actor=membership.user, source=source)
    return client


@transaction.atomic
def mandates_bulk_confirm(
    *, membership: Membership, clients: Iterable[Client], source: str = HistorySource.STAFF
) -> BulkOutcome:
    """Ondertekende mandaten bevestigen: the ones confirmed already are skipped and counted."""
    require_role(membership.can_manage_peppol)
    outcome = BulkOutcome()
    for client in clients:
        if client.firm_id != membership.firm_id or _is_confirmed(client):
            outcome.skipped += 1
            continue
        client_mandate_set(client=client, confirmed=True, actor=membership.user, source=source)
        outcome.done += 1
    return outcome


@transaction.atomic
def mandate_withdraw(
    *, membership: Membership, client: Client, source: str = HistorySource.STAFF
) -> Client:
    """The firm no longer holds the mandate. A registered client is deregistered first."""
    require_role(membership.can_manage_peppol)
    client = Client.objects.select_for_update().get(pk=client.pk, firm_id=membership.firm_id)
    if not client.peppol_mandate and client.mandate_confirmed_at is None:
        return client
    # A published client is refused here (peppol.handlers.on_mandate_changed).
    return client_mandate_set(client=client, confirmed=False, actor=membership.user, source=source)


def _document_check(upload) -> None:
    size = getattr(upload, "size", None) or 0
    if size > MANDATE_MAX_BYTES:
        raise ValidationFailed(
            [
                FieldError(
                    "document",
                    "too_large",
                    _("The file is larger than %(limit)d MB.")
                    % {"limit": MANDATE_MAX_BYTES // (1024 * 1024)},
                )
            ]
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if size == 0 or head != PDF_MAGIC:
        raise ValidationFailed(
            [FieldError("document", "not_pdf", _("Upload the signed mandate as a PDF file."))]
        )


def _document_store(client: Client, upload, actor, source: str) -> MandateDocument:
    _document_check(upload)
    name = get_valid_filename(os.path.basename(upload.name or ""))[:200] or "mandate.pdf"
    if not name.lower().endswith(".pdf"):
        name = f"{name}.pdf"
    document = MandateDocument(
        client=client, original_name=name, size=upload.size, uploaded_by=actor
    )
    document.file.save(name, upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    history_record(
        client=client,
        actor=actor,
        source=source,
        action="mandate_document_added",
        changes=[{"field": "mandate_document", "old": None, "new": name}],
    )
    return document


@transaction.atomic
def mandate_document_upload(
    *, membership: Membership, client: Client, upload, source: str = HistorySource.STAFF
) -> MandateDocument:
    """Keep the signed mandate (a PDF of at most 10 MB) with the client."""
    require_role(membership.can_manage_peppol)
    client = Client.objects.select_for_update().get(pk=client.pk, firm_id=membership.firm_id)
    return _document_store(client, upload, membership.user, source)


# Registration: who may be registered, and queueing


def registration_problems(client: Client) -> list[str]:
    """The reasons (PROBLEMS codes) this client cannot be registered; empty when it can."""
    problems = []
    if client.status == ClientStatus.ARCHIVED:
        problems.append("archived")
    if not _is_confirmed(client):
        problems.append("no_mandate")
    if enterprise_number(client) is None:
        problems.append("no_enterprise_number")
    return problems


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


def _pending_values(*, operation: str, actor, batch=None) -> dict:
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


def _make_pending(state: ClientPeppol, *, operation: str, actor, batch=None) -> None:
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
    _configured_settings(membership.firm)
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
    *, firm: Firm, clients: list[Client], actor, source: str
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
    _configured_settings(membership.firm)
    clients = [client for client in clients if client.firm_id == membership.firm_id]
    return _queue_many(firm=membership.firm, clients=clients, actor=membership.user, source=source)


def registration_queue_after_import(*, firm: Firm, client_ids: Iterable[int], actor=None) -> int:
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
    _configured_settings(membership.firm)
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
    *, client: Client, actor=None, source: str = HistorySource.STAFF
) -> None:
    """The firm's link with the client ended: its Peppol registration at the firm's SMP goes.

    Invoices would otherwise keep reaching the firm's access point for a company it no longer
    serves. A registration under way finds the client archived and undoes itself (see
    _prepare and _finish), so only a finished (or half-finished) one is queued here.
    """
    state = single(ClientPeppol.objects.select_for_update().filter(client=client))
    if state is None or state.is_pending or not is_published(state.status, state.completed_steps):
        return
    _make_pending(state, operation=Operation.DEREGISTER, actor=actor)
    state.save()
    history_record(
        client=client, actor=actor, source=source, action="peppol_deregistration_requested"
    )
    _enqueue_client(client.pk)


def peppol_clients_archived(
    *, client_ids: list[int], actor=None, source: str = HistorySource.STAFF
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


# Registration: the background run


def is_our_smp(settings: PeppolSettings, smp_url: str) -> bool:
    """Whether the SML's answer names this firm's SMP. Hosts are compared, not whole URLs:
    the SML publishes the SMP's public (often http://) address, the firm configures its
    REST address."""
    ours = {
        (urlsplit(url).hostname or "").lower()
        for url in (settings.smp_base_url, settings.smp_public_url)
        if url
    }
    return (urlsplit(smp_url).hostname or "").lower() in ours


class _Steps(set):
    """The SMP calls answered in this run; each one added is saved at once, and the lease
    renewed, so that the run taking this one's place after a crash starts after it."""

    def __init__(self, client_id: int, steps):
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


def _deleted(call, *args) -> None:
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


def _finish(state: ClientPeppol, status: str, action: str, **extra) -> str:
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
    changes = []
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
def _finish_by_id(client_id: int, status: str, action: str, **extra) -> str:
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
def _fail_by_id(client_id: int, code: str, answer: str = "", done: set[str] = frozenset()) -> str:
    state = _locked_pending(client_id)
    if state is None:
        return "skipped"
    # What was created stays known, for a deregistration to clean up.
    state.completed_steps = sorted(done)
    return _fail(state, code, answer)


def _retry(client_id: int, error: Exception, done: set[str] = frozenset()) -> str:
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
