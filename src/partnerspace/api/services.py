from dataclasses import dataclass

from django.db import transaction

from partnerspace.api.models import TOKEN_PREFIX, ApiToken
from partnerspace.core.tokens import token_issue
from partnerspace.firms.models import Membership
from partnerspace.firms.services import audit_record


@dataclass(frozen=True)
class TokenCreated:
    token: ApiToken
    raw: str  # printed once; only its digest is kept


@transaction.atomic
def api_token_create(*, membership: Membership, name: str = "") -> TokenCreated:
    issued = token_issue(prefix=TOKEN_PREFIX)
    token = ApiToken.objects.create(
        membership=membership, name=name, selector=issued.selector, digest=issued.digest
    )
    audit_record(
        firm=membership.firm,
        actor=membership.user,
        action="api_token.created",
        target=token,
        target_label=name or issued.selector,
    )
    return TokenCreated(token=token, raw=issued.raw)
