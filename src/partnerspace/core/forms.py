from typing import TypeVar

from django import forms
from django.forms.renderers import TemplatesSetting

from partnerspace.core.errors import ServiceError, ValidationFailed

F = TypeVar("F", bound=forms.Field)


def form_add_service_error(form: forms.Form, error: ServiceError | ValidationFailed) -> None:
    """Show a service's refusal beside the field it concerns, or above the form."""
    errors = error.errors if isinstance(error, ValidationFailed) else [error]
    for item in errors:
        field = item.field if item.field in form.fields else None
        form.add_error(field, forms.ValidationError(item.message, code=item.code))


def error_text(error: ServiceError | ValidationFailed) -> str:
    """A refusal as one line, for a message at the top of the page."""
    if isinstance(error, ValidationFailed):
        return " ".join(item.message for item in error.errors)
    return error.message


class FormRenderer(TemplatesSetting):
    """Every form and field drawn the same way: label, input, help, errors beside the field."""

    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


def field_show_required(field: F, shown: bool = True) -> F:
    """Draw a field's asterisk (core/forms/field.html reads `shown_required`) without making
    Django require it: the service says what is missing, in the words every door uses."""
    field.shown_required = shown  # type: ignore[attr-defined]  # our template's own flag, not in Django's Field
    return field


def field_note(field: F, text: str, *, shown: bool) -> F:
    """A short note under a field on where its value came from (core/forms/field.html reads
    `note` and `note_shown`). A note not shown is drawn hidden: the page's script shows it
    when it fills the field."""
    field.note = text  # type: ignore[attr-defined]  # our template's own flag, not in Django's Field
    field.note_shown = shown  # type: ignore[attr-defined]  # as above
    return field
