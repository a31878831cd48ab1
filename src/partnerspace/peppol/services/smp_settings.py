"""The firm's SMP settings: checked (addresses, credentials, identifiers) and saved."""

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.core.errors import (
    Conflict,
    FieldError,
    ValidationFailed,
    require_role,
)
from partnerspace.core.outbound import (
    OutboundFailed,
    OutboundRefused,
    addresses_checked,
    is_public_address,
)
from partnerspace.firms.models import Firm, Membership
from partnerspace.firms.services import audit_record
from partnerspace.peppol.models import (
    AuthScheme,
    PeppolSettings,
)
from partnerspace.peppol.rules import FAILURES, single, smp_allowed_networks
from partnerspace.peppol.secrets import secret_encrypt
from partnerspace.peppol.smp import (
    certificate_der_base64,
)

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _url_error(name: str, value: str, *, required: bool, tls: bool = True) -> FieldError | None:
    if not value:
        return FieldError(name, "required", _("This field is required.")) if required else None
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return FieldError(name, "invalid_url", _("Enter an address starting with https://."))
    if tls and parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        # Credentials and certificates travel over it: only a local test server may skip TLS.
        return FieldError(name, "https_required", _("Use an https:// address."))
    return None


def _smp_address_error(value: str) -> FieldError | None:
    """The firm's SMP: https, at a public address, unless the installation allows its host.

    Checked here so the administrator hears it at once; checked again at every connection,
    where it counts (the name may resolve elsewhere by then)."""
    error = _url_error("smp_base_url", value, required=True, tls=False)
    if error:
        return error
    parts = urlsplit(value)
    host = parts.hostname
    assert host, "_url_error refuses an address without a host"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allowed = smp_allowed_networks()
    literal = _ip_literal(host)
    not_allowed = FieldError("smp_base_url", "address_not_allowed", str(FAILURES["smp_address"]))
    if literal is not None and not (
        is_public_address(literal) or allowed.permits("", literal, port)
    ):
        return not_allowed
    listed = allowed.permits(host, literal, port) if literal else allowed.lists(host, port)
    if parts.scheme == "http" and not listed:
        # The credentials travel over it: in clear only inside the installation's own network.
        return FieldError("smp_base_url", "https_required", _("Use an https:// address."))
    try:
        addresses_checked(host, port, allowed=allowed)
    except OutboundRefused:
        return not_allowed
    except OutboundFailed:
        return FieldError(
            "smp_base_url", "address_not_found", _("No server could be found at this address.")
        )
    return None


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _lines(value: str | Iterable[object] | None) -> list[str]:
    items = value.splitlines() if isinstance(value, str) else list(value or [])
    seen: list[str] = []
    for item in (str(line).strip() for line in items):
        if item and item not in seen:
            seen.append(item)
    return seen


def _settings_clean(data: dict[str, Any], current: PeppolSettings) -> dict[str, Any]:
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    text = {name: str(data.get(name) or "").strip() for name in data if name != "document_types"}
    # The public address is only compared with the SML's answer (Peppol SMPs publish an
    # http:// one); the other two carry credentials or receive documents: TLS.
    for name, required, tls in (
        ("smp_base_url", True, True),
        ("smp_public_url", False, False),
        ("access_point_url", True, True),
    ):
        value = text.get(name, "")
        if name == "smp_base_url":
            error = _smp_address_error(value)
        else:
            error = _url_error(name, value, required=required, tls=tls)
        if error:
            errors.append(error)
        values[name] = value.rstrip("/") if name != "access_point_url" else value
    scheme = text.get("auth_scheme") or AuthScheme.BASIC
    if scheme not in AuthScheme.values:
        errors.append(FieldError("auth_scheme", "invalid", _("Choose Basic or Bearer.")))
    values["auth_scheme"] = scheme
    values["username"] = text.get("username", "")[:200]
    if scheme == AuthScheme.BASIC and not values["username"]:
        errors.append(FieldError("username", "required", _("This field is required.")))
    secret = str(data.get("secret") or "")
    if not secret.strip() and not current.has_secret:
        errors.append(FieldError("secret", "required", _("This field is required.")))
    documents = _lines(data.get("document_types"))
    if not documents:
        errors.append(FieldError("document_types", "required", _("Name at least one type.")))
    for document in documents:
        if "::" not in document or any(c.isspace() for c in document) or len(document) > 500:
            errors.append(
                FieldError(
                    "document_types",
                    "invalid_document_type",
                    _("%(value)s is not a document type identifier.") % {"value": document[:80]},
                )
            )
    values["document_types"] = documents
    for name, limit in (("process_id", 200), ("transport_profile", 100)):
        value = text.get(name, "")
        if not value:
            errors.append(FieldError(name, "required", _("This field is required.")))
        elif len(value) > limit or any(c.isspace() for c in value):
            errors.append(FieldError(name, "invalid", _("Enter an identifier without spaces.")))
        values[name] = value
    try:
        values["access_point_certificate"] = certificate_der_base64(
            text.get("access_point_certificate", "")
        )
    except ValueError:
        errors.append(
            FieldError(
                "access_point_certificate",
                "invalid_certificate",
                _("Paste the access point's certificate (PEM, or base64 of the DER)."),
            )
        )
    values["service_description"] = text.get("service_description", "")[:200]
    values["technical_contact"] = text.get("technical_contact", "")[:254]
    if not values["technical_contact"]:
        errors.append(FieldError("technical_contact", "required", _("This field is required.")))
    values["auto_register"] = bool(data.get("auto_register"))
    if errors:
        raise ValidationFailed(errors)
    if secret.strip():
        values["secret_encrypted"] = secret_encrypt(secret.strip())
    return values


@transaction.atomic
def peppol_settings_save(*, membership: Membership, data: dict[str, Any]) -> PeppolSettings:
    """Configure the firm's SMP. An empty secret keeps the stored one; none is ever returned."""
    require_role(membership.can_manage_configuration)
    current, _created = PeppolSettings.objects.select_for_update().get_or_create(
        firm=membership.firm
    )
    values = _settings_clean(data, current)
    changed = sorted(
        name if name != "secret_encrypted" else "secret"
        for name, value in values.items()
        if getattr(current, name) != value
    )
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_at = timezone.now()
    current.updated_by = membership.user
    current.save()
    if changed:
        audit_record(
            firm=membership.firm,
            actor=membership.user,
            action="peppol.settings_changed",
            target_label="Peppol",
            data={"changed": changed},
        )
    return current


def configured_settings(firm: Firm) -> PeppolSettings:
    settings = single(PeppolSettings.objects.filter(firm=firm))
    if settings is None or not settings.is_configured:
        raise Conflict("smp_not_configured", str(FAILURES["smp_not_configured"]))
    return settings
