"""/api/v1: a client's Peppol state, its mandate and its registration, in the API's shapes."""

import pytest

from partnerspace.clients.services import client_assignments_set
from partnerspace.peppol.models import ClientPeppol, RegistrationStatus
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(firm_a):
    return make_client(
        firm_a.admin, "Bakkerij Peeters BV", company_number="0123456749", vat_number="BE0123456749"
    )


def test_the_state_lists_identifiers_and_why_it_cannot_be_registered_yet(firm_a, client, api):
    body = api(firm_a.manager).get(f"/clients/{client.pk}/peppol").json()
    assert body["mandate"]["confirmed"] is False
    assert [(i["value"], i["primary"]) for i in body["identifiers"]] == [
        ("0208:0123456749", True),
        ("9925:BE0123456749", False),
    ]
    assert body["registration"]["status"] == "not_registered"
    assert [problem["code"] for problem in body["problems"]] == ["no_mandate"]


def test_confirm_then_register_through_the_api(
    firm_a, peppol, smp, client, api, django_capture_on_commit_callbacks
):
    manager = api(firm_a.manager)
    confirmed = manager.post(f"/clients/{client.pk}/mandate", {"confirmed": True})
    assert confirmed.status_code == 200
    assert confirmed.json()["mandate"]["confirmed_by"] == str(firm_a.manager.user)

    with django_capture_on_commit_callbacks(execute=True):
        queued = manager.post(f"/clients/{client.pk}/peppol/registration")
    assert queued.status_code == 202
    assert queued.json()["registration"]["status"] == "pending"
    assert manager.get(f"/clients/{client.pk}/peppol").json()["registration"]["status"] == (
        "registered"
    )

    again = manager.post(f"/clients/{client.pk}/peppol/registration")
    assert again.status_code == 409
    assert again.json()["code"] == "already_registered"

    with django_capture_on_commit_callbacks(execute=True):
        removed = manager.delete(f"/clients/{client.pk}/peppol/registration")
    assert removed.status_code == 202
    state = ClientPeppol.objects.get(client=client)
    assert state.status == RegistrationStatus.NOT_REGISTERED
    assert smp.service_groups == {}


def test_registration_without_mandate_is_a_409_naming_the_reason(firm_a, peppol, client, api):
    response = api(firm_a.manager).post(f"/clients/{client.pk}/peppol/registration")
    assert response.status_code == 409
    assert response.json()["code"] == "no_mandate"


def test_an_accountant_reads_the_state_of_assigned_clients_but_changes_nothing(
    firm_a, peppol, client, api
):
    accountant = api(firm_a.accountant)
    assert accountant.get(f"/clients/{client.pk}/peppol").status_code == 404
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    assert accountant.get(f"/clients/{client.pk}/peppol").status_code == 200
    assert accountant.post(f"/clients/{client.pk}/mandate", {}).status_code == 403
    assert accountant.post(f"/clients/{client.pk}/peppol/registration").status_code == 403
