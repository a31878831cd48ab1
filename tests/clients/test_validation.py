"""clients.validation: every value through the identifier rules, every error at once."""

import pytest
from django.utils import translation

from partnerspace.clients.services import client_create
from partnerspace.clients.validation import client_clean, contact_clean, message_for
from partnerspace.core.errors import ValidationFailed

VALID = {"legal_name": "Alfa BV", "country": "BE"}


def refused(clean, data, **kwargs) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as failed:
        clean(data, **kwargs)
    return {(error.field, error.code) for error in failed.value.errors}


def test_client_clean_reports_every_error_at_once():
    errors = refused(
        client_clean,
        {
            "legal_name": "  ",
            "country": "BE",
            "company_number": "0403.019.262",
            "vat_number": "BE12",
            "iban": "BE71 0961 2345 6760",
            "peppol_mandate": "misschien",
            "city": "x" * 101,
        },
    )
    assert errors == {
        ("legal_name", "required"),
        ("company_number", "company_number_checksum"),
        ("vat_number", "invalid_vat"),
        ("iban", "invalid_iban"),
        ("peppol_mandate", "invalid_mandate"),
        ("city", "too_long"),
    }


def test_an_unknown_country_and_a_missing_name_are_both_reported():
    assert refused(client_clean, {"legal_name": "", "country": "Atlantis"}) == {
        ("legal_name", "required"),
        ("country", "invalid_country"),
    }


def test_the_country_is_required():
    assert ("country", "required") in refused(client_clean, {"legal_name": "Alfa BV"})


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("company_number", "12345", "invalid_company_number"),
        ("company_number", "0403019262", "company_number_checksum"),
        ("vat_number", "BE12", "invalid_vat"),
        ("vat_number", "BE0403019262", "vat_checksum"),
        ("iban", "BE00 0000", "invalid_iban"),
        ("peppol_mandate", "misschien", "invalid_mandate"),
        ("legal_name", "x" * 201, "too_long"),
        ("external_reference", "r" * 101, "too_long"),
    ],
)
def test_each_identifier_rule_refuses_with_its_code(field, value, code):
    errors = refused(client_clean, {**VALID, field: value})
    assert errors == {(field, code)}


def test_a_vat_number_that_is_another_companys_enterprise_number_is_refused():
    errors = refused(
        client_clean, {**VALID, "company_number": "0403019261", "vat_number": "BE0202239951"}
    )
    assert errors == {("vat_number", "vat_company_number_mismatch")}


def test_a_vat_number_implies_the_enterprise_number():
    cleaned = client_clean({**VALID, "vat_number": "BE 0403.019.261"})
    assert cleaned.values["vat_number"] == "BE0403019261"
    assert cleaned.values["company_number"] == "0403019261"


def test_absent_identifiers_are_stored_as_null_so_the_unique_constraints_ignore_them():
    cleaned = client_clean({**VALID, "company_number": " ", "external_reference": ""})
    assert cleaned.values["company_number"] is None
    assert cleaned.values["vat_number"] is None
    assert cleaned.values["external_reference"] is None
    assert cleaned.values["iban"] == ""
    assert cleaned.values["peppol_mandate"] is False


def test_a_repaired_value_comes_back_as_a_warning_with_before_and_after():
    cleaned = client_clean({**VALID, "company_number": "403.019.261", "country": "belgië"})
    by_field = {warning.field: warning for warning in cleaned.warnings}
    assert cleaned.values["company_number"] == "0403019261"
    assert cleaned.values["country"] == "BE"
    number = by_field["company_number"]
    assert (number.value, number.normalized) == ("403.019.261", "0403019261")
    assert number.code == "normalized"
    assert "403.019.261" in number.message and "0403019261" in number.message
    assert (by_field["country"].value, by_field["country"].normalized) == ("belgië", "BE")


def test_a_clean_value_gives_no_warning():
    cleaned = client_clean({**VALID, "company_number": "0403019261"})
    assert cleaned.warnings == []


def test_an_iban_with_an_unknown_belgian_bank_code_is_kept_with_a_warning():
    cleaned = client_clean({**VALID, "iban": "BE68539007547034"})
    assert cleaned.values["iban"] == "BE68539007547034"
    assert [w.code for w in cleaned.warnings] == ["unknown_bank_code"]


def test_a_foreign_company_keeps_its_own_registration_number():
    cleaned = client_clean(
        {"legal_name": "Acme Ltd", "country": "GB", "company_number": "0123 4567"}
    )
    assert cleaned.values["company_number"] == "0123 4567"


def test_contact_clean_reports_every_error_at_once_with_the_prefix():
    errors = refused(
        contact_clean,
        {"first_name": "", "last_name": "", "email": "niet-een-adres", "locale": "xx-YY"},
        country="BE",
        prefix="contacts.0.",
    )
    assert errors == {
        ("contacts.0.first_name", "required"),
        ("contacts.0.last_name", "required"),
        ("contacts.0.email", "invalid_email"),
        ("contacts.0.locale", "invalid_locale"),
    }


def test_contact_email_and_locale_are_required():
    errors = refused(contact_clean, {"first_name": "Jan", "last_name": "Peeters"}, country="BE")
    assert errors == {("email", "required"), ("locale", "required")}


def test_a_bare_language_is_completed_with_the_companys_country():
    cleaned = contact_clean(
        {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "fr"},
        country="BE",
    )
    assert cleaned.values["locale"] == "fr-BE"
    [warning] = cleaned.warnings
    assert (warning.field, warning.value, warning.normalized) == ("locale", "fr", "fr-BE")


def test_a_phone_number_with_letters_is_refused():
    errors = refused(
        contact_clean,
        {
            "first_name": "Jan",
            "last_name": "Peeters",
            "email": "jan@alfa.example",
            "locale": "nl-BE",
            "phone": "bel me",
        },
        country="BE",
    )
    assert errors == {("phone", "invalid_phone")}


def test_error_messages_follow_the_active_language():
    with translation.override("en"):
        english = message_for("required")
    with translation.override("nl"):
        dutch = message_for("required")
    assert english == "This field is required."
    assert dutch == "Dit veld is verplicht."


def test_the_service_applies_the_same_rules_as_the_form(firm_a):
    """Whichever door: client_create refuses what client_clean refuses, with the same codes."""
    with pytest.raises(ValidationFailed) as failed:
        client_create(
            membership=firm_a.manager,
            data={"legal_name": "Alfa BV", "country": "BE", "vat_number": "BE0403019262"},
            contacts=[{"first_name": "Jan", "last_name": "P", "email": "x", "locale": "nl-BE"}],
        )
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("vat_number", "vat_checksum"),
        ("contacts.0.email", "invalid_email"),
    }
