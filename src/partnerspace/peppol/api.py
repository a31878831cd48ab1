"""/api/v1: a client's mandate, Peppol identifiers and registration; bulk batches' progress.

The handlers translate only: the rules, permissions and refusals are `peppol.services`'.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status

from partnerspace.api.schemas import Id, InputSchema, refusals
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.peppol import selectors, services

router = Router(tags=["peppol"])


class MandateDocumentOut(Schema):
    id: int
    name: str
    size: int
    uploaded_at: datetime
    uploaded_by: str | None


class MandateOut(Schema):
    confirmed: bool = Field(description="The firm holds the client's signed Peppol mandate.")
    confirmed_at: datetime | None
    confirmed_by: str | None
    documents: list[MandateDocumentOut]


class ParticipantOut(Schema):
    scheme: str = Field(examples=["iso6523-actorid-upis"])
    value: str = Field(examples=["0208:0123456749"])
    primary: bool = Field(description="The identifier registered with the SMP.")


class ProblemOut(Schema):
    code: str = Field(examples=["no_mandate"])
    message: str


class RegistrationOut(Schema):
    status: str = Field(
        description="not_registered, pending, registered, failed or registered_elsewhere."
    )
    operation: str = Field(description="register or deregister: what pending or failed is about.")
    participant_id: str
    error_code: str
    message: str
    smp_answer: str = Field(description="The SMP's last answer, when it refused or failed.")
    other_smp: str = Field(description="The SMP the participant is registered with instead.")
    registered_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    batch: int | None


class PeppolOut(Schema):
    client: int
    mandate: MandateOut
    identifiers: list[ParticipantOut]
    registration: RegistrationOut
    problems: list[ProblemOut] = Field(description="Why the client cannot be registered.")


class MandateIn(InputSchema):
    confirmed: bool = Field(True, description="false withdraws the mandate.")


class BatchOut(Schema):
    id: int
    created_at: datetime
    total: int
    done: int
    pending: int
    registered: int
    failed: int
    registered_elsewhere: int
    skipped: dict[str, int]


def _out(client) -> PeppolOut:
    state = selectors.peppol_state(client)
    registration = state.registration
    return PeppolOut(
        client=client.pk,
        mandate=MandateOut(
            confirmed=client.peppol_mandate,
            confirmed_at=client.mandate_confirmed_at,
            confirmed_by=str(client.mandate_confirmed_by) if client.mandate_confirmed_by else None,
            documents=[
                MandateDocumentOut(
                    id=document.pk,
                    name=document.original_name,
                    size=document.size,
                    uploaded_at=document.uploaded_at,
                    uploaded_by=str(document.uploaded_by) if document.uploaded_by else None,
                )
                for document in state.documents
            ],
        ),
        identifiers=[
            ParticipantOut(scheme=p.scheme, value=p.value, primary=p.primary)
            for p in state.identifiers
        ],
        registration=RegistrationOut(
            status=state.status,
            operation=registration.operation if registration else "register",
            participant_id=registration.participant_id if registration else "",
            error_code=registration.error_code if registration else "",
            message=state.failure_message,
            smp_answer=registration.smp_answer if registration else "",
            other_smp=registration.other_smp if registration else "",
            registered_at=registration.registered_at if registration else None,
            attempts=registration.attempts if registration else 0,
            next_attempt_at=registration.next_attempt_at if registration else None,
            batch=registration.batch_id if registration else None,
        ),
        problems=[
            ProblemOut(code=code, message=str(services.PROBLEMS[code])) for code in state.problems
        ],
    )


@router.get(
    "/clients/{client_id}/peppol",
    response={200: PeppolOut, **refusals(401, 404, 422)},
    summary="A client's Peppol mandate, identifiers and registration status",
)
def peppol_get(request, client_id: Id):
    return _out(client_get_for_user(request.membership, client_id))


@router.post(
    "/clients/{client_id}/peppol/registration",
    response={202: PeppolOut, **refusals(401, 403, 404, 409, 422)},
    summary="Register the client as a Peppol receiver (runs in the background)",
)
def registration_create(request, client_id: Id):
    client = client_get_for_user(request.membership, client_id)
    services.registration_request(membership=request.membership, client=client)
    return Status(202, _out(client))


@router.delete(
    "/clients/{client_id}/peppol/registration",
    response={202: PeppolOut, **refusals(401, 403, 404, 409, 422)},
    summary="Remove the client from the firm's SMP (runs in the background)",
)
def registration_delete(request, client_id: Id):
    client = client_get_for_user(request.membership, client_id)
    services.deregistration_request(membership=request.membership, client=client)
    return Status(202, _out(client))


@router.post(
    "/clients/{client_id}/mandate",
    response={200: PeppolOut, **refusals(400, 401, 403, 404, 409, 413, 422)},
    summary="Confirm (or, with confirmed=false, withdraw) the client's signed Peppol mandate",
)
def mandate_set(request, client_id: Id, payload: MandateIn):
    client = client_get_for_user(request.membership, client_id)
    if payload.confirmed:
        client = services.mandate_confirm(membership=request.membership, client=client)
    else:
        client = services.mandate_withdraw(membership=request.membership, client=client)
    return _out(client)


@router.get(
    "/peppol/batches/{batch_id}",
    response={200: BatchOut, **refusals(401, 403, 404, 422)},
    summary="The progress of a bulk e-invoicing activation",
)
def batch_get(request, batch_id: Id):
    batch = selectors.batch_get_for_user(request.membership, batch_id)
    if not request.membership.can_manage_peppol:
        raise PermissionDenied
    progress = selectors.batch_progress(request.membership, batch)
    return BatchOut(
        id=batch.pk,
        created_at=batch.created_at,
        total=progress.total,
        done=progress.done,
        pending=progress.pending,
        registered=progress.registered,
        failed=progress.failed,
        registered_elsewhere=progress.elsewhere,
        skipped=batch.skipped or {},
    )
