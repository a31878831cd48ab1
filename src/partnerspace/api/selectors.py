from datetime import timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from partnerspace.api.models import TOKEN_PREFIX, ApiToken
from partnerspace.core.tokens import token_matches, token_split
from partnerspace.firms.models import Membership

LAST_USED_PRECISION = timedelta(minutes=5)


def membership_for_api_token(raw: str) -> Membership | None:
    """The membership a presented token acts as; None when it is unknown, revoked or expired
    (checked on every request: a revoked token stops at once)."""
    parts = token_split(raw, prefix=TOKEN_PREFIX)
    if parts is None:
        return None
    selector, verifier = parts
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("membership__firm", "membership__user")
        .filter(
            selector=selector,
            revoked_at__isnull=True,
            expires_at__gt=now,
            membership__user__is_active=True,
        )
        .first()
    )
    if token is None or not token_matches(verifier, token.digest):
        return None
    # Written at most every few minutes: a busy client must not turn every GET into a write.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.membership


def api_tokens_of_membership(membership: Membership) -> QuerySet[ApiToken]:
    """The person's own tokens in this firm that were not revoked, expired ones included."""
    return ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def api_token_get_for_user(membership: Membership, token_id: int) -> ApiToken:
    """One of the person's own tokens in this firm; 404 for anyone else's, or a revoked one."""
    try:
        return api_tokens_of_membership(membership).get(pk=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
