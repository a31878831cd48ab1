import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from partnerspace.accounts.models import LoginFailure, User, email_key

# The first wait once the free attempts are used up; it doubles with every failure after.
FIRST_DELAY_SECONDS = 15


@dataclass(frozen=True, slots=True)
class LoginWait:
    seconds: int  # 0: the attempt may go ahead
    # "address": the visitor's address failed too often (on any account);
    # "account": the account was guessed at, and this address is among the guessers.
    reason: str = ""


def login_failure_key(email: str) -> str:
    return email_key(email)[:254]


def _delay(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    doublings = min(failures - free, 20)  # far past the cap already; keeps the number small
    seconds = min(FIRST_DELAY_SECONDS * 2**doublings, settings.PARTNERSPACE_LOGIN_DELAY_MAX)
    return timedelta(seconds=seconds)


def login_wait(*, email: str, ip_address: str | None, attempt_id: int | None = None) -> LoginWait:
    """How long this login attempt must wait; LoginWait(0) when its password may be checked.

    Two throttles, each with a delay that doubles with every failure past its free ones and
    stops growing at PARTNERSPACE_LOGIN_DELAY_MAX:

    - Per visitor address (PARTNERSPACE_TRUSTED_PROXIES decides which address that is):
      failures from it on any account. It stops one address guessing, or trying one password
      on many accounts; it holds back every attempt from that address, a right password too.
    - Per account, across addresses: the account's failures set the length of the delay, but
      it holds back only the addresses that failed on the account themselves, each counted
      from its own last failure. An address with no failure of its own on the account has its
      password checked. So guessing from many addresses meets the account's growing delay
      after one try from each, while a stranger, however often they fail, never keeps the
      owner out: the owner's right password, from their own address, is checked and passes.
      Nor can a stranger stretch the owner's own wait after a typo, which runs from the
      owner's failure, is capped, and ends at once with a password reset
      (`login_failures_forgive`). A login forgives the address's own failures on the account.

    The attempt being checked was recorded as a failure before this is asked (see
    `login_attempt_start`), so parallel attempts see each other; `attempt_id` leaves it out.
    """
    now = timezone.now()
    recent = LoginFailure.objects.filter(
        at__gte=now - timedelta(seconds=settings.PARTNERSPACE_LOGIN_FAILURE_WINDOW)
    )
    if attempt_id is not None:
        recent = recent.exclude(pk=attempt_id)
    waits = []
    if ip_address:
        from_address = recent.filter(ip_address=ip_address).aggregate(
            count=Count("id"), last=Max("at")
        )
        delay = _delay(from_address["count"], settings.PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT)
        if delay:
            waits.append((from_address["last"] + delay - now, "address"))
    on_account = recent.filter(email=login_failure_key(email), counts_for_account=True)
    delay = _delay(on_account.count(), settings.PARTNERSPACE_LOGIN_FAILURE_LIMIT)
    if delay:
        own_last = on_account.filter(ip_address=ip_address).aggregate(last=Max("at"))["last"]
        if own_last is not None:
            waits.append((own_last + delay - now, "account"))
    if not waits:
        return LoginWait(0)
    longest, reason = max(waits, key=lambda wait: wait[0])
    seconds = math.ceil(longest.total_seconds())
    return LoginWait(seconds, reason) if seconds > 0 else LoginWait(0)


def user_exists(email: str) -> bool:
    return User.objects.filter(email=email_key(email)).exists()
