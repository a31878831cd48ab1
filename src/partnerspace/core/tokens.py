"""Secret tokens in links and API headers: random, stored only as a hash, checked in constant time.

A token is a public selector followed by a secret verifier. The selector finds the row
through an index; the verifier's SHA-256 digest is then compared with hmac.compare_digest,
so the comparison takes the same time however many characters match. SHA-256 suffices:
the verifier is 256 random bits, out of reach of the guessing that slow hashes defend against.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SELECTOR_LENGTH = 12
VERIFIER_BYTES = 32


@dataclass(frozen=True, slots=True)
class IssuedToken:
    raw: str  # shown once to its owner, never stored
    selector: str
    digest: str


def token_digest(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def token_issue(prefix: str = "") -> IssuedToken:
    # token_hex for the selector: no "-" or "_" at the seam between selector and verifier.
    selector = secrets.token_hex(SELECTOR_LENGTH // 2)
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    return IssuedToken(
        raw=f"{prefix}{selector}{verifier}", selector=selector, digest=token_digest(verifier)
    )


def token_split(raw: str, prefix: str = "") -> tuple[str, str] | None:
    """The (selector, verifier) of a presented token, or None when it cannot be one of ours."""
    if not raw.startswith(prefix):
        return None
    body = raw[len(prefix) :]
    if len(body) < SELECTOR_LENGTH + 32 or len(body) > 128:
        return None
    return body[:SELECTOR_LENGTH], body[SELECTOR_LENGTH:]


def token_matches(verifier: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(verifier), digest)
