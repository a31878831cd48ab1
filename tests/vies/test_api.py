"""/api/v1: the VIES state in a client and in the list, the list's `vies` filter, and
POST /clients/{id}/vat-check; roles and tenant isolation."""

import pytest

from partnerspace.clients.services import client_assignments_set
from partnerspace.vies.models import VatCheck
from partnerspace.vies.services import vat_checks_run
from tests.factories import make_client
from tests.imports.rows import enterprise_number

pytestmark = pytest.mark.django_db


def vat(n: int) -> str:
    return f"BE{enterprise_number(n)}"


@pytest.fixture
def valid_and_invalid(firm_a, vies):
    firm_a.firm.vat_number = vat(50)
    firm_a.firm.save()
    vies.knows(vat(1), "GELDIG", "Kerkstraat 1 9000 Gent")
    valid = make_client(firm_a.admin, "Geldig BV", vat_number=vat(1))
    invalid = make_client(firm_a.admin, "Ongeldig BV", vat_number=vat(2))
    vat_checks_run()
    return valid, invalid


def test_a_client_carries_its_vies_state(firm_a, api, valid_and_invalid):
    valid, _invalid = valid_and_invalid

    body = api(firm_a.manager).get(f"/clients/{valid.pk}").json()

    vies = body["vies"]
    assert vies["state"] == "valid"
    assert vies["valid"] is True
    assert vies["vat_number"] == vat(1)
    assert vies["consultation_number"].startswith("WAPIAAAAZ")
    assert (vies["name"], vies["address"]) == ("GELDIG", "Kerkstraat 1 9000 Gent")
    assert vies["queued"] is False and vies["answered_at"]


def test_a_client_without_a_vat_number_has_no_vies_state(firm_a, api, vies):
    client = make_client(firm_a.admin)

    assert api(firm_a.manager).get(f"/clients/{client.pk}").json()["vies"] is None


def test_the_list_filters_on_the_vies_state_and_its_items_carry_it(firm_a, api, valid_and_invalid):
    manager = api(firm_a.manager)

    invalid = manager.get("/clients?vies=invalid").json()
    everyone = manager.get("/clients").json()
    wrong = manager.get("/clients?vies=wrong")

    assert [item["legal_name"] for item in invalid["results"]] == ["Ongeldig BV"]
    assert invalid["results"][0]["vies"]["state"] == "invalid"
    assert {item["vies"]["state"] for item in everyone["results"]} == {"valid", "invalid"}
    assert wrong.status_code == 422


def test_the_vies_state_costs_the_list_one_query_whatever_its_length(firm_a, api, vies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(1, 4):
        make_client(firm_a.admin, vat_number=vat(n))
    manager = api(firm_a.manager)
    manager.get("/clients")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        manager.get("/clients")
    for n in range(4, 10):
        make_client(firm_a.admin, vat_number=vat(n))
    with CaptureQueriesContext(connection) as many:
        manager.get("/clients")

    assert len(many) == len(few)


def test_asking_for_a_check_answers_202_and_queues_it(firm_a, api, valid_and_invalid, vies):
    valid, _invalid = valid_and_invalid
    calls = len(vies.calls)

    answer = api(firm_a.manager).post(f"/clients/{valid.pk}/vat-check")

    assert answer.status_code == 202, answer.json()
    assert answer.json()["queued"] is True
    assert answer.json()["state"] == "valid"  # what VIES said, until the new answer
    assert VatCheck.objects.get(client=valid).is_queued
    assert len(vies.calls) == calls


def test_a_check_without_an_eu_vat_number_is_a_409(firm_a, api, vies):
    client = make_client(firm_a.admin)

    answer = api(firm_a.manager).post(f"/clients/{client.pk}/vat-check")

    assert answer.status_code == 409
    assert answer.json()["code"] == "no_vat_number"


def test_an_installation_without_vies_answers_409(firm_a, api, settings):
    client = make_client(firm_a.admin, vat_number=vat(1))
    settings.PARTNERSPACE_VIES_URL = ""

    answer = api(firm_a.manager).post(f"/clients/{client.pk}/vat-check")

    assert (answer.status_code, answer.json()["code"]) == (409, "vies_off")


def test_an_accountant_may_not_ask_for_a_check_of_their_own_client(firm_a, api, valid_and_invalid):
    valid, _invalid = valid_and_invalid
    client_assignments_set(
        membership=firm_a.admin, client=valid, membership_ids=[firm_a.accountant.pk]
    )

    answer = api(firm_a.accountant).post(f"/clients/{valid.pk}/vat-check")

    assert answer.status_code == 403
    assert api(firm_a.accountant).get(f"/clients/{valid.pk}").json()["vies"]["state"] == "valid"
    assert not VatCheck.objects.get(client=valid).is_queued


def test_another_firm_gets_404_and_its_list_filter_shows_nothing_of_ours(
    firm_a, firm_b, api, valid_and_invalid
):
    valid, _invalid = valid_and_invalid
    theirs = make_client(firm_b.admin, "Beta Ongeldig SA", vat_number=vat(3))
    vat_checks_run()
    other = api(firm_b.admin)

    assert other.post(f"/clients/{valid.pk}/vat-check").status_code == 404
    listed = other.get("/clients?vies=invalid").json()
    assert [row["id"] for row in listed["results"]] == [theirs.pk]
    assert not VatCheck.objects.get(client=valid).is_queued
