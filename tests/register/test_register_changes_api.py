"""The register watch in the API: a client's open changes in GET /clients/{id}, the list's
filter, and the changes listed, taken over and dismissed, by role and firm."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerspace.clients.models import ClientAssignment, ClientHistory, HistorySource
from partnerspace.register.models import ChangeKind, ChangeState, RegisterChange
from tests.factories import make_client
from tests.register.conftest import DUPONT, PEETERS
from tests.register.watch_files import PEETERS_BANKRUPT_NV, dupont_named, merged, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(firm_a, full_zip, tmp_path):
    call_command("kbo_load", str(full_zip))
    dupont = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    peeters = make_client(firm_a.admin, "Bakkerij Peeters", company_number=PEETERS)
    quiet = make_client(firm_a.admin, "Stille Klant BV")
    ClientAssignment.objects.create(client=peeters, membership=firm_a.accountant)
    update = merged(dupont_named("Boulangerie Dupont & Fils"), PEETERS_BANKRUPT_NV)
    call_command("kbo_update", str(write(tmp_path, 141, update)))
    return {"dupont": dupont, "peeters": peeters, "quiet": quiet}


def test_a_client_answers_its_open_register_changes(firm_a, api, flagged):
    body = api(firm_a.admin).get(f"/clients/{flagged['dupont'].pk}").json()

    [change] = body["register_changes"]
    assert change["kind"] == "name"
    assert change["kind_label"] == "Juridische naam"
    assert (change["before"], change["after"]) == (
        "Boulangerie Dupont",
        "Boulangerie Dupont & Fils",
    )
    assert change["after_value"] == [["1", "Boulangerie Dupont & Fils"]]
    assert change["state"] == "open"
    assert change["takes_field"] is True
    assert change["snapshot_date"] == "2025-10-06"
    quiet = api(firm_a.admin).get(f"/clients/{flagged['quiet'].pk}").json()
    assert quiet["register_changes"] == []


def test_the_list_filters_clients_with_and_without_open_changes(firm_a, api, flagged):
    client = api(firm_a.admin)

    with_changes = client.get("/clients?register_changes=true").json()
    without = client.get("/clients?register_changes=false").json()

    assert {c["id"] for c in with_changes["results"]} == {
        flagged["dupont"].pk,
        flagged["peeters"].pk,
    }
    assert with_changes["count"] == 2
    assert {c["id"] for c in without["results"]} == {flagged["quiet"].pk}
    # An accountant's filter stays within their own clients.
    mine = api(firm_a.accountant).get("/clients?register_changes=true").json()
    assert [c["id"] for c in mine["results"]] == [flagged["peeters"].pk]


def test_the_changes_list_shows_what_the_token_may_see(firm_a, firm_b, api, flagged):
    everything = api(firm_a.manager).get("/register/changes").json()
    assert everything["count"] == 3
    assert {(c["client_name"], c["kind"]) for c in everything["results"]} == {
        ("Dupont Brood", "name"),
        ("Bakkerij Peeters", "legal_form"),
        ("Bakkerij Peeters", "situation"),
    }
    own = api(firm_a.accountant).get("/register/changes").json()
    assert {c["client_name"] for c in own["results"]} == {"Bakkerij Peeters"}
    assert api(firm_b.admin).get("/register/changes").json()["count"] == 0


def test_take_over_through_the_api_writes_history_source_register(firm_a, api, flagged):
    change = RegisterChange.objects.get(client=flagged["dupont"], kind=ChangeKind.NAME)

    response = api(firm_a.manager).post(f"/register/changes/{change.pk}/take")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "taken"
    flagged["dupont"].refresh_from_db()
    assert flagged["dupont"].legal_name == "Boulangerie Dupont & Fils"
    entry = ClientHistory.objects.filter(client=flagged["dupont"]).latest("id")
    assert entry.source == HistorySource.REGISTER
    again = api(firm_a.manager).post(f"/register/changes/{change.pk}/take")
    assert again.status_code == 409
    assert again.json()["code"] == "register_change_closed"


def test_dismiss_through_the_api_and_the_accountants_and_other_firms_404(
    firm_a, firm_b, api, flagged
):
    theirs = RegisterChange.objects.get(client=flagged["dupont"], kind=ChangeKind.NAME)
    mine = RegisterChange.objects.get(client=flagged["peeters"], kind=ChangeKind.SITUATION)

    assert api(firm_a.accountant).post(f"/register/changes/{theirs.pk}/dismiss").status_code == 404
    assert api(firm_b.admin).post(f"/register/changes/{mine.pk}/dismiss").status_code == 404
    response = api(firm_a.accountant).post(f"/register/changes/{mine.pk}/dismiss")

    assert response.status_code == 200, response.content
    assert RegisterChange.objects.get(pk=mine.pk).state == ChangeState.DISMISSED
    assert RegisterChange.objects.get(pk=theirs.pk).state == ChangeState.OPEN


def test_take_through_the_api_is_404_for_the_accountants_and_other_firms_and_changes_nothing(
    firm_a, firm_b, api, flagged
):
    theirs = RegisterChange.objects.get(client=flagged["dupont"], kind=ChangeKind.NAME)
    before = flagged["dupont"].legal_name

    assert api(firm_a.accountant).post(f"/register/changes/{theirs.pk}/take").status_code == 404
    assert api(firm_b.admin).post(f"/register/changes/{theirs.pk}/take").status_code == 404

    flagged["dupont"].refresh_from_db()
    assert flagged["dupont"].legal_name == before
    assert RegisterChange.objects.get(pk=theirs.pk).state == ChangeState.OPEN


def test_the_list_reads_the_register_once_however_many_clients_have_changes(
    firm_a, api, flagged, django_assert_max_num_queries
):
    client = api(firm_a.admin)
    with CaptureQueriesContext(connection) as two:
        assert len(client.get("/clients?register_changes=true").json()["results"]) == 2
    change = RegisterChange.objects.get(client=flagged["dupont"])
    for number in range(4):
        change.pk, change.client = None, make_client(firm_a.admin, f"Bakkerij {number} BV")
        change.save()

    with django_assert_max_num_queries(len(two.captured_queries)):
        body = client.get("/clients?register_changes=true").json()
    assert len(body["results"]) == 6
    labels = [change["kind_label"] for row in body["results"] for change in row["register_changes"]]
    assert sorted(labels) == ["Juridische naam"] * 5 + ["Rechtstoestand", "Rechtsvorm"]
