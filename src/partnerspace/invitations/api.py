from datetime import datetime

from ninja import Router, Schema, Status

from partnerspace.api.schemas import Id, InputSchema, refusals
from partnerspace.clients.models import HistorySource
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.invitations import selectors, services

router = Router(tags=["invitations"])


class InvitationIn(InputSchema):
    message: str = ""
    contacts: list[Id] | None = None  # contact ids; the primary contact when omitted


class InvitationOut(Schema):
    id: int
    client: int
    email: str
    language: str
    state: str
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None
    send_attempts: int
    last_error: str
    accepted_at: datetime | None

    @staticmethod
    def of(invitation) -> "InvitationOut":
        return InvitationOut(
            id=invitation.pk,
            client=invitation.client_id,
            email=invitation.email,
            language=invitation.language,
            state=invitation.state.value,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            sent_at=invitation.sent_at,
            send_attempts=invitation.send_attempts,
            last_error=invitation.last_error,
            accepted_at=invitation.accepted_at,
        )


@router.post(
    "/clients/{client_id}/invitations",
    response={201: list[InvitationOut], **refusals(400, 401, 403, 404, 409, 413, 422)},
    summary="Invite a client (its primary contact, or the contacts given)",
)
def invitation_create(request, client_id: Id, payload: InvitationIn):
    client = client_get_for_user(request.membership, client_id)
    invitations = services.client_invite(
        membership=request.membership,
        client=client,
        message=payload.message,
        contact_ids=payload.contacts,
        source=HistorySource.API,
    )
    return Status(201, [InvitationOut.of(invitation) for invitation in invitations])


@router.get(
    "/clients/{client_id}/invitations",
    response={200: list[InvitationOut], **refusals(401, 404, 422)},
    summary="A client's invitations, newest first",
)
def invitation_list(request, client_id: Id):
    client = client_get_for_user(request.membership, client_id)
    return [InvitationOut.of(invitation) for invitation in selectors.invitations_of_client(client)]


@router.delete(
    "/invitations/{invitation_id}",
    response={204: None, **refusals(401, 403, 404, 409, 422)},
    summary="Withdraw an invitation (the client goes back to Draft)",
)
def invitation_revoke(request, invitation_id: Id):
    invitation = selectors.invitation_get_for_user(request.membership, invitation_id)
    services.invitation_revoke(
        membership=request.membership, invitation=invitation, source=HistorySource.API
    )
    return Status(204, None)
