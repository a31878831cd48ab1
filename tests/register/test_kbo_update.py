"""kbo_update: an update applies its deletes first, then its inserts, in one transaction."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerspace.register.models import RegisterExtract
from partnerspace.register.selectors import (
    register_companies_search,
    register_company_get,
    register_copy,
)
from tests.register.conftest import DUPONT, GONE, MOVER, PEETERS, UPDATE_1
from tests.register.kbo_files import write_update

pytestmark = pytest.mark.django_db


def refused(path) -> CommandError:
    with pytest.raises(CommandError) as raised:
        call_command("kbo_update", str(path))
    assert raised.value.returncode == 2
    return raised.value


@pytest.fixture
def loaded(full_zip):
    call_command("kbo_load", str(full_zip))


def test_a_deleted_enterprise_is_gone(loaded, update_1):
    assert register_company_get(GONE) is not None

    call_command("kbo_update", str(update_1))

    assert register_company_get(GONE) is None
    assert register_companies_search("verdwenen") == []


def test_a_renamed_enterprise_is_found_by_its_new_name_only(loaded, update_1):
    call_command("kbo_update", str(update_1))

    dupont = register_company_get(DUPONT)
    assert {name.name for name in dupont.names} == {
        "Boulangerie Dupont & Fils",
        "Bakkerij Dupont & Zonen",
    }
    assert [m.number for m in register_companies_search("dupont fils")] == [DUPONT]
    assert [m.number for m in register_companies_search("zonen dupont")] == [DUPONT]
    assert register_companies_search("boulangerie dupont")[0].name == "Boulangerie Dupont & Fils"
    # The seat was not in the update: it stays.
    assert dupont.seat.municipality == "Namen"


def test_a_moved_seat(loaded, update_1, update_2):
    call_command("kbo_update", str(update_1))
    call_command("kbo_update", str(update_2))

    seat = register_company_get(MOVER).seat
    assert (seat.street, seat.postal_code, seat.municipality) == ("Markt", "8000", "Brugge")
    assert len(register_company_get(MOVER).addresses) == 1
    assert register_companies_search("verhuizers")[0].municipality == "Brugge"


def test_each_update_records_what_is_loaded(loaded, update_1, update_2):
    call_command("kbo_update", str(update_1))
    call_command("kbo_update", str(update_2))

    copy = register_copy()
    assert (copy.extract_number, copy.snapshot_date.isoformat(), copy.kind) == (
        142,
        "2025-10-06",
        "update",
    )
    assert register_company_get(PEETERS).copy.extract_number == 142
    assert list(RegisterExtract.objects.values_list("extract_number", flat=True)) == [142, 141, 140]


def test_an_update_without_a_full_extract_is_refused(update_1):
    error = refused(update_1)

    assert "kbo_load" in str(error)
    assert register_copy() is None


def test_an_update_not_newer_than_the_loaded_extract_is_refused(loaded, update_1, tmp_path):
    call_command("kbo_update", str(update_1))
    again = refused(update_1)
    older = write_update(tmp_path / "older.zip", number=139, snapshot="01-09-2025", **UPDATE_1)

    refused(older)

    assert "141" in str(again)
    assert register_copy().extract_number == 141
    assert RegisterExtract.objects.count() == 2


def test_a_damaged_update_changes_nothing(loaded, update_1, tmp_path):
    damaged = tmp_path / "damaged.zip"
    data = update_1.read_bytes()
    damaged.write_bytes(data[: len(data) - 200])

    refused(damaged)

    assert register_copy().extract_number == 140
    assert register_company_get(GONE) is not None


def test_an_update_that_fails_half_way_changes_nothing(loaded, tmp_path):
    """The enterprise file is applied, then the names file turns out unreadable: the
    enterprise deleted first is back, as is everything else."""
    broken = write_update(
        tmp_path / "broken.zip",
        number=141,
        snapshot="05-10-2025",
        deletes={"enterprise": [GONE[:4] + "." + GONE[4:7] + "." + GONE[7:]]},
        inserts={"denomination": [("0654.321.022", "2", "001")]},  # a value short
    )

    refused(broken)

    assert register_company_get(GONE) is not None
    assert register_copy().extract_number == 140


def test_a_full_extract_is_not_an_update(loaded, full_zip):
    refused(full_zip)

    assert register_copy().extract_number == 140
