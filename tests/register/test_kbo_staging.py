"""The database converts enterprise, address and contact rows (kbo.converted): the values as
the Python reading had them, and a row the format does not allow refused with nothing
changed, on SQLite (an INSERT per row read) as on PostgreSQL (COPY into a temporary table)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerspace.register.selectors import register_company_get, register_copy
from tests.register.conftest import JANSSENS, LUX, PEETERS, full_tables
from tests.register.kbo_files import dotted, write_full, write_update

pytestmark = pytest.mark.django_db


def refused(command: str, path) -> str:
    with pytest.raises(CommandError) as raised:
        call_command(command, str(path))
    assert raised.value.returncode == 2
    return str(raised.value)


def _changed(name: str, change) -> dict:
    data = full_tables()
    data[name] = [change(list(row)) for row in data[name]]
    return data


def _first_enterprise_row(change):
    done = []

    def once(row):
        if not done and row[0].count(".") == 2:
            done.append(True)
            return change(row)
        return row

    return once


def test_values_are_converted_as_the_format_says(full_zip):
    call_command("kbo_load", str(full_zip))

    peeters = register_company_get(PEETERS)
    assert peeters.number == PEETERS  # dots gone
    assert peeters.start_date.isoformat() == "1998-02-01"  # dd-mm-yyyy
    assert peeters.seat.struck_off_on is None  # empty: NULL
    assert peeters.seat.extra == ""
    assert register_company_get(JANSSENS).legal_form is None  # empty code: none
    assert register_company_get(LUX).seat.country == "LU"


def test_a_struck_off_date_of_an_address_is_a_date(tmp_path):
    def struck(row):
        row[12] = "31-12-2024"
        return row

    path = write_full(
        tmp_path / "full.zip",
        number=140,
        snapshot="04-10-2025",
        tables=_changed("address", _first_enterprise_row(struck)),
    )
    call_command("kbo_load", str(path))

    dates = [
        address.struck_off_on
        for number in (PEETERS, LUX)
        for address in register_company_get(number).addresses
    ]
    assert any(d is not None and d.isoformat() == "2024-12-31" for d in dates)


def _bad_date(row):
    row[6] = "1998/02/01"
    return row


def _short_row(row):
    return row[:-1]


def _long_row(row):
    return [*row, "extra"]


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("enterprise", _bad_date),
        ("enterprise", _short_row),
        ("address", _short_row),
        ("contact", _long_row),
    ],
    ids=["a date not in dd-mm-yyyy", "an enterprise a value short", "an address a value short",
         "a contact a value too many"],
)  # fmt: skip
def test_a_row_the_format_does_not_allow_is_refused_and_nothing_changes(
    full_zip, tmp_path, name, change
):
    call_command("kbo_load", str(full_zip))
    before = (register_copy().extract_number, register_company_get(PEETERS).legal_name)
    bad = write_full(
        tmp_path / "bad.zip",
        number=141,
        snapshot="01-11-2025",
        tables=_changed(name, _first_enterprise_row(change)),
    )

    message = refused("kbo_load", bad)

    assert f"{name}.csv" in message
    assert (register_copy().extract_number, register_company_get(PEETERS).legal_name) == before


def test_an_update_whose_insert_file_has_a_bad_date_changes_nothing(full_zip, tmp_path):
    call_command("kbo_load", str(full_zip))
    update = write_update(
        tmp_path / "update.zip",
        number=141,
        snapshot="05-10-2025",
        deletes={"enterprise": [dotted(PEETERS)]},
        inserts={"enterprise": [(dotted(PEETERS), "AC", "000", "2", "610", "", "1-2-1998")]},
    )

    message = refused("kbo_update", update)

    assert "enterprise_insert.csv" in message
    assert register_copy().extract_number == 140
    assert register_company_get(PEETERS).start_date.isoformat() == "1998-02-01"
