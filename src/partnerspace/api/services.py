from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.api.models import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS, TOKEN_PREFIX, ApiToken
from partnerspace.core.errors import FieldError, ValidationFailed
from partnerspace.core.tokens import token_issue
from partnerspace.firms.models import Membership
from partnerspace.firms.services import audit_record


@dataclass(frozen=True)
class TokenCreated:
    token: ApiToken
    raw: str  # shown once; only its digest is kept


def _lifetime(days: object) -> timedelta:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationFailed(
            [
                FieldError(
                    "days",
                    "invalid",
                    _("A token lives from 1 to %(max)d days.") % {"max": TOKEN_MAX_DAYS},
                    days,
                )
            ]
        )
    return timedelta(days=days)


@transaction.atomic
def api_token_create(
    *, membership: Membership, name: str = "", days: int = TOKEN_DEFAULT_DAYS
) -> TokenCreated:
    lifetime = _lifetime(days)
    issued = token_issue(prefix=TOKEN_PREFIX)
    now = timezone.now()
    token = ApiToken.objects.create(
        membership=membership,
        name=name,
        selector=issued.selector,
        digest=issued.digest,
        created_at=now,
        expires_at=now + lifetime,
    )
    audit_record(
        firm=membership.firm,
        actor=membership.user,
        action="api_token.created",
        target=token,
        target_label=name or issued.selector,
        data={"days": days},
    )
    return TokenCreated(token=token, raw=issued.raw)


@transaction.atomic
def api_token_revoke(*, membership: Membership, token: ApiToken) -> None:
    """Stop the token at once. Only its owner does this: `token` comes from
    `api_token_get_for_user(membership, …)`, which finds no one else's."""
    revoked = ApiToken.objects.filter(
        pk=token.pk, membership=membership, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        audit_record(
            firm=membership.firm,
            actor=membership.user,
            action="api_token.revoked",
            target=token,
            target_label=token.name or token.selector,
        )
