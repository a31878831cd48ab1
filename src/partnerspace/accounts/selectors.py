from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from partnerspace.accounts.models import LoginFailure, User, email_key


def login_wait_seconds(*, email: str, ip_address: str | None) -> int:
    """How long this address (or this client IP) must wait before trying again; 0 when it may."""
    window = timedelta(seconds=settings.PARTNERSPACE_LOGIN_FAILURE_WINDOW)
    since = timezone.now() - window
    recent = LoginFailure.objects.filter(at__gte=since)
    checks = [(recent.filter(email=email_key(email)), settings.PARTNERSPACE_LOGIN_FAILURE_LIMIT)]
    if ip_address:
        checks.append(
            (recent.filter(ip_address=ip_address), settings.PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT)
        )
    wait = 0
    for failures, limit in checks:
        stats = failures.aggregate(first=Min("at"), count=Count("id"))
        if stats["count"] >= limit:
            # The oldest failure in the window leaving it is what frees the next attempt.
            free_at = stats["first"] + window
            wait = max(wait, int((free_at - timezone.now()).total_seconds()) + 1)
    return wait


def user_exists(email: str) -> bool:
    return User.objects.filter(email=email_key(email)).exists()
