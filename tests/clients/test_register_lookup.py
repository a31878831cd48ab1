"""Klant toevoegen with the public register: one field to look a company up as you type, a
company chosen fills the details (marked with the copy's date, still editable), and a company
the firm has as a client is named only to someone who may see that client."""

import html
import json
import re

import pytest
from django.urls import reverse

from partnerspace.clients.models import Client
from partnerspace.clients.services import client_assignments_set
from tests.factories import make_client
from tests.register.conftest import DUPONT, LUX, PEETERS, full_register

pytestmark = pytest.mark.django_db

MARK = re.compile(r"uit de KBO, 0?4/10/2025")


@pytest.fixture
def loaded(tmp_path):
    with full_register(tmp_path):
        yield


def add_page(people, **query):
    url = reverse("clients:add", args=[people.firm.slug])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def look_up(web, membership, query):
    url = reverse("clients:register_search", args=[membership.firm.slug])
    response = web(membership).get(url, {"q": query}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def value_of(page, name):
    found = re.search(rf'<input [^>]*name="{name}"[^>]*>', page)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def notes_shown(page):
    """The fields whose "from the KBO" mark is shown."""
    return set(re.findall(r'<div class="field-note" id="[^"]+" data-field-note="(\w+)">', page))


def existing_client(people, name="Eigen Naam BV"):
    return make_client(people.admin, name, company_number=PEETERS)


# Without a register


def test_without_a_register_the_form_is_as_before_and_only_an_administrator_learns_how_to_load_one(
    firm_a, web
):
    admin = web(firm_a.admin).get(add_page(firm_a)).content.decode()
    manager = web(firm_a.manager).get(add_page(firm_a)).content.decode()

    for page in (admin, manager):
        assert 'data-testid="register-lookup"' not in page
        assert "data-register-details" not in page
        assert 'name="legal_name"' in page
    assert 'data-testid="register-hint"' in admin
    assert "partnerspace kbo_load FILE.zip" in admin
    assert 'data-testid="register-hint"' not in manager


def test_without_a_register_the_look_up_finds_nothing(firm_a, web):
    assert 'data-testid="register-match"' not in look_up(web, firm_a.manager, "bakkerij")


# The look-up


def test_the_form_opens_with_one_field_and_keeps_the_details_there_without_a_script(
    firm_a, web, loaded
):
    page = web(firm_a.manager).get(add_page(firm_a)).content.decode()

    assert 'data-testid="register-lookup"' in page
    assert "Ondernemingsnummer, btw-nummer of naam" in page
    assert 'hx-trigger="submit, input changed delay:300ms from:#register-q"' in page
    # The script hides the details until a company is chosen; without it they are there.
    assert 'data-register-details="wait"' in page
    assert 'name="legal_name"' in page and 'name="contact-email"' in page
    assert 'data-testid="register-hint"' not in page
    assert notes_shown(page) == set()


@pytest.mark.parametrize("query", ["bakkerij pee", "PEETERS bakk", "0403 019", "BE0403019261"])
def test_typing_a_name_or_a_number_shows_the_registers_matches(firm_a, web, loaded, query):
    page = look_up(web, firm_a.manager, query)

    assert "Bakkerij Peeters" in page
    assert "0403.019.261" in page
    assert "3000 Leuven" in page
    assert f'href="/f/alfa/clients/new/?kbo={PEETERS}"' in page
    fill = re.search(r'data-register-fill="([^"]+)" data-register-number="0403019261"', page)
    assert json.loads(html.unescape(fill.group(1))) == {
        "legal_name": "Bakkerij Peeters",
        "company_number": "0403.019.261",
        "vat_number": "BE 0403.019.261",
        "country": "BE",
        "street": "Bondgenotenlaan",
        "house_number": "12",
        "box": "3",
        "postal_code": "3000",
        "city": "Leuven",
    }


def test_a_choice_keeps_the_template_chosen_before(firm_a, web, loaded):
    url = reverse("clients:register_search", args=[firm_a.firm.slug])
    page = web(firm_a.manager).get(url, {"q": "bakkerij", "template": "7"}).content.decode()

    assert f'href="/f/alfa/clients/new/?template=7&amp;kbo={PEETERS}"' in page


def test_a_query_nothing_matches_says_so(firm_a, web, loaded):
    page = look_up(web, firm_a.manager, "zzzonbekend")

    assert 'data-testid="register-match"' not in page
    assert 'data-testid="register-no-match"' in page


def test_without_a_script_the_search_shows_the_matches_on_the_page(firm_a, web, loaded):
    page = web(firm_a.manager).get(add_page(firm_a, q="bakkerij+pee")).content.decode()

    assert 'data-testid="register-choose"' in page
    assert "Bakkerij Peeters" in page


# A company chosen


def test_choosing_a_company_fills_the_details_marked_with_the_date_of_the_copy(firm_a, web, loaded):
    page = web(firm_a.manager).get(add_page(firm_a, kbo=PEETERS)).content.decode()

    assert value_of(page, "legal_name") == "Bakkerij Peeters"
    assert value_of(page, "company_number") == "0403.019.261"
    assert value_of(page, "vat_number") == "BE 0403.019.261"
    assert value_of(page, "street") == "Bondgenotenlaan"
    assert value_of(page, "postal_code") == "3000"
    assert value_of(page, "city") == "Leuven"
    assert notes_shown(page) == {
        "legal_name", "company_number", "vat_number", "country",
        "street", "house_number", "box", "postal_code", "city",
    }  # fmt: skip
    assert len(MARK.findall(page)) >= 9
    assert 'data-register-details="open"' in page
    assert f'name="kbo" value="{PEETERS}"' in page


def test_a_company_seated_abroad_fills_its_name_and_numbers_but_not_its_seat(firm_a, web, loaded):
    page = web(firm_a.manager).get(add_page(firm_a, kbo=LUX)).content.decode()

    assert value_of(page, "legal_name") == "Société Générale Luxembourgeoise"
    assert value_of(page, "street") == ""
    assert notes_shown(page) == {"legal_name", "company_number", "vat_number", "country"}


def test_the_values_taken_stay_editable_and_a_changed_one_loses_its_mark(firm_a, web, loaded):
    form = {
        "kbo": DUPONT,
        "company_number": "0417.123.457",
        "vat_number": "BE 0417.123.457",
        "legal_name": "Dupont Bakkerij",  # changed by the user
        "country": "BE",
        "street": "Rue de Fer",
        "house_number": "7",
        "postal_code": "5000",
        "city": "Namen",
        "contact-first_name": "Jean",
        "contact-last_name": "Dupont",
        "contact-email": "",  # missing: the form comes back
        "contact-locale": "fr-BE",
    }
    page = web(firm_a.manager).post(add_page(firm_a), form).content.decode()

    assert value_of(page, "legal_name") == "Dupont Bakkerij"
    assert "legal_name" not in notes_shown(page)
    assert {"company_number", "vat_number", "street", "postal_code", "city"} <= notes_shown(page)

    form["contact-email"] = "jean@dupont.example"
    response = web(firm_a.manager).post(add_page(firm_a), form)

    assert response.status_code == 302
    client = Client.objects.get(firm=firm_a.firm, company_number=DUPONT)
    assert (client.legal_name, client.vat_number) == ("Dupont Bakkerij", f"BE{DUPONT}")
    assert (client.street, client.postal_code, client.city) == ("Rue de Fer", "5000", "Namen")


def test_a_number_not_in_the_register_fills_nothing(firm_a, web, loaded):
    page = web(firm_a.manager).get(add_page(firm_a, kbo="0123456749")).content.decode()

    assert value_of(page, "legal_name") == ""
    assert notes_shown(page) == set()
    assert 'name="kbo" value=""' in page


# A company the firm has as a client


def test_a_match_that_is_a_client_already_is_shown_as_such_with_a_link(firm_a, web, loaded):
    client = existing_client(firm_a)

    page = look_up(web, firm_a.manager, "bakkerij pee")

    assert 'data-testid="register-match-client"' in page
    assert "Eigen Naam BV" in page
    assert f'href="/f/alfa/clients/{client.pk}/"' in page
    assert f"kbo={PEETERS}" not in page  # nothing to fill: it exists


def test_a_client_chosen_by_its_link_is_announced_on_the_form(firm_a, web, loaded):
    client = existing_client(firm_a)

    page = web(firm_a.manager).get(add_page(firm_a, kbo=PEETERS)).content.decode()

    assert 'data-testid="register-client"' in page
    assert f'href="/f/alfa/clients/{client.pk}/"' in page


def test_another_firm_never_learns_of_a_client_of_firm_a(firm_a, firm_b, web, loaded):
    existing_client(firm_a)

    page = look_up(web, firm_b.admin, "bakkerij pee")
    form = web(firm_b.admin).get(add_page(firm_b, kbo=PEETERS)).content.decode()

    assert "Bakkerij Peeters" in page  # the register is public
    for shown in (page, form):
        assert "Eigen Naam BV" not in shown
        assert 'data-testid="register-match-client"' not in shown
        assert 'data-testid="register-client"' not in shown
    assert f"/f/beta/clients/new/?kbo={PEETERS}" in page


def test_firm_a_look_up_is_not_open_to_firm_b(firm_a, firm_b, web, loaded):
    url = reverse("clients:register_search", args=[firm_a.firm.slug])

    assert web(firm_b.admin).get(url, {"q": "bakkerij"}).status_code == 404


def test_an_accountant_sees_the_existing_client_only_once_assigned_to_it(firm_a, web, loaded):
    client = existing_client(firm_a)

    unassigned = look_up(web, firm_a.accountant, "bakkerij pee")
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    assigned = look_up(web, firm_a.accountant, "bakkerij pee")

    assert "Bakkerij Peeters" in unassigned
    assert "Eigen Naam BV" not in unassigned
    assert f"/clients/{client.pk}/" not in unassigned
    assert 'data-testid="register-match-client"' not in unassigned
    assert 'data-testid="register-match-client"' in assigned
    assert "Eigen Naam BV" in assigned
    assert f'href="/f/alfa/clients/{client.pk}/"' in assigned
