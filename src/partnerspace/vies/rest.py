"""The VIES REST API of the European Commission, the two calls the worker makes:

    POST {base}/check-vat-number   {countryCode, vatNumber, requesterMemberStateCode,
                                    requesterNumber}: with a requester, the answer carries
                                    its consultation number (requestIdentifier)
    GET  {base}/ms/{country}/vat/{number}   without a requester

An answer says `valid` (the POST) or `isValid` (the GET), with `requestDate`, `name` and
`address` ("---" when the member state does not give them). A failure is a code: in
`userError` (the GET: VALID and INVALID are not failures) or in
`{"actionSucceed": false, "errorWrappers": [{"error": CODE, "message": …}]}`, whatever the
HTTP status. The base address is the installation's (PARTNERSPACE_VIES_URL); the whole
exchange is bounded in time and the answer read in size.
"""

import json
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

from partnerspace.core.outbound import AllowList, OutboundFailed, OutboundRefused, outbound_request

MAX_ANSWER = 64 * 1024  # what of an answer is read: a real one is well under 2 kB

# VIES or the member state could not answer now: asked again later, with back-off.
RETRYABLE = frozenset(
    {
        "MS_UNAVAILABLE",
        "TIMEOUT",
        "GLOBAL_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ_TIME",
        "MS_MAX_CONCURRENT_REQ",
        "MS_MAX_CONCURRENT_REQ_TIME",
        "SERVICE_UNAVAILABLE",
        "IO_ERROR",
        "TECHNICAL_ERROR",
        "IP_BLOCKED",
        # Ours: no answer in time, or none that could be read.
        "NO_ANSWER",
        "BAD_ANSWER",
    }
)
# The number itself is refused (not a VAT number VIES can look up): the answer "not valid",
# never asked again.
INVALID_INPUT = "INVALID_INPUT"
# Asking again will not help, but the number is not known to be invalid either.
NOT_RETRIED = frozenset({"INVALID_REQUESTER_INFO", "VAT_BLOCKED"})
NO_ANSWER = "NO_ANSWER"
BAD_ANSWER = "BAD_ANSWER"
_NOT_GIVEN = {"---", "--", "-"}


@dataclass(frozen=True, slots=True)
class ViesResult:
    """What VIES answered: `valid` is None when it did not answer about the number (then
    `error_code` says why); INVALID_INPUT is an answer: not valid."""

    valid: bool | None
    error_code: str = ""
    request_date: str = ""
    consultation_number: str = ""
    name: str = ""
    address: str = ""

    @property
    def retryable(self) -> bool:
        return self.valid is None and self.error_code not in NOT_RETRIED


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    text = " ".join(str(value).split())  # one line: VIES writes addresses over several
    return "" if text in _NOT_GIVEN else text[:limit]


def _code(value: object) -> str:
    text = str(value or "").strip().upper()[:40]
    return text if text.replace("_", "").isalnum() else BAD_ANSWER


def _failure(document: dict) -> str | None:
    """The failure code an answer carries, if any."""
    wrappers = document.get("errorWrappers")
    if document.get("actionSucceed") is False or wrappers:
        if isinstance(wrappers, list) and wrappers and isinstance(wrappers[0], dict):
            return _code(wrappers[0].get("error"))
        return BAD_ANSWER
    user_error = document.get("userError")
    if user_error and _code(user_error) not in {"VALID", "INVALID"}:
        return _code(user_error)
    return None


def result_from_answer(status: int, body: bytes) -> ViesResult:
    """Read one answer of either call; anything unexpected is BAD_ANSWER (asked again)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        document = None
    if not isinstance(document, dict):
        return ViesResult(None, NO_ANSWER if status >= 500 and not body.strip() else BAD_ANSWER)
    failure = _failure(document)
    if failure == INVALID_INPUT:
        return ViesResult(False, INVALID_INPUT)
    if failure:
        return ViesResult(None, failure)
    valid = document.get("valid", document.get("isValid"))
    if status != 200 or not isinstance(valid, bool):
        return ViesResult(None, BAD_ANSWER)
    return ViesResult(
        valid=valid,
        request_date=_text(document.get("requestDate"), 40),
        consultation_number=_text(document.get("requestIdentifier"), 64),
        name=_text(document.get("name"), 300),
        address=_text(document.get("address"), 600),
    )


def vies_base_url() -> str:
    return str(settings.PARTNERSPACE_VIES_URL or "").rstrip("/")


def vies_enabled() -> bool:
    """Checks are made only where the installation names a VIES (empty: none, e.g. offline)."""
    return bool(vies_base_url())


def vies_ask(
    country_code: str, number: str, *, requester: tuple[str, str] | None = None
) -> ViesResult:
    """One call to VIES: the POST with a requester, the GET without. Never raises for what
    VIES or the network does: a failure is a result with its code."""
    base = vies_base_url()
    headers = {"Accept": "application/json", "User-Agent": "Partner Space"}
    body = None
    if requester is not None:
        method, url = "POST", f"{base}/check-vat-number"
        headers["Content-Type"] = "application/json"
        body = json.dumps(
            {
                "countryCode": country_code,
                "vatNumber": number,
                "requesterMemberStateCode": requester[0],
                "requesterNumber": requester[1],
            }
        ).encode()
    else:
        method = "GET"
        url = f"{base}/ms/{quote(country_code, safe='')}/vat/{quote(number, safe='')}"
    # The address is the installation's own setting, not anyone's input: its host may be a
    # private one (a proxy, a test's fake VIES).
    allowed = AllowList.parse([urlsplit(base).hostname or ""])
    try:
        answer = outbound_request(
            method,
            url,
            headers=headers,
            body=body,
            timeout=float(settings.PARTNERSPACE_VIES_TIMEOUT),
            limit=MAX_ANSWER,
            allowed=allowed,
        )
    except (OutboundFailed, OutboundRefused):
        return ViesResult(None, NO_ANSWER)
    return result_from_answer(answer.status, answer.body)
