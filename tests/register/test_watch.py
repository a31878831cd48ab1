"""The register watch: after each kbo_update, every client of a changed enterprise is flagged
with what changed, once per kind; a dismissal is remembered, a newer value flags again."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerspace.clients.models import ClientStatus
from partnerspace.register.models import (
    ChangeKind,
    ChangeState,
    RegisterChange,
    RegisterWatchPending,
)
from partnerspace.register.services import register_change_dismiss
from tests.factories import make_client
from tests.register.conftest import DUPONT, GONE, MOVER, MULLER, PEETERS
from tests.register.watch_files import (
    GONE_STOPPED,
    MOVER_TO_BRUGGE,
    MULLER_UNCHANGED,
    PEETERS_BANKRUPT_NV,
    dupont_named,
    merged,
    write,
)

pytestmark = pytest.mark.django_db

BRUSSELS = {
    "street": "Wetstraat",
    "house_number": "16",
    "postal_code": "1000",
    "city": "Brussel",
}


@pytest.fixture
def loaded(full_zip):
    call_command("kbo_load", str(full_zip))


def update(tmp_path, number, *changes):
    call_command("kbo_update", str(write(tmp_path, number, merged(*changes))))


def open_changes(client):
    return {
        change.kind: change
        for change in RegisterChange.objects.filter(client=client, state=ChangeState.OPEN)
    }


def test_an_update_flags_each_kind_it_changes_with_before_and_after(firm_a, loaded, tmp_path):
    peeters = make_client(firm_a.admin, "Bakkerij Peeters", company_number=PEETERS)
    dupont = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    mover = make_client(firm_a.admin, "Verhuizers Peeters", company_number=MOVER, **BRUSSELS)
    gone = make_client(firm_a.admin, "Verdwenen Bakkerij", company_number=GONE)
    muller = make_client(firm_a.admin, "Müller Bäckerei", company_number=MULLER)

    update(
        tmp_path,
        141,
        PEETERS_BANKRUPT_NV,
        dupont_named("Boulangerie Dupont & Fils"),
        MOVER_TO_BRUGGE,
        GONE_STOPPED,
        MULLER_UNCHANGED,
    )

    changes = open_changes(peeters)
    assert set(changes) == {ChangeKind.LEGAL_FORM, ChangeKind.SITUATION}
    assert (changes["legal_form"].before, changes["legal_form"].after) == ("610", "014")
    assert (changes["situation"].before, changes["situation"].after) == ("000", "012")
    assert changes["situation"].extract_number == 141
    [name] = open_changes(dupont).values()
    assert name.kind == ChangeKind.NAME
    assert name.before == [["1", "Boulangerie Dupont"]]
    assert name.after == [["1", "Boulangerie Dupont & Fils"]]
    [moved] = open_changes(mover).values()
    assert moved.kind == ChangeKind.ADDRESS
    assert moved.before["municipality_nl"] == "Brussel"
    assert (moved.after["municipality_nl"], moved.after["street_nl"]) == ("Brugge", "Markt")
    [stopped] = open_changes(gone).values()
    assert (stopped.kind, stopped.before, stopped.after) == (ChangeKind.STOPPED, True, False)
    assert open_changes(muller) == {}
    assert not RegisterWatchPending.objects.exists()


def test_every_firm_with_the_company_as_client_is_flagged(firm_a, firm_b, loaded, tmp_path):
    mine = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    theirs = make_client(firm_b.admin, "Dupont SA", company_number=DUPONT)

    update(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))

    assert set(RegisterChange.objects.values_list("firm_id", "client_id")) == {
        (firm_a.firm.pk, mine.pk),
        (firm_b.firm.pk, theirs.pk),
    }


def test_a_client_that_already_holds_the_new_value_is_not_flagged(firm_a, loaded, tmp_path):
    renamed_first = make_client(firm_a.admin, "Boulangerie Dupont & Fils", company_number=DUPONT)
    moved_first = make_client(
        firm_a.admin,
        "Verhuizers Peeters",
        company_number=MOVER,
        street="Markt",
        house_number="1",
        postal_code="8000",
        city="Brugge",
    )

    update(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"), MOVER_TO_BRUGGE)

    assert open_changes(renamed_first) == {}
    assert open_changes(moved_first) == {}


def test_an_archived_client_and_one_without_the_number_are_not_flagged(firm_a, loaded, tmp_path):
    archived = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    archived.status = ClientStatus.ARCHIVED
    archived.save(update_fields=["status"])
    other = make_client(firm_a.admin, "Bakkerij Peeters", company_number=PEETERS)

    update(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))

    assert not RegisterChange.objects.exists()
    assert open_changes(other) == {}


def test_a_dismissal_is_remembered_and_a_new_value_flags_again(firm_a, loaded, tmp_path):
    dupont = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    update(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))
    first = open_changes(dupont)["name"]
    register_change_dismiss(membership=firm_a.manager, change_id=first.pk)

    # The name changes again: flagged again, as the new value.
    update(tmp_path, 142, dupont_named("Boulangerie Dupont"))
    again = open_changes(dupont)["name"]
    assert again.pk != first.pk
    assert again.after == [["1", "Boulangerie Dupont"]]
    register_change_dismiss(membership=firm_a.manager, change_id=again.pk)

    # Back to the value dismissed the first time: not flagged again.
    update(tmp_path, 143, dupont_named("Boulangerie Dupont & Fils"))
    assert open_changes(dupont) == {}
    assert RegisterChange.objects.filter(client=dupont, state=ChangeState.DISMISSED).count() == 2


def test_an_open_change_follows_a_newer_value_and_goes_when_it_is_undone(firm_a, loaded, tmp_path):
    dupont = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    update(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))
    first = open_changes(dupont)["name"]

    update(tmp_path, 142, dupont_named("Dupont Frères"))
    moved = open_changes(dupont)["name"]
    assert moved.pk == first.pk
    assert (moved.before, moved.after) == ([["1", "Boulangerie Dupont"]], [["1", "Dupont Frères"]])
    assert moved.extract_number == 142

    update(tmp_path, 143, dupont_named("Boulangerie Dupont"))
    assert open_changes(dupont) == {}


def test_the_pass_is_a_fixed_number_of_queries_however_many_clients(loaded, tmp_path):
    from tests.factories import make_firm, make_member

    # A firm holds a number once: the clients of one company are spread over firms.
    def clients_in_new_firms(count, start):
        for index in range(start, start + count):
            firm = make_firm(f"Kantoor {index}", f"kantoor-{index}")
            make_client(make_member(firm), "Dupont Brood", company_number=DUPONT)

    def queries_of_update(number):
        with CaptureQueriesContext(connection) as captured:
            update(tmp_path, number, dupont_named(f"Dupont {number}"))
        return len(captured)

    clients_in_new_firms(1, 0)
    few = queries_of_update(141)
    RegisterChange.objects.update(state=ChangeState.DISMISSED)  # the same work, many times
    clients_in_new_firms(12, 1)
    many = queries_of_update(142)

    assert RegisterChange.objects.filter(state=ChangeState.OPEN).count() == 13
    assert many == few


def test_a_pass_that_did_not_run_is_done_by_the_next_update(firm_a, loaded, tmp_path):
    from partnerspace.register.services import register_update

    dupont = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    mover = make_client(firm_a.admin, "Verhuizers Peeters", company_number=MOVER, **BRUSSELS)
    register_update(
        path=write(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils")), watch_now=False
    )
    assert RegisterWatchPending.objects.count() == 1
    assert not RegisterChange.objects.exists()

    update(tmp_path, 142, MOVER_TO_BRUGGE)

    assert set(open_changes(dupont)) == {"name"}
    assert set(open_changes(mover)) == {"address"}


@pytest.mark.parametrize(
    ("street", "city", "country", "same"),
    [
        ("Wetstraat", "Brussel", "BE", True),
        ("RUE DE LA LOI", "bruxelles", "BE", True),
        ("Rue de la Loi", "Brussel", "BE", False),  # one spelling, not a mix of both
        ("Wetstraat", "Brussel", "NL", False),
        ("Wetstraat", "Antwerpen", "BE", False),
    ],
)
def test_a_client_is_at_the_seat_in_either_spelling(street, city, country, same):
    from partnerspace.register.selectors import client_matches_seat

    seat = {
        "zipcode": "1000",
        "municipality_nl": "Brussel",
        "municipality_fr": "Bruxelles",
        "street_nl": "Wetstraat",
        "street_fr": "Rue de la Loi",
        "house_number": "16",
    }
    client = {
        "street": street,
        "house_number": "16",
        "box": "",
        "postal_code": "1000",
        "city": city,
        "country": country,
    }

    assert client_matches_seat(client, seat) is same
