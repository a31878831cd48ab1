"""An identifier rule as a field's check: its refusal a FieldError with the rule's message."""

from collections.abc import Callable
from typing import Any

from django.forms import Field

from partnerspace.core.errors import FieldError, ValidationFailed
from partnerspace.identifiers import rules
from partnerspace.identifiers.messages import ERROR_MESSAGES


def identifier_clean(rule: Callable[..., Any], raw: object, *, field: str, **options: Any) -> Any:
    """The value `rule` (one of identifiers.rules) makes of `raw`; its refusal a FieldError
    of `field` with the rule's message."""
    try:
        return rule(raw, **options).value
    except rules.IdentifierError as refusal:
        message = ERROR_MESSAGES.get(refusal.code) or refusal.code
        raise ValidationFailed([FieldError(field, refusal.code, str(message), raw)]) from None


def email_clean(raw: object, *, field: str = "email") -> str:
    """One e-mail address through the rules, as a contact's is (staff invitations, sign-ups)."""
    value: str | None = identifier_clean(rules.email, raw, field=field)
    if value is None:
        required = Field.default_error_messages["required"]
        raise ValidationFailed([FieldError(field, "required", str(required))])
    return value
