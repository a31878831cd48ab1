"""The client list's data-quality filters: a name unlike the register's, a number the register
does not hold, a struck-off seat, no primary contact e-mail, a Peppol mandate without a
registration and a failed registration. Each narrows the list, the API's list and the export,
combines with the others, and shows nothing of another firm."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Client, ClientAssignment, Contact
from partnerspace.clients.selectors import ClientFilters, client_ids_matching
from partnerspace.peppol.models import ClientPeppol, RegistrationStatus
from partnerspace.register.tables import LIVE
from tests.factories import make_client
from tests.imports.exports import enterprise_number
from tests.register.conftest import DUPONT, JANSSENS, LUX, MOVER, MULLER, NIEUW, PEETERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(full_zip):
    call_command("kbo_load", str(full_zip))
    # The small extract strikes off no address: MOVER's seat gets a striking-off date.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LIVE}address SET struck_off_on = %s WHERE number = %s AND type = %s",
            ["2025-09-01", MOVER, "REGO"],
        )


@pytest.fixture
def portfolio(firm_a, loaded):
    """One client of firm A for each finding, and one that has none."""
    people = firm_a.admin
    found = {
        # "BAKKERIJ PEETERS BV" is the register's name in other case, with its legal form.
        "clean": make_client(people, "BAKKERIJ PEETERS BV", company_number=PEETERS),
        "renamed": make_client(people, "Bakkerij Janssens", company_number=DUPONT),
        "absent": make_client(people, "Nergens NV", company_number=enterprise_number(7)),
        "struck_off": make_client(people, "Verhuizers Peeters BV", company_number=MOVER),
        "no_email": make_client(people, "Zonder Mail BV"),
        "no_contact": make_client(people, "Zonder Contact BV"),
        "unregistered": make_client(people, "Mandaat BV"),
        "failed": make_client(people, "Mislukt BV"),
        "registered": make_client(people, "Geregistreerd BV"),
    }
    Contact.objects.filter(client=found["no_email"]).update(email="")
    Contact.objects.filter(client=found["no_contact"]).delete()
    Client.objects.filter(
        pk__in=[found[name].pk for name in ("unregistered", "failed", "registered")]
    ).update(peppol_mandate=True)
    ClientPeppol.objects.create(client=found["failed"], status=RegistrationStatus.FAILED)
    ClientPeppol.objects.create(client=found["registered"], status=RegistrationStatus.REGISTERED)
    return found


def names(membership, **extra) -> set[str]:
    filters = ClientFilters(tab="all", extra=tuple(extra.items()))
    ids = client_ids_matching(membership, filters)
    return set(Client.objects.filter(pk__in=ids).values_list("legal_name", flat=True))


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("register", "name_differs", {"Bakkerij Janssens"}),
        ("register", "absent", {"Nergens NV"}),
        ("register", "struck_off", {"Verhuizers Peeters BV"}),
        ("contact_email", "missing", {"Zonder Mail BV", "Zonder Contact BV"}),
        ("peppol", "unregistered", {"Mandaat BV", "Mislukt BV"}),
        ("peppol", "failed", {"Mislukt BV"}),
    ],
)
def test_each_filter_keeps_exactly_the_clients_it_names(firm_a, portfolio, param, value, expected):
    assert names(firm_a.admin, **{param: value}) == expected


def test_two_filters_keep_the_clients_both_keep(firm_a, portfolio):
    Contact.objects.filter(client=portfolio["failed"]).update(email="")

    both = names(firm_a.admin, peppol="unregistered", contact_email="missing")

    assert both == {"Mislukt BV"}


def test_a_register_filter_keeps_nothing_while_no_register_is_loaded(firm_a):
    make_client(firm_a.admin, "Nergens NV", company_number=enterprise_number(7))

    assert names(firm_a.admin, register="absent") == set()
    assert names(firm_a.admin, register="name_differs") == set()


def test_the_list_page_filters_and_offers_each_choice(firm_a, web, portfolio):
    url = reverse("clients:list", args=[firm_a.firm.slug])

    page = web(firm_a.admin).get(url, {"tab": "inactive", "register": "absent"}).content.decode()

    assert "Nergens NV" in page
    assert "Bakkerij Janssens" not in page
    for testid in ("filter-register", "filter-peppol", "filter-contact_email"):
        assert f'data-testid="{testid}"' in page
    assert "Niet in de KBO" in page  # Dutch first


def test_the_export_keeps_what_the_filters_keep(firm_a, web, portfolio):
    url = reverse("imports:export", args=[firm_a.firm.slug])

    everything = web(firm_a.admin).get(url)
    narrowed = web(firm_a.admin).get(url, {"tab": "active", "peppol": "unregistered"})
    combined = web(firm_a.admin).get(url, {"peppol": "unregistered", "register": "absent"})

    def exported(response) -> set[str]:
        rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        return {row[0] for row in rows.get_sheet_by_index(0).to_python()[1:]}

    assert exported(everything) == {client.legal_name for client in portfolio.values()}
    # The list's tab is where one looks, not a filter: these clients are all Drafts.
    assert exported(narrowed) == {"Mandaat BV", "Mislukt BV"}
    assert exported(combined) == set()


def test_the_api_lists_by_each_filter_and_refuses_an_unknown_choice(firm_a, api, portfolio):
    token = api(firm_a.admin)

    def listed(**params) -> set[str]:
        response = token.get("/clients", params)
        assert response.status_code == 200, response.content
        return {item["legal_name"] for item in response.json()["results"]}

    assert listed(register="name_differs") == {"Bakkerij Janssens"}
    assert listed(register="struck_off") == {"Verhuizers Peeters BV"}
    assert listed(contact_email="missing") == {"Zonder Mail BV", "Zonder Contact BV"}
    assert listed(peppol="failed") == {"Mislukt BV"}
    assert listed(peppol="unregistered", search="Mandaat") == {"Mandaat BV"}
    assert token.get("/clients", {"register": "nonsense"}).status_code == 422


def test_another_firm_sees_none_of_our_clients_through_any_filter(firm_a, firm_b, api, portfolio):
    make_client(firm_b.admin, "Bèta Zonder Mail").contacts.update(email="")

    assert names(firm_b.admin, contact_email="missing") == {"Bèta Zonder Mail"}
    assert names(firm_b.admin, register="name_differs") == set()
    assert names(firm_b.admin, peppol="failed") == set()
    listed = api(firm_b.admin).get("/clients", {"contact_email": "missing"}).json()["results"]
    assert [item["legal_name"] for item in listed] == ["Bèta Zonder Mail"]


def test_an_accountant_filters_only_their_own_clients(firm_a, portfolio):
    ClientAssignment.objects.create(client=portfolio["failed"], membership=firm_a.accountant)

    assert names(firm_a.accountant, peppol="unregistered") == {"Mislukt BV"}
    assert names(firm_a.accountant, contact_email="missing") == set()


def test_the_name_filter_reads_the_same_few_queries_for_many_clients(firm_a, portfolio):
    def queries_for_the_name_filter() -> int:
        with CaptureQueriesContext(connection) as captured:
            names(firm_a.admin, register="name_differs")
        return len(captured.captured_queries)

    few = queries_for_the_name_filter()
    for n, number in enumerate((MULLER, JANSSENS, NIEUW, LUX, *[None] * 10)):
        make_client(firm_a.admin, f"Anders {n} BV", company_number=number)
    assert len(names(firm_a.admin, register="name_differs")) == 5

    assert queries_for_the_name_filter() == few
