from datetime import timedelta

from django.utils import timezone

from partnerspace.api.models import TOKEN_PREFIX, ApiToken
from partnerspace.core.tokens import token_matches, token_split
from partnerspace.firms.models import Membership

LAST_USED_PRECISION = timedelta(minutes=5)


def membership_for_api_token(raw: str) -> Membership | None:
    parts = token_split(raw, prefix=TOKEN_PREFIX)
    if parts is None:
        return None
    selector, verifier = parts
    token = (
        ApiToken.objects.select_related("membership__firm", "membership__user")
        .filter(selector=selector, revoked_at__isnull=True, membership__user__is_active=True)
        .first()
    )
    if token is None or not token_matches(verifier, token.digest):
        return None
    now = timezone.now()
    # Written at most every few minutes: a busy client must not turn every GET into a write.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.membership
