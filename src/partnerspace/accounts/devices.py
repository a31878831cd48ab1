"""The owner's proven devices: a device cookie, set when someone logs in to an account.

After failed logins on an account, the login throttle (accounts.selectors.login_wait) holds
back every attempt on it, except from a browser that has logged in to that account before
and kept the cookie set then: there the password is always checked, and only that device's
own failures slow it. So guessing from any number of addresses meets the account's delay,
and a stranger, however often they fail, never keeps the owner out of their own account on
a device they used before (OWASP, "Slow down online guessing attacks with device cookies").

The cookie is signed with SECRET_KEY (django.core.signing), HttpOnly, SameSite=Lax and Secure
over https, and kept a year. It names no account: it holds, for each of the last
DEVICE_ACCOUNTS accounts logged in to from this browser, a keyed hash of the address and a
random nonce that tells this device's failures from others'.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

from partnerspace.accounts.models import throttle_key

DEVICE_COOKIE = "partnerspace_device"
DEVICE_MAX_AGE = timedelta(days=365)
DEVICE_ACCOUNTS = 10
_SALT = "partnerspace.accounts.device"


def _tag(email: str) -> str:
    return salted_hmac(_SALT, throttle_key(email)).hexdigest()[:32]


def _proven(request) -> dict[str, str]:
    """{account tag: nonce} of the device cookie, or {} when it is absent or not ours."""
    value = request.COOKIES.get(DEVICE_COOKIE, "") if request is not None else ""
    if not value:
        return {}
    try:
        proven = signing.loads(value, salt=_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return {}
    return proven if isinstance(proven, dict) else {}


def device_nonce(request, email: str) -> str | None:
    """This browser's nonce for the account, when it proved itself on it before."""
    nonce = _proven(request).get(_tag(email))
    return nonce if isinstance(nonce, str) and nonce else None


def device_cookie_set(response, request, email: str) -> None:
    """After a login to the account: the cookie proves this browser for it from now on."""
    proven = _proven(request)
    tag = _tag(email)
    nonce = proven.pop(tag, None) or secrets.token_hex(16)
    kept = dict(list(proven.items())[-(DEVICE_ACCOUNTS - 1) :])
    kept[tag] = nonce
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(kept, salt=_SALT, compress=True),
        max_age=int(DEVICE_MAX_AGE.total_seconds()),
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
