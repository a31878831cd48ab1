"""A company's enterprise and VAT numbers are its firm's to change, never its own users'.

A company user could set its own enterprise number to an unused one: the firms' client
records followed, and the real owner of that number was then refused by every firm ("this
company already has its own users"). The client space shows the numbers read-only; the service
refuses a changed number however it is sent; the firm changes them as a client edit, with the
usual duplicate checks, and the company and every linked firm follow.
"""

import re

import pytest
from django.test import Client as Browser

from partnerspace.clients.models import ClientHistory, ClientStatus
from partnerspace.clients.services import client_update
from partnerspace.companies.models import Company
from partnerspace.companies.services import company_update
from partnerspace.core.errors import Conflict
from tests.invitations.helpers import accept_as_new_user, draft_client, last_link, send_invitation

pytestmark = pytest.mark.django_db

NUMBER = "0403170701"
UNUSED = "0417000030"
OTHER = "0123456749"


def accepted(capture, people, name="Bakkerij Peeters BV", email="jan@peeters.example", **data):
    """A client of the firm whose contact accepted: (client, company, the contact's browser)."""
    client = draft_client(people.admin, name, email, **data)
    send_invitation(capture, people.admin, client)
    browser, response = accept_as_new_user(last_link())
    assert response.status_code == 302
    client.refresh_from_db()
    return client, client.company, browser


@pytest.fixture
def linked(firm_a, django_capture_on_commit_callbacks):
    return accepted(django_capture_on_commit_callbacks, firm_a, company_number=NUMBER)


def edit_form(company: Company, **changes) -> dict:
    names = ("legal_name", "company_number", "vat_number", "iban", "street", "house_number")
    names += ("box", "postal_code", "city")
    return {**{name: getattr(company, name) or "" for name in names}, **changes}


# The company's own users


def test_the_edit_page_shows_the_numbers_read_only_and_says_to_ask_the_firm(linked):
    _client, company, browser = linked
    page = browser.get(f"/company/{company.pk}/edit/").text
    for name in ("company_number", "vat_number"):
        assert "readonly" in re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    assert f'value="{NUMBER}"' in page
    assert "ask your accounting firm" in page
    assert re.search(r'<input[^>]*name="iban"[^>]*>', page).group(0).count("readonly") == 0
    details = browser.get(f"/company/{company.pk}/").text
    assert "Your accounting firm changes your enterprise and VAT numbers" in details


@pytest.mark.parametrize(
    "changes",
    [
        {"company_number": UNUSED},
        {"company_number": UNUSED, "vat_number": "BE" + UNUSED},
        {"vat_number": "BE" + NUMBER},
    ],
)
def test_a_company_user_cannot_change_its_numbers_even_by_posting_them(linked, changes):
    client, company, browser = linked
    response = browser.post(f"/company/{company.pk}/edit/", edit_form(company, **changes))

    assert response.status_code == 200
    assert "Ask your accounting firm to change your" in response.text
    company.refresh_from_db()
    client.refresh_from_db()
    assert (company.company_number, company.vat_number) == (NUMBER, None)
    assert (client.company_number, client.vat_number) == (NUMBER, None)
    assert not ClientHistory.objects.filter(client=client, action="updated").exists()


def test_the_refusal_speaks_the_users_language(linked):
    _client, company, browser = linked
    company.members.get().user.__class__.objects.filter(
        company_memberships__company=company
    ).update(language="nl")
    response = browser.post(
        f"/company/{company.pk}/edit/", edit_form(company, company_number=UNUSED)
    )
    assert "Vraag je boekhoudkantoor om je ondernemingsnummer te wijzigen." in response.text


def test_the_service_refuses_a_changed_number_whoever_calls_it(linked):
    _client, company, _browser = linked
    user = company.members.get().user
    with pytest.raises(Conflict) as refusal:
        company_update(user=user, company=company, data={"company_number": UNUSED})
    assert (refusal.value.code, refusal.value.field) == ("ask_your_firm", "company_number")
    company.refresh_from_db()
    assert company.company_number == NUMBER


def test_the_same_numbers_in_another_spelling_are_no_change(linked):
    _client, company, browser = linked
    form = edit_form(company, company_number="0403.170.701 ", city="Gent")
    response = browser.post(f"/company/{company.pk}/edit/", form)
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.company_number, company.vat_number, company.city) == (NUMBER, None, "Gent")


def test_other_details_are_saved_when_the_numbers_are_left_out(linked):
    client, company, browser = linked
    form = edit_form(company, city="Brugge")
    del form["company_number"], form["vat_number"]
    assert browser.post(f"/company/{company.pk}/edit/", form).status_code == 302
    company.refresh_from_db()
    client.refresh_from_db()
    assert company.company_number == NUMBER
    assert client.city == company.city == "Brugge"


def test_a_company_with_only_a_vat_number_still_saves_its_other_details(
    firm_a, django_capture_on_commit_callbacks
):
    _client, company, browser = accepted(
        django_capture_on_commit_callbacks, firm_a, vat_number="BE" + OTHER
    )
    Company.objects.filter(pk=company.pk).update(company_number=None)
    company.refresh_from_db()
    response = browser.post(f"/company/{company.pk}/edit/", edit_form(company, city="Gent"))
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.company_number, company.city) == (None, "Gent")


def test_the_real_owner_of_a_number_is_still_welcome_after_a_refused_claim(
    firm_a, firm_b, linked, django_capture_on_commit_callbacks
):
    # The finding: Bakkerij Peeters tries to take UNUSED, which belongs to Slagerij Janssens.
    _client, company, browser = linked
    browser.post(f"/company/{company.pk}/edit/", edit_form(company, company_number=UNUSED))
    real, real_company, _browser = accepted(
        django_capture_on_commit_callbacks,
        firm_b,
        "Slagerij Janssens",
        "piet@janssens.example",
        company_number=UNUSED,
    )
    assert real.status == ClientStatus.ACTIVE
    assert real_company != company


# The firm


def test_the_firm_changes_a_linked_clients_number_and_the_company_follows(firm_a, web, linked):
    client, company, browser = linked
    page = web(firm_a.admin).get(f"/f/alfa/clients/{client.pk}/edit/").text
    for name in ("company_number", "vat_number"):
        assert "disabled" not in re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    assert "disabled" in re.search(r'<input[^>]*name="iban"[^>]*>', page).group(0)

    client_update(
        membership=firm_a.admin,
        client=client,
        data={"company_number": UNUSED, "vat_number": "BE" + UNUSED},
    )

    company.refresh_from_db()
    client.refresh_from_db()
    assert (company.company_number, company.vat_number) == (UNUSED, "BE" + UNUSED)
    assert (client.company_number, client.vat_number) == (UNUSED, "BE" + UNUSED)
    entry = ClientHistory.objects.get(client=client, action="updated")
    assert entry.actor == firm_a.admin.user
    assert "0417.000.030" in browser.get(f"/company/{company.pk}/").text


def test_the_firm_keeps_being_refused_the_details_the_company_keeps_itself(firm_a, linked):
    client, _company, _browser = linked
    with pytest.raises(Conflict) as refusal:
        client_update(membership=firm_a.admin, client=client, data={"city": "Brugge"})
    assert (refusal.value.code, refusal.value.field) == ("owned_by_client", "city")


def test_the_firm_cannot_give_a_linked_client_another_companys_number(
    firm_a, firm_b, linked, django_capture_on_commit_callbacks
):
    client, company, _browser = linked
    accepted(
        django_capture_on_commit_callbacks,
        firm_b,
        "Slagerij Janssens",
        "piet@janssens.example",
        company_number=OTHER,
    )
    with pytest.raises(Conflict) as refusal:
        client_update(membership=firm_a.admin, client=client, data={"company_number": OTHER})
    assert refusal.value.field == "company_number"
    company.refresh_from_db()
    client.refresh_from_db()
    assert company.company_number == client.company_number == NUMBER


def test_the_firms_change_reaches_the_other_linked_firms_without_naming_its_staff(
    firm_a, firm_b, linked, django_capture_on_commit_callbacks
):
    client_a, _company, browser = linked
    client_b = draft_client(firm_b.admin, company_number=NUMBER)
    send_invitation(django_capture_on_commit_callbacks, firm_b.admin, client_b)
    assert browser.post(last_link()).status_code == 302

    client_update(membership=firm_a.admin, client=client_a, data={"company_number": UNUSED})

    client_b.refresh_from_db()
    assert client_b.company_number == UNUSED
    entry = ClientHistory.objects.get(client=client_b, action="updated")
    assert {"field": "company_number", "old": NUMBER, "new": UNUSED} in entry.changes
    assert firm_a.admin.user.first_name not in entry.actor_label
    assert entry.actor is None


def test_a_number_another_linked_firm_has_for_another_client_is_refused_without_naming_it(
    firm_a, firm_b, linked, django_capture_on_commit_callbacks
):
    client_a, _company, browser = linked
    client_b = draft_client(firm_b.admin, company_number=NUMBER)
    send_invitation(django_capture_on_commit_callbacks, firm_b.admin, client_b)
    assert browser.post(last_link()).status_code == 302
    draft_client(firm_b.admin, "Slagerij Janssens", "piet@janssens.example", company_number=UNUSED)

    with pytest.raises(Conflict) as refusal:
        client_update(membership=firm_a.admin, client=client_a, data={"company_number": UNUSED})
    assert "Janssens" not in refusal.value.message
    for client in (client_a, client_b):
        client.refresh_from_db()
        assert client.company_number == NUMBER


def test_the_api_changes_a_linked_clients_number_and_refuses_its_city(firm_a, api, linked):
    client, company, _browser = linked
    manager = api(firm_a.manager)
    response = manager.patch(f"/clients/{client.pk}", {"company_number": UNUSED})
    assert response.status_code == 200, response.content
    assert response.json()["company_number"] == UNUSED
    company.refresh_from_db()
    assert company.company_number == UNUSED
    refused = manager.patch(f"/clients/{client.pk}", {"city": "Brugge"})
    assert (refused.status_code, refused.json()["code"]) == (409, "owned_by_client")


def test_a_company_user_with_no_firm_role_has_no_door_to_the_firms_edit(linked):
    client, _company, browser = linked
    assert browser.get(f"/f/alfa/clients/{client.pk}/edit/").status_code in (403, 404)
    assert browser.post(
        f"/f/alfa/clients/{client.pk}/edit/", {"company_number": UNUSED}
    ).status_code in (403, 404)
    client.refresh_from_db()
    assert client.company_number == NUMBER


def test_someone_else_gets_nothing_of_the_company(linked):
    _client, company, _browser = linked
    stranger = Browser()
    assert (
        stranger.post(f"/company/{company.pk}/edit/", {"company_number": UNUSED}).status_code == 302
    )
    company.refresh_from_db()
    assert company.company_number == NUMBER


def test_an_import_that_would_change_a_linked_clients_number_says_where_to_change_it(firm_a):
    from partnerspace.clients.models import Client
    from tests.factories import make_client
    from tests.imports.rows import client_row, enterprise_number, run

    client = make_client(
        firm_a.manager,
        "Bakkerij 1 BV",
        company_number=enterprise_number(1),
        external_reference="K-00001",
    )
    company = Company.objects.create(
        legal_name=client.legal_name, country="BE", company_number=client.company_number
    )
    Client.objects.filter(pk=client.pk).update(status="active", company=company)
    row = client_row(1, company_number=enterprise_number(2), vat_number="", iban="", street="",
                     house_number="", postal_code="", city="")  # fmt: skip

    outcome = run(firm_a.firm, [row], update=True)

    [issue] = outcome.errors
    assert (issue.field, issue.code) == ("company_number", "owned_by_client")
    assert "op zijn pagina" in issue.message  # the import speaks Dutch by default
    client.refresh_from_db()
    company.refresh_from_db()
    assert client.company_number == company.company_number == enterprise_number(1)
