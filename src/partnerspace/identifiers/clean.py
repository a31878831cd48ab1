"""An identifier rule as a field's check: its refusal a FieldError with the rule's message."""

from django.forms import Field

from partnerspace.core.errors import FieldError, ValidationFailed
from partnerspace.identifiers import rules
from partnerspace.identifiers.messages import ERROR_MESSAGES


def email_clean(raw: object, *, field: str = "email") -> str:
    """One e-mail address through the rules, as a contact's is (staff invitations, sign-ups)."""
    try:
        value = rules.email(raw).value
    except rules.IdentifierError as refusal:
        message = ERROR_MESSAGES.get(refusal.code) or refusal.code
        raise ValidationFailed([FieldError(field, refusal.code, str(message), raw)]) from None
    if value is None:
        required = Field.default_error_messages["required"]
        raise ValidationFailed([FieldError(field, "required", str(required))])
    return value
