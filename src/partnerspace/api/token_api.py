"""The token owner's own API tokens: list them and revoke one. New ones are made on the
account page or with `partnerspace create_api_token`, where the secret can be shown once."""

from datetime import datetime

from ninja import Router, Schema, Status

from partnerspace.api import selectors, services
from partnerspace.api.schemas import Id, refusals

router = Router(tags=["tokens"])


class TokenOut(Schema):
    """A token as its owner sees it; never its secret, which is kept only as a hash."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime


@router.get(
    "/tokens",
    response={200: list[TokenOut], **refusals(401)},
    summary="Your API tokens in this firm",
    description="The tokens of the token's owner in the token's firm that were not revoked, "
    "newest first, expired ones included.",
)
def token_list(request):
    return list(selectors.api_tokens_of_membership(request.membership))


@router.delete(
    "/tokens/{token_id}",
    response={204: None, **refusals(401, 404, 422)},
    summary="Revoke one of your API tokens",
    description="The token stops working at once; the token making the request may revoke "
    "itself. Another person's token, or one already revoked, answers 404.",
)
def token_revoke(request, token_id: Id):
    token = selectors.api_token_get_for_user(request.membership, token_id)
    services.api_token_revoke(membership=request.membership, token=token)
    return Status(204, None)
