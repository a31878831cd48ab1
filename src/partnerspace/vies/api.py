"""/api/v1: a client's VIES check, asked for on demand (made in the background)."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from partnerspace.api.schemas import Id, refusals
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.vies import selectors, services
from partnerspace.vies.models import VatCheck, ViesState

router = Router(tags=["vies"])


class ViesOut(Schema):
    """What VIES last said about the client's VAT number. `unavailable` says nothing about
    the number: VIES or the member state did not answer (`error_code`), and it is asked again
    while `queued`."""

    state: ViesState
    vat_number: str = Field(description="The number checked, with its member state code.")
    queued: bool = Field(description="A check is waiting for the worker.")
    checked_at: datetime | None = Field(description="The last attempt.")
    next_attempt_at: datetime | None
    error_code: str = Field(
        description="VIES's code of the last failure (MS_UNAVAILABLE, TIMEOUT, INVALID_INPUT, "
        "…), NO_ANSWER or BAD_ANSWER; empty when VIES answered."
    )
    error_message: str
    answered_at: datetime | None = Field(description="When VIES last answered about the number.")
    valid: bool | None = Field(description="That answer; null before the first one.")
    consultation_number: str = Field(
        description="VIES's proof of the check, given when the firm's own VAT number is set."
    )
    name: str = Field(description="The name VIES gave, if the member state gives it.")
    address: str = Field(description="The address VIES gave, if the member state gives it.")


def vies_out(check: VatCheck | None) -> ViesOut | None:
    if check is None:
        return None
    return ViesOut(
        state=ViesState(check.state),
        vat_number=check.vat,
        queued=check.is_queued,
        checked_at=check.checked_at,
        next_attempt_at=check.next_attempt_at,
        error_code=check.error_code,
        error_message=selectors.error_message(check.error_code),
        answered_at=check.answered_at,
        valid=check.answer_valid,
        consultation_number=check.consultation_number,
        name=check.vies_name,
        address=check.vies_address,
    )


@router.post(
    "/clients/{client_id}/vat-check",
    response={202: ViesOut, **refusals(401, 403, 404, 409, 422)},
    summary="Check the client's VAT number in VIES (in the background)",
)
def vat_check_create(request, client_id: Id):
    """Queues a check; the answer shows in `vies` of GET /clients/{id}. A number VIES answered
    in the last 24 hours is not asked again. 409 `no_vat_number` when the client has no EU VAT
    number, `vies_off` when the installation makes no VIES checks."""
    client = client_get_for_user(request.membership, client_id)
    check = services.vat_check_request(membership=request.membership, client=client)
    return Status(202, vies_out(check))
