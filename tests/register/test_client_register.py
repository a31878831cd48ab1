"""The client page beside the register: the KBO's name and seat, differences marked, and the
one action that takes the register's value over through the clients' update service."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from partnerspace.clients.models import ClientHistory, HistorySource
from partnerspace.register.selectors import client_register_comparison
from tests.factories import make_client
from tests.register.conftest import LUX, PEETERS

pytestmark = pytest.mark.django_db

SEAT = {
    "street": "Bondgenotenlaan",
    "house_number": "12",
    "box": "3",
    "postal_code": "3000",
    "city": "Leuven",
}


@pytest.fixture
def loaded(full_zip):
    call_command("kbo_load", str(full_zip))


def detail(people, client):
    return reverse("clients:detail", args=[people.firm.slug, client.pk])


def take(people, client):
    return reverse("clients:register", args=[people.firm.slug, client.pk])


def test_the_page_shows_the_registers_data_with_its_date_and_marks_what_differs(
    firm_a, web, loaded
):
    client = make_client(firm_a.admin, "Bakkerij Janssens", company_number=PEETERS, **SEAT)

    page = web(firm_a.admin).get(detail(firm_a, client)).content.decode()

    assert 'data-testid="register"' in page
    assert "Volgens de KBO op 04/10/2025" in page or "Volgens de KBO op 4/10/2025" in page
    assert 'data-testid="register-name" data-differs' in page
    assert "Bakkerij Peeters" in page
    assert 'data-testid="register-address" data-differs' not in page
    assert 'data-testid="register-take-name"' in page
    assert 'data-testid="register-take-address"' not in page


def test_a_client_as_the_register_has_it_shows_no_difference_in_either_language(firm_a, loaded):
    client = make_client(
        firm_a.admin,
        "BAKKERIJ PEETERS BV",
        company_number=PEETERS,
        **(SEAT | {"street": "Boulevard des Alliés", "city": "Louvain"}),
    )

    comparison = client_register_comparison(client)

    assert comparison is not None
    assert (comparison.name_differs, comparison.address_differs) == (False, False)
    assert comparison.takes == {}


def test_without_a_register_or_a_number_the_page_shows_no_register(firm_a, web, full_zip):
    numbered = make_client(firm_a.admin, company_number=PEETERS)
    page = web(firm_a.admin).get(detail(firm_a, numbered)).content.decode()
    assert 'data-testid="register"' not in page

    call_command("kbo_load", str(full_zip))
    bare = make_client(firm_a.admin)
    page = web(firm_a.admin).get(detail(firm_a, bare)).content.decode()
    assert 'data-testid="register"' not in page


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_whoever_may_edit_the_client_takes_the_name_over_with_history_source_register(
    firm_a, web, loaded, role
):
    client = make_client(firm_a.admin, "Bakkerij Janssens", vat_number=f"BE{PEETERS}", **SEAT)
    people = getattr(firm_a, role)

    response = web(people).post(take(firm_a, client), {"part": "legal_name"})

    assert response.status_code == 302
    client.refresh_from_db()
    assert client.legal_name == "Bakkerij Peeters"
    entry = ClientHistory.objects.filter(client=client).latest("id")
    assert entry.source == HistorySource.REGISTER
    assert entry.actor == people.user


def test_the_address_is_taken_over_whole(firm_a, web, loaded):
    client = make_client(
        firm_a.admin, "Bakkerij Peeters", company_number=PEETERS, street="Elders", city="Gent"
    )

    web(firm_a.manager).post(take(firm_a, client), {"part": "address"})

    client.refresh_from_db()
    assert {key: getattr(client, key) for key in SEAT} == SEAT
    assert client.country == "BE"


def test_nothing_different_changes_nothing_and_says_so(firm_a, web, loaded):
    client = make_client(firm_a.admin, "Bakkerij Peeters", company_number=PEETERS, **SEAT)
    before = ClientHistory.objects.filter(client=client).count()

    response = web(firm_a.admin).post(take(firm_a, client), {"part": "legal_name"}, follow=True)

    assert ClientHistory.objects.filter(client=client).count() == before
    assert "KBO" in response.content.decode()


def test_a_foreign_seat_is_not_offered(firm_a, loaded):
    client = make_client(firm_a.admin, "Iets Anders", company_number=LUX, **SEAT)

    comparison = client_register_comparison(client)

    assert comparison.address_differs
    assert set(comparison.takes) == {"legal_name"}


def test_the_action_needs_a_post_with_its_csrf_token(firm_a, web, loaded):
    client = make_client(firm_a.admin, "Bakkerij Janssens", company_number=PEETERS)
    browser = web(firm_a.admin)

    assert browser.get(take(firm_a, client)).status_code == 405
    from django.test import Client as Browser

    strict = Browser(enforce_csrf_checks=True)
    strict.force_login(firm_a.admin.user)
    assert strict.post(take(firm_a, client), {"part": "legal_name"}).status_code == 403
    client.refresh_from_db()
    assert client.legal_name == "Bakkerij Janssens"


def test_another_firms_client_is_not_found(firm_a, firm_b, web, loaded):
    client = make_client(firm_a.admin, "Bakkerij Janssens", company_number=PEETERS)

    url = reverse("clients:register", args=[firm_b.firm.slug, client.pk])
    response = web(firm_b.admin).post(url, {"part": "legal_name"})

    assert response.status_code == 404
    client.refresh_from_db()
    assert client.legal_name == "Bakkerij Janssens"


def test_an_accountant_takes_over_for_an_assigned_client_only(firm_a, web, loaded):
    from partnerspace.clients.models import ClientAssignment

    client = make_client(firm_a.admin, "Bakkerij Janssens", company_number=PEETERS)
    browser = web(firm_a.accountant)

    assert browser.post(take(firm_a, client), {"part": "legal_name"}).status_code == 404
    ClientAssignment.objects.create(client=client, membership=firm_a.accountant)
    assert browser.post(take(firm_a, client), {"part": "legal_name"}).status_code == 302

    client.refresh_from_db()
    assert client.legal_name == "Bakkerij Peeters"
