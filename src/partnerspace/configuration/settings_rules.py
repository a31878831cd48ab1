"""Checking an integration's settings against its catalog entry: one function for every door."""

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _

from partnerspace.configuration.catalog import SettingField
from partnerspace.core.errors import FieldError
from partnerspace.identifiers import rules


def settings_clean(
    fields: Sequence[SettingField],
    raw: Mapping | None,
    *,
    prefix: str = "settings.",
    require: bool = True,
) -> tuple[dict, list[FieldError]]:
    """The settings as stored, and the errors. `require=False` lets required ones stay empty:
    a template holds defaults, and per-client values (a division, a mailbox) come later."""
    raw = raw or {}
    values, errors = {}, []
    for spec in fields:
        value = str(raw.get(spec.key) or "").strip()
        if not value:
            if require and spec.required:
                errors.append(
                    FieldError(prefix + spec.key, "required", _("This field is required."))
                )
            continue
        if len(value) > spec.max_length:
            errors.append(
                FieldError(
                    prefix + spec.key,
                    "too_long",
                    _("Use at most %(limit)d characters.") % {"limit": spec.max_length},
                    value,
                )
            )
            continue
        if spec.kind == "email":
            try:
                value = rules.email(value).value or value
            except rules.IdentifierError:
                errors.append(
                    FieldError(
                        prefix + spec.key,
                        "invalid_email",
                        _("Enter a valid e-mail address, e.g. name@example.be."),
                        value,
                    )
                )
                continue
        elif spec.regex is not None and not spec.regex.fullmatch(value):
            errors.append(
                FieldError(
                    prefix + spec.key,
                    "invalid_setting",
                    _("%(label)s: not a valid value (%(hint)s).")
                    % {"label": spec.label, "hint": spec.pattern_hint},
                    value,
                )
            )
            continue
        values[spec.key] = value
    unknown = set(raw) - {spec.key for spec in fields}
    for key in sorted(unknown):
        errors.append(FieldError(prefix + str(key), "unknown_setting", _("Unknown setting.")))
    return values, errors


def settings_missing(fields: Sequence[SettingField], values: Mapping) -> list[SettingField]:
    return [spec for spec in fields if spec.required and not values.get(spec.key)]
