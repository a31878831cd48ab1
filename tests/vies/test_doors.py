"""A check is queued whatever the door a client comes in or changes its VAT number through
(the page's form, the API, the import), in the change's transaction, and VIES is asked only
once that commits, by the worker: never inside the request."""

import pytest
from django.urls import reverse

from partnerspace.clients.models import Client
from partnerspace.imports.pipeline import Importer
from partnerspace.vies.models import VatCheck, ViesState
from tests.factories import make_client
from tests.imports.rows import client_row, enterprise_number, sheet_of

pytestmark = pytest.mark.django_db

VAT = f"BE{enterprise_number(1)}"
OTHER = f"BE{enterprise_number(2)}"

FORM = {
    "legal_name": "Alfa Bouw BV",
    "country": "BE",
    "vat_number": VAT,
    "contact-first_name": "Jan",
    "contact-last_name": "Peeters",
    "contact-email": "jan@alfa.example",
    "contact-locale": "nl-BE",
}


def queued_numbers() -> dict[int, str]:
    return {check.client_id: check.vat for check in VatCheck.objects.exclude(queued_at=None)}


def test_the_add_form_queues_a_check_that_the_worker_makes_after_the_commit(
    firm_a, web, vies, django_capture_on_commit_callbacks
):
    vies.knows(VAT, "ALFA BOUW")
    with django_capture_on_commit_callbacks() as callbacks:
        response = web(firm_a.manager).post(reverse("clients:add", args=["alfa"]), FORM)
    assert response.status_code == 302
    client = Client.objects.get(legal_name="Alfa Bouw BV")
    assert queued_numbers() == {client.pk: VAT}
    assert vies.calls == []  # the request asked nothing

    for callback in callbacks:
        callback()  # the commit: the worker (immediate here) runs

    assert VatCheck.objects.get(client=client).state == ViesState.VALID
    assert len(vies.calls) == 1


def test_the_add_form_answers_at_once_while_vies_is_down(firm_a, web, vies):
    vies.slow_down(5.0)

    response = web(firm_a.manager).post(reverse("clients:add", args=["alfa"]), FORM)

    assert response.status_code == 302
    assert vies.calls == []


def test_the_edit_form_queues_a_check_of_the_new_number(firm_a, web, vies):
    client = make_client(firm_a.admin, vat_number=VAT)
    VatCheck.objects.update(queued_at=None)
    form = {
        "legal_name": client.legal_name,
        "country": "BE",
        "company_number": enterprise_number(2),
        "vat_number": OTHER,
    }

    response = web(firm_a.manager).post(reverse("clients:edit", args=["alfa", client.pk]), form)

    assert response.status_code == 302
    assert queued_numbers() == {client.pk: OTHER}


def test_a_change_that_keeps_the_vat_number_queues_nothing(firm_a, vies):
    from partnerspace.clients.services import client_update

    client = make_client(firm_a.admin, vat_number=VAT)
    VatCheck.objects.update(queued_at=None)

    client_update(membership=firm_a.manager, client=client, data={"city": "Gent"})

    assert queued_numbers() == {}


def test_the_api_queues_a_check_on_create_and_on_a_new_number(firm_a, api, vies):
    answer = api(firm_a.manager).post(
        "/clients",
        {
            "legal_name": "Alfa Bouw BV",
            "vat_number": VAT,
            "contacts": [
                {"first_name": "J", "last_name": "P", "email": "j@alfa.example", "locale": "nl-BE"}
            ],
        },
    )
    assert answer.status_code == 201, answer.json()
    client_id = answer.json()["id"]
    assert answer.json()["vies"]["state"] == "pending"
    assert queued_numbers() == {client_id: VAT}
    VatCheck.objects.update(queued_at=None)

    answer = api(firm_a.manager).patch(
        f"/clients/{client_id}", {"vat_number": OTHER, "company_number": enterprise_number(2)}
    )

    assert answer.status_code == 200, answer.json()
    assert queued_numbers() == {client_id: OTHER}
    assert vies.calls == []


def test_the_import_queues_a_check_of_each_new_client_and_each_new_number(firm_a, vies):
    rows = [client_row(n) for n in (1, 2, 3)]
    outcome = Importer(firm=firm_a.firm).run(sheet_of(rows))
    assert outcome.created == 3
    created = dict(Client.objects.values_list("external_reference", "pk"))
    assert queued_numbers() == {
        created[f"K-{n:05d}"]: f"BE{enterprise_number(n)}" for n in (1, 2, 3)
    }
    VatCheck.objects.update(queued_at=None)

    changed = client_row(
        1, company_number=enterprise_number(9), vat_number=f"BE{enterprise_number(9)}"
    )
    outcome = Importer(firm=firm_a.firm, update=True).run(sheet_of([changed, client_row(2)]))

    assert outcome.updated == 1
    assert queued_numbers() == {created["K-00001"]: f"BE{enterprise_number(9)}"}
    assert vies.calls == []


def test_the_import_of_a_client_without_a_vat_number_queues_nothing(firm_a, vies):
    Importer(firm=firm_a.firm).run(sheet_of([client_row(1, vat_number="")]))

    assert Client.objects.count() == 1
    assert queued_numbers() == {}
