"""Secrets kept at rest (the firm's SMP password or token): encrypted with Fernet.

The key is PARTNERSPACE_ENCRYPTION_KEY (a Fernet key, or any passphrase, which is stretched
into one) or, when that is not set, derived from SECRET_KEY. Keys derived from
SECRET_KEY_FALLBACKS still decrypt, so rotating SECRET_KEY does not lose stored secrets
until they are saved again.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_SALT = b"partnerspace.peppol.secrets"


class SecretUnreadable(Exception):
    """The stored secret was encrypted with a key this installation no longer has."""


def _derived(material: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"fernet").derive(
        material.encode("utf-8")
    )
    return base64.urlsafe_b64encode(key)


def _key(material: str) -> bytes:
    try:
        Fernet(material)
    except (ValueError, TypeError):
        return _derived(material)
    return material.encode("ascii")


def _fernet() -> MultiFernet:
    configured = getattr(settings, "PARTNERSPACE_ENCRYPTION_KEY", "")
    materials = [configured] if configured else []
    materials += [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_key(material)) for material in materials])


def secret_encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii") if plain else ""


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise SecretUnreadable from error
