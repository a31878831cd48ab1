"""The integration catalog is data, and one function checks settings against it for every door."""

import re

import pytest

from partnerspace.configuration.catalog import CATALOG, INTEGRATIONS, integration_spec
from partnerspace.configuration.settings_rules import settings_clean, settings_missing


def _codes(errors) -> dict[str, str]:
    return {error.field: error.code for error in errors}


def test_every_catalog_key_is_unique_and_reachable_by_key():
    keys = [spec.key for spec in INTEGRATIONS]
    assert len(keys) == len(set(keys))
    assert set(CATALOG) == set(keys)
    for spec in INTEGRATIONS:
        assert integration_spec(spec.key) is spec


def test_an_unknown_key_has_no_spec():
    assert integration_spec("sap") is None


def test_catalog_keys_fit_the_install_url_and_the_database_column():
    for spec in INTEGRATIONS:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,39}", spec.key), spec.key


@pytest.mark.parametrize("spec", INTEGRATIONS, ids=lambda spec: spec.key)
def test_each_entry_is_well_formed(spec):
    assert spec.category in {"accounting", "storage", "email"}
    assert str(spec.name) and str(spec.description)
    # Every integration needs at least one thing per client: where the documents go.
    assert spec.client_fields
    for fields in (spec.firm_fields, spec.client_fields):
        keys = [field.key for field in fields]
        assert len(keys) == len(set(keys)), spec.key
        for field in fields:
            assert field.kind in {"text", "email", "folder", "number"}
            if field.pattern:
                re.compile(field.pattern)
                assert field.pattern_hint, f"{spec.key}.{field.key}: say what is expected"
            # An e-mail address is never someone's ID in an accounting package.
            assert not (field.from_external_reference and field.kind == "email")


def test_firm_fields_never_take_the_clients_external_reference():
    for spec in INTEGRATIONS:
        assert not any(field.from_external_reference for field in spec.firm_fields), spec.key


@pytest.mark.parametrize(
    ("key", "external_reference_keyed"),
    [
        ("exact_online", True),
        ("yuki", True),
        ("winbooks", True),
        ("horus", True),
        ("clearfacts", True),
        ("octopus", False),
        ("dropbox", False),
        ("email_export", False),
    ],
)
def test_which_integrations_key_clients_by_their_external_reference(key, external_reference_keyed):
    fields = CATALOG[key].client_fields
    assert any(field.from_external_reference for field in fields) is external_reference_keyed


# Exact Online


@pytest.mark.parametrize("region", ["be", "nl"])
def test_exact_online_region_be_or_nl_is_accepted(region):
    values, errors = settings_clean(CATALOG["exact_online"].firm_fields, {"region": region})
    assert errors == []
    assert values == {"region": region}


@pytest.mark.parametrize("region", ["de", "fr", "benl", "b", "BEL", "uk"])
def test_exact_online_region_other_than_be_or_nl_is_refused(region):
    values, errors = settings_clean(CATALOG["exact_online"].firm_fields, {"region": region})
    assert _codes(errors) == {"settings.region": "invalid_setting"}
    assert values == {}


def test_surrounding_spaces_are_typing_noise_not_another_region():
    values, errors = settings_clean(CATALOG["exact_online"].firm_fields, {"region": " nl "})
    assert (values, errors) == ({"region": "nl"}, [])


def test_exact_online_region_is_optional_for_the_firm():
    values, errors = settings_clean(CATALOG["exact_online"].firm_fields, {})
    assert (values, errors) == ({}, [])


@pytest.mark.parametrize("division", ["1", "123456", "0012345678"])
def test_exact_division_of_digits_is_accepted(division):
    values, errors = settings_clean(CATALOG["exact_online"].client_fields, {"division": division})
    assert errors == []
    assert values == {"division": division}


@pytest.mark.parametrize("division", ["12a", "KL-001", "12 34", "-1", "1.5", "12345678901"])
def test_exact_division_other_than_digits_is_refused(division):
    _values, errors = settings_clean(CATALOG["exact_online"].client_fields, {"division": division})
    assert _codes(errors) == {"settings.division": "invalid_setting"}
    assert errors[0].value == division


def test_exact_division_is_required_per_client_but_not_in_a_template():
    fields = CATALOG["exact_online"].client_fields
    _values, errors = settings_clean(fields, {"division": "  "})
    assert _codes(errors) == {"settings.division": "required"}
    assert settings_clean(fields, {}, require=False) == ({}, [])


# Octopus, Dropbox, e-mail export


def test_octopus_mailbox_must_be_an_email_address():
    fields = CATALOG["octopus"].client_fields
    _values, errors = settings_clean(fields, {"dossier_mailbox": "not-an-address"})
    assert _codes(errors) == {"settings.dossier_mailbox": "invalid_email"}


def test_octopus_mailbox_is_stored_normalized():
    fields = CATALOG["octopus"].client_fields
    values, errors = settings_clean(fields, {"dossier_mailbox": " Dossier42@Octopus.BE "})
    assert errors == []
    assert values == {"dossier_mailbox": "Dossier42@octopus.be"}


@pytest.mark.parametrize("path", ["/", "/Clients/Bakkerij Peeters", "/Klanten/2026/Fa\u00e7ade"])
def test_dropbox_folder_starting_with_a_slash_is_accepted(path):
    values, errors = settings_clean(CATALOG["dropbox"].client_fields, {"folder_path": path})
    assert errors == []
    assert values == {"folder_path": path}


@pytest.mark.parametrize(
    "path", ["Clients/Peeters", "C:\\Clients", "/Clients/a*b", "/what?", "\\\\server\\share"]
)
def test_dropbox_folder_not_starting_with_a_slash_or_with_forbidden_characters_is_refused(path):
    _values, errors = settings_clean(CATALOG["dropbox"].client_fields, {"folder_path": path})
    assert _codes(errors) == {"settings.folder_path": "invalid_setting"}


def test_dropbox_account_of_the_firm_must_be_an_email_address():
    fields = CATALOG["dropbox"].firm_fields
    assert _codes(settings_clean(fields, {"account": "dropbox"})[1]) == {
        "settings.account": "invalid_email"
    }
    assert settings_clean(fields, {"account": "docs@alfa.be"}) == ({"account": "docs@alfa.be"}, [])


def test_email_export_address_is_required_and_must_be_an_address():
    fields = CATALOG["email_export"].client_fields
    assert _codes(settings_clean(fields, {})[1]) == {"settings.address": "required"}
    assert _codes(settings_clean(fields, {"address": "x@"})[1]) == {
        "settings.address": "invalid_email"
    }


# What every field shares


def test_a_value_longer_than_the_limit_is_refused_before_its_pattern():
    fields = CATALOG["dropbox"].client_fields
    _values, errors = settings_clean(fields, {"folder_path": "/" + "a" * 250})
    assert _codes(errors) == {"settings.folder_path": "too_long"}


def test_an_unknown_setting_is_refused_not_stored():
    fields = CATALOG["octopus"].client_fields
    values, errors = settings_clean(
        fields, {"dossier_mailbox": "dossier@octopus.be", "password": "hunter2"}
    )
    assert _codes(errors) == {"settings.password": "unknown_setting"}
    assert "password" not in values


def test_errors_carry_the_prefix_the_caller_gives():
    fields = CATALOG["exact_online"].client_fields
    _values, errors = settings_clean(fields, {"division": "x"}, prefix="integrations.2.settings.")
    assert [error.field for error in errors] == ["integrations.2.settings.division"]


def test_every_error_is_reported_at_once():
    fields = CATALOG["yuki"].firm_fields + CATALOG["yuki"].client_fields
    _values, errors = settings_clean(fields, {"domain": "-bad", "unknown": "1"})
    assert _codes(errors) == {
        "settings.domain": "invalid_setting",
        "settings.administration_id": "required",
        "settings.unknown": "unknown_setting",
    }


def test_settings_missing_names_the_required_fields_left_empty():
    fields = CATALOG["dropbox"].client_fields
    assert [field.key for field in settings_missing(fields, {})] == ["folder_path"]
    assert [field.key for field in settings_missing(fields, {"folder_path": ""})] == ["folder_path"]
    assert settings_missing(fields, {"folder_path": "/Klanten"}) == []
