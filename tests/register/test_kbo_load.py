"""kbo_load: a full extract in the exact KBO Open Data format becomes the register."""

import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from partnerspace.register.selectors import (
    register_companies_search,
    register_company_get,
    register_copy,
)
from tests.register.conftest import (
    DUPONT,
    JANSSENS,
    LUX,
    MULLER,
    NIEUW,
    PEETERS,
    PEETERS_COMMERCIAL,
    full_tables,
)
from tests.register.kbo_files import HEADERS, csv_text, dotted, write_full, write_zip

pytestmark = pytest.mark.django_db


def load(path):
    call_command("kbo_load", str(path))


def refused(command: str, path) -> CommandError:
    with pytest.raises(CommandError) as raised:
        call_command(command, str(path))
    assert raised.value.returncode == 2
    return raised.value


def test_a_full_extract_is_loaded_with_what_it_is(full_zip):
    load(full_zip)

    copy = register_copy()
    assert copy.extract_number == 140
    assert copy.snapshot_date.isoformat() == "2025-10-04"
    stamp = timezone.localtime(copy.extract_timestamp)
    assert stamp.strftime("%d-%m-%Y %H:%M:%S") == "04-10-2025 07:41:38"
    company = register_company_get(PEETERS)
    assert company.start_date.isoformat() == "1998-02-01"
    assert company.copy == copy


def test_the_legal_name_an_abbreviation_and_a_commercial_name_with_quotes_and_commas(full_zip):
    load(full_zip)

    with translation.override("nl"):
        company = register_company_get(PEETERS)
    assert company.legal_name == "Bakkerij Peeters"
    names = {(name.type.code, name.type.label, name.name) for name in company.names}
    assert names == {
        ("001", "Naam", "Bakkerij Peeters"),
        ("002", "Afkorting", "BP"),
        ("003", "Commerciële naam", PEETERS_COMMERCIAL),
    }
    assert company.legal_form.label == "Besloten vennootschap"
    assert company.seat.street == "Bondgenotenlaan"
    assert (company.seat.house_number, company.seat.box) == ("12", "3")
    assert [(c.type.code, c.value) for c in company.contacts] == [
        ("TEL", "016 12 34 56"),
        ("EMAIL", "info@bakkerij-peeters.example"),
        ("WEB", "www.bakkerij-peeters.example"),
    ]


def test_an_establishments_names_addresses_and_contacts_are_left_out(full_zip):
    load(full_zip)

    company = register_company_get(PEETERS)
    assert "Winkel Peeters Kessel-Lo" not in {name.name for name in company.names}
    assert [address.type.code for address in company.addresses] == ["REGO"]
    assert len(company.contacts) == 3
    assert register_companies_search("kessel") == []


def test_names_in_dutch_french_and_german(full_zip):
    load(full_zip)

    muller = register_company_get(MULLER)
    assert {(n.language, n.name) for n in muller.names} == {
        ("de", "Müller Bäckerei"),
        ("fr", "Boulangerie Müller"),
    }
    with translation.override("fr"):
        dupont = register_company_get(DUPONT)
    assert dupont.names[0].language == "fr"
    assert dupont.names[0].language_label == "Français"
    assert dupont.legal_form.label == "Société anonyme"
    assert dupont.seat.municipality == "Namur"


def test_a_natural_person_has_no_seat_and_no_legal_form(full_zip):
    load(full_zip)

    person = register_company_get(JANSSENS)
    assert person.seat is None
    assert person.legal_form is None
    assert person.type.code == "1"
    assert person.legal_name == "Janssens, Jan"


def test_a_foreign_address_keeps_its_country(full_zip):
    load(full_zip)

    with translation.override("fr"):
        lux = register_company_get(LUX)
    assert lux.seat.country == "LU"
    assert lux.seat.country_name == "Luxembourg"
    assert lux.seat.postal_code == "L-1115"
    belgian = register_company_get(PEETERS)
    assert belgian.seat.country == "BE"


def test_a_one_series_number_is_found_in_any_spelling(full_zip):
    load(full_zip)

    for spelling in (NIEUW, dotted(NIEUW), f"BE{NIEUW}", f"be {dotted(NIEUW)}"):
        assert register_company_get(spelling).legal_name == "Nieuwe Start", spelling


def test_a_second_full_extract_replaces_the_first(full_zip, tmp_path):
    load(full_zip)
    tables = {
        "enterprise": [(dotted(NIEUW), "AC", "000", "2", "610", "", "02-01-2024")],
        "denomination": [(dotted(NIEUW), "2", "001", "Nieuwe Naam")],
    }
    second = write_full(tmp_path / "second.zip", number=141, snapshot="01-11-2025", tables=tables)

    load(second)

    assert register_copy().extract_number == 141
    assert register_company_get(PEETERS) is None
    assert register_company_get(NIEUW).legal_name == "Nieuwe Naam"
    assert [m.number for m in register_companies_search("nieuwe")] == [NIEUW]


def _unchanged():
    copy = register_copy()
    return copy.extract_number, register_company_get(PEETERS).legal_name


def test_a_damaged_zip_is_refused_and_nothing_changes(full_zip, tmp_path):
    load(full_zip)
    before = _unchanged()
    data = full_zip.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])

    error = refused("kbo_load", truncated)

    assert "not a KBO Open Data extract" in str(error) or "ZIP" in str(error)
    assert _unchanged() == before


def test_a_zip_whose_data_is_damaged_inside_is_refused_and_nothing_changes(full_zip, tmp_path):
    load(full_zip)
    before = _unchanged()
    damaged = tmp_path / "damaged.zip"
    rows = full_tables()["denomination"] * 200
    files = {
        name.filename: zipfile.ZipFile(full_zip).read(name)
        for name in zipfile.ZipFile(full_zip).infolist()
    }
    files["denomination.csv"] = csv_text(HEADERS["denomination"], rows).encode()
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    raw = bytearray(damaged.read_bytes())
    info = zipfile.ZipFile(damaged).getinfo("denomination.csv")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 20, start + info.compress_size - 20, 7):
        raw[offset] ^= 0x5A
    damaged.write_bytes(bytes(raw))

    refused("kbo_load", damaged)

    assert _unchanged() == before


def test_a_foreign_zip_is_refused(full_zip, tmp_path):
    load(full_zip)
    before = _unchanged()
    foreign = write_zip(
        tmp_path / "klanten.zip", {"klanten.csv": "naam,btw\r\nAlfa,BE0403019261\r\n"}
    )

    refused("kbo_load", foreign)

    assert _unchanged() == before


def test_a_zip_with_other_columns_is_refused(full_zip, tmp_path):
    load(full_zip)
    before = _unchanged()
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(full_zip) as source, zipfile.ZipFile(other, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "enterprise.csv":
                data = data.replace(b'"JuridicalForm"', b'"LegalForm"', 1)
            target.writestr(info.filename, data)

    refused("kbo_load", other)

    assert _unchanged() == before


def test_an_update_is_not_a_full_extract(update_1):
    error = refused("kbo_load", update_1)

    assert register_copy() is None
    assert "missing" in str(error) or "not a full" in str(error)


def test_a_file_that_is_not_there_is_refused(tmp_path):
    refused("kbo_load", tmp_path / "nowhere.zip")
