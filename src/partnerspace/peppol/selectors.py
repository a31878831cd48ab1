"""Reads: a client's e-invoicing state, a batch's progress, a mandate document, a look-up."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _lazy

from partnerspace.clients.models import Client
from partnerspace.clients.selectors import client_get_for_user, clients_visible_to
from partnerspace.core.lookups import ReadByIds
from partnerspace.firms.models import Firm, Membership
from partnerspace.peppol.identifiers import ParticipantId, participant_ids
from partnerspace.peppol.models import (
    ClientPeppol,
    MandateDocument,
    Operation,
    PeppolBatch,
    PeppolSettings,
    RegistrationStatus,
)
from partnerspace.peppol.rules import FAILURES, PROBLEMS, registration_problems, single


def peppol_settings_of(firm: Firm) -> PeppolSettings | None:
    return single(PeppolSettings.objects.filter(firm=firm))


# core.lookups: compiled once.
_STATUSES = ReadByIds(
    lambda ids: (
        ClientPeppol.objects.filter(client_id__any_of=ids)
        .order_by()
        .values_list("client_id", "status")
    )
)


def registration_statuses(client_ids: Iterable[int]) -> dict[int, str]:
    """Each client's Peppol registration status, in one query (the client list's column)."""
    return dict(_STATUSES.rows(client_ids))


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
        return str(RegistrationStatus(self.status).label)

    @property
    def is_pending(self) -> bool:
        return self.status == RegistrationStatus.PENDING

    @property
    def is_deregistering(self) -> bool:
        return self.registration is not None and self.registration.operation == Operation.DEREGISTER

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
    membership: Membership, client_id: int | str, document_id: int | str
) -> MandateDocument:
    """A signed mandate, for staff who may see its client; 404 for anyone else."""
    client = client_get_for_user(membership, client_id)
    try:
        return client.mandate_documents.get(pk=int(document_id))
    except (MandateDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def batch_get_for_user(membership: Membership, batch_id: int | str) -> PeppolBatch:
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


def batches_of_firm(firm: Firm) -> QuerySet[PeppolBatch]:
    return PeppolBatch.objects.filter(firm=firm).order_by("-created_at", "-id")


def peppol_registered_and_failed(clients: QuerySet[Client]) -> dict[str, int]:
    """{"registered": n, "failed": n} among these clients (Overzicht)."""
    figures: dict[str, int] = ClientPeppol.objects.filter(client__in=clients).aggregate(
        registered=Count("id", filter=Q(status="registered")),
        failed=Count("id", filter=Q(status="failed")),
    )
    return figures


# The client list's data-quality filter on Peppol (clients.listfilters), on the page and in
# the API: "unregistered", a confirmed mandate but no registration done or under way (none
# asked for, or one that failed); "failed", a registration that failed. No counts: a
# registration's status changes without raising the firm's clients_version.
LIST_FILTER_PARAM = "peppol"
LIST_FILTER_CHOICES = (
    ("unregistered", _lazy("Mandate confirmed, not registered on Peppol")),
    ("failed", _lazy("Peppol registration failed")),
)
# A registration done, under way or held by another SMP: the client is (or soon will be) on
# Peppol.
_ON_PEPPOL = (
    RegistrationStatus.PENDING,
    RegistrationStatus.REGISTERED,
    RegistrationStatus.REGISTERED_ELSEWHERE,
)


def clients_by_peppol_state(clients: QuerySet[Client], value: str) -> QuerySet[Client]:
    if value == "failed":
        return clients.filter(
            Exists(
                ClientPeppol.objects.filter(
                    client_id=OuterRef("pk"), status=RegistrationStatus.FAILED
                )
            )
        )
    if value == "unregistered":
        on_peppol = ClientPeppol.objects.filter(client_id=OuterRef("pk"), status__in=_ON_PEPPOL)
        return clients.filter(peppol_mandate=True).exclude(Exists(on_peppol))
    return clients
