"""The validation of a client and its contacts, written once.

The form, the API and the import all call `client_clean` and `contact_clean`; every value
passes the identifier rules whichever door it comes in by. Errors are all reported at once;
every repair of the input comes back as a warning.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerspace.core.errors import FieldError, ValidationFailed
from partnerspace.core.text import INVALID_CHARACTER, INVALID_CHARACTER_MESSAGE, unstorable
from partnerspace.identifiers import rules
from partnerspace.identifiers.messages import ERROR_MESSAGES, NOTE_MESSAGES

CLIENT_TEXT_LIMITS = {
    "legal_name": 200,
    "external_reference": 100,
    "street": 200,
    "house_number": 20,
    "box": 20,
    "postal_code": 20,
    "city": 100,
    "notes": 5000,
}
CONTACT_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "phone": 40}
CLIENT_FIELDS = (
    "legal_name",
    "country",
    "company_number",
    "vat_number",
    "external_reference",
    "iban",
    "street",
    "house_number",
    "box",
    "postal_code",
    "city",
    "peppol_mandate",
    "notes",
)
CONTACT_FIELDS = ("first_name", "last_name", "email", "locale", "phone")

# The details a company keeps itself; a firm's own fields (external reference, notes,
# mandate, template, staff, integrations) stay the firm's.
COMPANY_FIELDS = (
    "legal_name",
    "country",
    "company_number",
    "vat_number",
    "iban",
    "street",
    "house_number",
    "box",
    "postal_code",
    "city",
)
# The identifiers the firms answer for. A company's own users may not change them: a changed
# number would take the place of the company that really has it (which every firm would then
# refuse as "a company with its own users"). A firm changes them as a client edit, with its
# duplicate checks, and the company and every linked firm follow
# (companies.services.company_numbers_change).
COMPANY_NUMBERS = ("company_number", "vat_number")

MESSAGES = {
    "required": gettext_lazy("This field is required."),
    "too_long": gettext_lazy("Use at most %(limit)d characters."),
    INVALID_CHARACTER: INVALID_CHARACTER_MESSAGE,
    "invalid_phone": gettext_lazy(
        "Enter a phone number with digits, spaces and + ( ) / . - only, e.g. +32 9 123 45 67."
    ),
}


def message_for(code: str, **params) -> str:
    text = MESSAGES.get(code) or ERROR_MESSAGES.get(code) or code
    return str(text) % params if params else str(text)


# Repairs the user expects and need not look at: spacing, dots, case, a missing BE, a code
# spelled another way. Every other note (a leading zero restored, an unknown bank code, a
# postal code bpost does not use) asks the user to check the value.
ROUTINE_REPAIRS = frozenset(
    {
        "case_changed",
        "country_name",
        "separators_removed",
        "whitespace_collapsed",
        "prefix_removed",
        "prefix_added",
        "reformatted",
        "locale_spelling",
        "locale_completed",
    }
)


@dataclass(frozen=True, slots=True)
class FieldWarning:
    """A repair made to an input value; the message is only built when someone reads it."""

    field: str
    note: rules.Note

    @property
    def code(self) -> str:
        return self.note.code

    @property
    def routine(self) -> bool:
        return self.note.code == rules.NORMALIZED and self.note.reason in ROUTINE_REPAIRS

    @property
    def value(self) -> str:
        return self.note.original

    @property
    def normalized(self) -> str:
        return self.note.normalized

    @property
    def message(self) -> str:
        template = NOTE_MESSAGES.get(self.note.reason)
        if template is None:
            return _("%(original)s became %(normalized)s.") % self._params()
        return str(template) % self._params()

    def _params(self) -> dict:
        return {"original": self.note.original, "normalized": self.note.normalized}


@dataclass
class Cleaned:
    values: dict = field(default_factory=dict)
    warnings: list[FieldWarning] = field(default_factory=list)


class _Collector:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.errors: list[FieldError] = []
        self.cleaned = Cleaned()

    def error(self, name: str, code: str, value=None, **params) -> None:
        self.errors.append(FieldError(self.prefix + name, code, message_for(code, **params), value))

    def text(self, data: Mapping, name: str, limit: int, *, required: bool = False) -> str:
        raw = data.get(name)
        value = "" if raw is None else str(raw).strip()
        if unstorable(value):
            self.error(name, INVALID_CHARACTER)
        elif required and not value:
            self.error(name, "required")
        elif len(value) > limit:
            self.error(name, "too_long", value, limit=limit)
        self.cleaned.values[name] = value
        return value

    def rule(self, data: Mapping, name: str, rule, *, required: bool = False, **kwargs):
        raw = data.get(name)
        if isinstance(raw, str) and unstorable(raw):
            self.error(name, INVALID_CHARACTER)
            return None
        try:
            result = rule(raw, **kwargs)
        except rules.IdentifierError as refusal:
            self.error(name, refusal.code, raw)
            return None
        if required and result.value is None:
            self.error(name, "required")
        self.cleaned.values[name] = result.value
        if result.notes:
            self.cleaned.warnings += [FieldWarning(self.prefix + name, n) for n in result.notes]
        return result.value


def client_clean(data: Mapping) -> Cleaned:
    """Normalize a client's company data; raises ValidationFailed with every error at once."""
    check = _Collector("")
    check.text(data, "legal_name", CLIENT_TEXT_LIMITS["legal_name"], required=True)
    country = check.rule(data, "country", rules.country, required=True)
    if country:
        company_number = check.rule(data, "company_number", rules.company_number, country=country)
        vat = check.rule(data, "vat_number", rules.vat_number, country=country)
        if vat and not company_number:
            company_number = rules.company_number_of_vat(vat)
            check.cleaned.values["company_number"] = company_number
        if vat and company_number and not _errors_on(check, "company_number", "vat_number"):
            try:
                rules.check_vat_matches_company_number(
                    vat=vat, company_number=company_number, country=country
                )
            except rules.IdentifierError as refusal:
                check.error("vat_number", refusal.code, data.get("vat_number"))
    external_reference = check.text(
        data, "external_reference", CLIENT_TEXT_LIMITS["external_reference"]
    )
    check.cleaned.values["external_reference"] = external_reference or None
    check.rule(data, "iban", rules.iban)
    check.cleaned.values["iban"] = check.cleaned.values.get("iban") or ""
    for name in ("street", "house_number", "box", "postal_code", "city", "notes"):
        check.text(data, name, CLIENT_TEXT_LIMITS[name])
    if country and check.cleaned.values["postal_code"] and not _errors_on(check, "postal_code"):
        check.rule(check.cleaned.values, "postal_code", rules.postal_code, country=country)
        check.cleaned.values["postal_code"] = check.cleaned.values["postal_code"] or ""
    check.rule(data, "peppol_mandate", rules.yes_no)
    if check.errors:
        raise ValidationFailed(check.errors)
    return check.cleaned


def contact_clean(data: Mapping, *, country: str | None, prefix: str = "") -> Cleaned:
    """Normalize one contact; `country` completes a bare language (nl → nl-BE)."""
    check = _Collector(prefix)
    check.text(data, "first_name", CONTACT_TEXT_LIMITS["first_name"], required=True)
    check.text(data, "last_name", CONTACT_TEXT_LIMITS["last_name"], required=True)
    check.rule(data, "email", rules.email, required=True)
    check.rule(data, "locale", rules.locale, required=True, country=country)
    phone = check.text(data, "phone", CONTACT_TEXT_LIMITS["phone"])
    if phone and not _PHONE_CHARACTERS.issuperset(phone):
        check.error("phone", "invalid_phone", phone)
    if check.errors:
        raise ValidationFailed(check.errors)
    return check.cleaned


_PHONE_CHARACTERS = frozenset("0123456789 +()/.-")


def _errors_on(check: _Collector, *names: str) -> bool:
    wanted = {check.prefix + name for name in names}
    return any(error.field in wanted for error in check.errors)
