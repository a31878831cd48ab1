import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from partnerspace.accounts.models import LoginFailure, User, email_key, throttle_key

# The first wait once the free attempts are used up; it doubles with every failure after.
FIRST_DELAY_SECONDS = 15
# The settings that say how many failures are free, per account (and device) and per address.
FAILURE_LIMIT = "PARTNERSPACE_LOGIN_FAILURE_LIMIT"
IP_LIMIT = "PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT"


@dataclass(frozen=True, slots=True)
class LoginWait:
    seconds: int  # 0: the attempt may go ahead
    # "address": the visitor's address failed too often (on any account);
    # "account": the account was guessed at (or, on a proven device, that device guessed).
    reason: str = ""


def _delay(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    doublings = min(failures - free, 20)  # far past the cap already; keeps the number small
    seconds = min(FIRST_DELAY_SECONDS * 2**doublings, settings.PARTNERSPACE_LOGIN_DELAY_MAX)
    return timedelta(seconds=seconds)


def login_wait(
    *,
    email: str,
    ip_address: str | None,
    device: str | None = None,
    attempt_id: int | None = None,
) -> LoginWait:
    """How long this login attempt must wait; LoginWait(0) when its password may be checked.

    Three throttles, each with a delay that doubles with every failure past its free ones,
    counted from the last of them, and stops growing at PARTNERSPACE_LOGIN_DELAY_MAX:

    - Per visitor address (core.middleware.visitor_address: an IPv4 address, or an IPv6
      address's /64 network; PARTNERSPACE_TRUSTED_PROXIES decides whose address): failures
      from it on any account, PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT free. It stops one network
      guessing, or trying one password on many accounts. When the server sees no address (a
      Unix socket), there is no such throttle: visitors never share one bucket.
    - Per account: the account's failures from anywhere, PARTNERSPACE_LOGIN_FAILURE_LIMIT
      free. It holds back every attempt on the account, from every address, except from a
      device the owner has proven (accounts.devices: a signed cookie set when the account
      was logged in to from that browser). So guessing from many addresses, or many
      addresses of one network, meets the account's delay after its free failures.
    - Per proven device: an attempt carrying the account's device cookie is held back by
      neither of the above, only by that device's own failures on the account
      (PARTNERSPACE_LOGIN_FAILURE_LIMIT free): a stolen cookie guesses no faster.

    So a stranger, however often and from wherever they fail, never keeps the owner out: on a
    device the owner used before, the password is always checked. On a new device the owner
    meets the account's delay like anyone, and a password reset lifts it at once
    (`login_failures_forgive`). A login forgives the failures on the account made from its
    address or its device (the owner's own typos).

    The attempt being checked was recorded as a failure before this is asked (see
    `login_attempt_start`), so parallel attempts see each other; `attempt_id` leaves it out.
    """
    now = timezone.now()
    recent = LoginFailure.objects.filter(
        at__gte=now - timedelta(seconds=settings.PARTNERSPACE_LOGIN_FAILURE_WINDOW)
    )
    if attempt_id is not None:
        recent = recent.exclude(pk=attempt_id)
    on_account = recent.filter(email=throttle_key(email), counts_for_account=True)
    throttles = []
    if device:
        throttles.append((on_account.filter(device=device), FAILURE_LIMIT, "account"))
    else:
        if ip_address:
            throttles.append((recent.filter(ip_address=ip_address), IP_LIMIT, "address"))
        throttles.append((on_account, FAILURE_LIMIT, "account"))
    waits = []
    for failures, free_setting, reason in throttles:
        counted = failures.aggregate(count=Count("id"), last=Max("at"))
        delay = _delay(counted["count"], getattr(settings, free_setting))
        if delay:
            waits.append((counted["last"] + delay - now, reason))
    if not waits:
        return LoginWait(0)
    longest, reason = max(waits, key=lambda wait: wait[0])
    seconds = math.ceil(longest.total_seconds())
    return LoginWait(seconds, reason) if seconds > 0 else LoginWait(0)


def user_exists(email: str) -> bool:
    return User.objects.filter(email=email_key(email)).exists()
