"""Reads: a client's e-invoicing state, a batch's progress, a mandate document, a look-up."""

from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _

from partnerspace.clients.models import Client
from partnerspace.clients.selectors import client_get_for_user, clients_visible_to
from partnerspace.core.outbound import NOWHERE_PRIVATE
from partnerspace.firms.models import Firm, Membership
from partnerspace.peppol.identifiers import ParticipantId, participant_ids, sml_name
from partnerspace.peppol.models import (
    ClientPeppol,
    MandateDocument,
    Operation,
    PeppolBatch,
    PeppolSettings,
    RegistrationStatus,
)
from partnerspace.peppol.services import (
    FAILURES,
    PROBLEMS,
    is_our_smp,
    registration_problems,
    single,
    smp_allowed_networks,
)
from partnerspace.peppol.sml import LookupFailed, sml_lookup
from partnerspace.peppol.smp import SmpAddressRefused, SmpError, service_group_fetch


def peppol_settings_of(firm: Firm) -> PeppolSettings | None:
    return single(PeppolSettings.objects.filter(firm=firm))


@dataclass
class PeppolState:
    """What the client page's E-invoicing section shows."""

    client: Client
    settings: PeppolSettings | None
    registration: ClientPeppol | None
    identifiers: list[ParticipantId]
    documents: list[MandateDocument]
    problems: list[str]

    @property
    def status(self) -> str:
        return self.registration.status if self.registration else RegistrationStatus.NOT_REGISTERED

    @property
    def status_label(self) -> str:
        return RegistrationStatus(self.status).label

    @property
    def is_pending(self) -> bool:
        return self.status == RegistrationStatus.PENDING

    @property
    def is_deregistering(self) -> bool:
        return bool(self.registration) and self.registration.operation == Operation.DEREGISTER

    @property
    def configured(self) -> bool:
        return bool(self.settings and self.settings.is_configured)

    @property
    def problem_messages(self) -> list[str]:
        return [str(PROBLEMS[code]) for code in self.problems]

    @property
    def failure_message(self) -> str:
        code = self.registration.error_code if self.registration else ""
        return str(FAILURES.get(code, "")) if code else ""

    @property
    def can_register(self) -> bool:
        return (
            self.configured
            and not self.problems
            and self.status
            in (
                RegistrationStatus.NOT_REGISTERED,
                RegistrationStatus.FAILED,
                RegistrationStatus.REGISTERED_ELSEWHERE,
            )
        )

    @property
    def can_deregister(self) -> bool:
        return self.configured and self.status in (
            RegistrationStatus.REGISTERED,
            RegistrationStatus.FAILED,
        )


def peppol_state(client: Client) -> PeppolState:
    return PeppolState(
        client=client,
        settings=peppol_settings_of(client.firm),
        registration=single(ClientPeppol.objects.filter(client=client)),
        identifiers=participant_ids(client),
        documents=list(client.mandate_documents.select_related("uploaded_by")[:20]),
        problems=registration_problems(client),
    )


def mandate_document_get_for_user(
    membership: Membership, client_id, document_id
) -> MandateDocument:
    """A signed mandate, for staff who may see its client; 404 for anyone else."""
    client = client_get_for_user(membership, client_id)
    try:
        return client.mandate_documents.get(pk=int(document_id))
    except (MandateDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def batch_get_for_user(membership: Membership, batch_id) -> PeppolBatch:
    try:
        return PeppolBatch.objects.get(pk=int(batch_id), firm_id=membership.firm_id)
    except (PeppolBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class BatchProgress:
    batch: PeppolBatch
    counts: dict[str, int]
    failures: list[ClientPeppol] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.batch.total

    @property
    def pending(self) -> int:
        return self.counts.get(RegistrationStatus.PENDING, 0)

    @property
    def done(self) -> int:
        # A client taken into a later batch counts as done here.
        return max(0, self.total - self.pending)

    @property
    def registered(self) -> int:
        return self.counts.get(RegistrationStatus.REGISTERED, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(RegistrationStatus.FAILED, 0)

    @property
    def elsewhere(self) -> int:
        return self.counts.get(RegistrationStatus.REGISTERED_ELSEWHERE, 0)

    @property
    def finished(self) -> bool:
        return self.pending == 0

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total


def batch_progress(membership: Membership, batch: PeppolBatch) -> BatchProgress:
    counts = dict(
        ClientPeppol.objects.filter(batch=batch)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    failures = list(
        ClientPeppol.objects.filter(
            batch=batch,
            status__in=(RegistrationStatus.FAILED, RegistrationStatus.REGISTERED_ELSEWHERE),
            client__in=clients_visible_to(membership),
        )
        .select_related("client")
        .order_by("client__sort_name", "client_id")[:100]
    )
    return BatchProgress(batch, counts, failures)


def batches_of_firm(firm: Firm):
    return PeppolBatch.objects.filter(firm=firm).order_by("-created_at", "-id")


@dataclass
class LookupRow:
    participant: ParticipantId
    name: str
    smp_url: str | None = None
    ours: bool = False
    document_types: list[str] | None = None  # None: the SMP has no service group for it
    error: str = ""


def participant_lookup(client: Client, *, timeout: float = 5.0) -> list[LookupRow]:
    """Ask the SML, then the SMP it names, about each of the client's identifiers."""
    settings = peppol_settings_of(client.firm)
    rows = []
    for participant in participant_ids(client):
        row = LookupRow(participant, sml_name(participant, django_settings.PARTNERSPACE_SML_ZONE))
        try:
            answer = sml_lookup(participant, timeout=timeout)
        except LookupFailed as failed:
            row.error = str(failed)
            rows.append(row)
            continue
        row.smp_url = answer.smp_url
        if answer.smp_url:
            row.ours = bool(settings) and is_our_smp(settings, answer.smp_url)
            # Whoever controls a DNS answer must not make the server read its own network:
            # another SMP is read only at a public address, the firm's own also where the
            # installation allows it. The check is made on the address connected to.
            allowed = smp_allowed_networks() if row.ours else NOWHERE_PRIVATE
            try:
                row.document_types = service_group_fetch(
                    answer.smp_url, participant, timeout=timeout, allowed=allowed
                )
            except SmpAddressRefused:
                row.error = _("Its address is not a public one: it was not read.")
            except SmpError as error:
                row.error = error.describe()
                if error.status and not row.ours:
                    # Of another SMP's refusal only the status: the pages show no answer but
                    # the firm's own SMP's.
                    row.error = f"HTTP {error.status}"
        rows.append(row)
    return rows
