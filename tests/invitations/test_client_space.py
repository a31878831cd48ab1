"""The client's own space: its company, contacts and firms; what it corrects reaches the firm at
once, marked as changed by the client; it sees nothing of the firm's own; it can end the link."""

import re

import pytest
from django.test import Client as Browser

from partnerspace.clients.models import ClientHistory, ClientStatus, HistorySource
from partnerspace.clients.services import client_assignments_set
from partnerspace.companies.models import Company, CompanyUser
from partnerspace.configuration.services import template_create
from tests.factories import make_user
from tests.invitations.helpers import accept_as_new_user, draft_client, last_link, send_invitation

pytestmark = pytest.mark.django_db

IBAN = "BE71096123456769"
NUMBER = "0403170701"
OTHER = "0123456749"


def accepted(capture, people, **data):
    """A client of the firm whose contact accepted: (client, company, the contact's browser)."""
    client = draft_client(people.admin, company_number=NUMBER, **data)
    send_invitation(capture, people.admin, client)
    browser, response = accept_as_new_user(last_link())
    assert response.status_code == 302
    client.refresh_from_db()
    return client, client.company, browser


@pytest.fixture
def linked(firm_a, django_capture_on_commit_callbacks):
    return accepted(django_capture_on_commit_callbacks, firm_a)


def company_form(company: Company, **changes) -> dict:
    names = ("legal_name", "company_number", "vat_number", "iban", "street", "house_number")
    names += ("box", "postal_code", "city")
    return {**{name: getattr(company, name) or "" for name in names}, **changes}


def firm_page(web, people, client) -> str:
    response = web(people.admin).get(f"/f/{people.firm.slug}/clients/{client.pk}/")
    assert response.status_code == 200
    return response.text


def test_the_space_shows_the_company_its_contacts_and_its_firms(linked):
    client, company, browser = linked
    assert browser.get("/company/").url == f"/company/{company.pk}/"
    page = browser.get(f"/company/{company.pk}/")
    assert page.status_code == 200
    details = re.search(r'data-testid="company-details">(.*?)</dl>', page.text, re.S).group(1)
    assert "Bakkerij Peeters BV" in details and "0403.170.701" in details
    assert "jan@peeters.example" in page.text
    firms = re.search(r'data-testid="company-firms">(.*?)</table>', page.text, re.S).group(1)
    assert "Boekhoudkantoor Alfa" in firms
    assert f"/company/{company.pk}/links/{client.pk}/end/" in firms


def test_a_corrected_iban_shows_on_the_firms_client_page_at_once_marked_as_by_the_client(
    firm_a, web, linked
):
    client, company, browser = linked
    response = browser.post(
        f"/company/{company.pk}/edit/", company_form(company, iban="be71 0961 2345 6769")
    )
    assert response.status_code == 302
    assert response.url == f"/company/{company.pk}/"
    company.refresh_from_db()
    client.refresh_from_db()
    assert company.iban == client.iban == IBAN
    assert "BE71 0961 2345 6769" in browser.get(response.url).text

    page = firm_page(web, firm_a, client)
    assert re.search(r'data-testid="iban">BE71 0961 2345 6769<', page)
    entry = ClientHistory.objects.filter(client=client, action="updated").latest("at")
    assert entry.source == HistorySource.CLIENT
    assert entry.actor.email == "jan@peeters.example"
    [change] = entry.changes
    assert (change["field"], change["old"] or None, change["new"]) == ("iban", None, IBAN)
    history = re.search(r'data-testid="history">(.*?)</ol>', page, re.S).group(1)
    newest = history.split("</li>")[0]
    assert "Jan Peeters" in newest
    assert "client" in newest
    assert IBAN in newest.replace(" ", "")


def test_an_invalid_iban_is_refused_and_nothing_changes(linked):
    client, company, browser = linked
    response = browser.post(
        f"/company/{company.pk}/edit/", company_form(company, iban="BE00 1234 5678 9999")
    )
    assert response.status_code == 200
    company.refresh_from_db()
    client.refresh_from_db()
    assert company.iban == client.iban == ""
    assert not ClientHistory.objects.filter(client=client, action="updated").exists()


def test_a_contact_the_client_adds_shows_on_the_firms_client_page(firm_a, web, linked):
    client, company, browser = linked
    response = browser.post(
        f"/company/{company.pk}/contacts/add/",
        {
            "first_name": "Els",
            "last_name": "Peeters",
            "email": "els@peeters.example",
            "locale": "nl-BE",
            "phone": "",
        },
    )
    assert response.status_code == 302
    assert "els@peeters.example" in browser.get(f"/company/{company.pk}/").text
    assert client.contacts.filter(email="els@peeters.example", is_primary=False).exists()
    assert 'data-contact="els@peeters.example"' in firm_page(web, firm_a, client)
    entry = ClientHistory.objects.get(client=client, action="contact_added")
    assert entry.source == HistorySource.CLIENT


def test_an_invalid_contact_is_refused(linked):
    client, company, browser = linked
    response = browser.post(
        f"/company/{company.pk}/contacts/add/",
        {"first_name": "", "last_name": "", "email": "not-an-address", "locale": "nl-BE"},
    )
    assert response.status_code == 422
    assert client.contacts.count() == 1


def test_the_client_sees_nothing_of_the_firms_own(firm_a, web, django_capture_on_commit_callbacks):
    standaard = template_create(
        membership=firm_a.admin, name="Sjabloon Alfa Premium", user_ids=[firm_a.accountant.pk]
    )
    client, company, browser = accepted(
        django_capture_on_commit_callbacks,
        firm_a,
        notes="Interne notitie: betaalt altijd laat",
        external_reference="ALFA-REF-4711",
        template=standaard,
    )
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.manager.pk]
    )
    other = draft_client(firm_a.admin, "Slagerij Janssens", "piet@janssens.example")
    assert "Interne notitie" in firm_page(web, firm_a, client)  # the firm does see it

    pages = [
        browser.get(f"/company/{company.pk}/").text,
        browser.get(f"/company/{company.pk}/edit/").text,
    ]
    for page in pages:
        for secret in (
            "Interne notitie",
            "ALFA-REF-4711",
            "Sjabloon Alfa Premium",
            "Marc",
            "manager@alfa.example",
            "Bart",
            "accountant@alfa.example",
            "admin@alfa.example",
            "Slagerij Janssens",
            "piet@janssens.example",
            "/f/alfa/",
        ):
            assert secret not in page
    assert browser.get(f"/f/alfa/clients/{other.pk}/").status_code == 404
    assert browser.get(f"/f/alfa/clients/{client.pk}/").status_code == 404


def test_the_client_ends_the_link_and_the_firm_sees_it_archived_ended_by_the_client(
    firm_a, web, linked
):
    client, company, browser = linked
    response = browser.post(f"/company/{company.pk}/links/{client.pk}/end/")
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.status == ClientStatus.ARCHIVED
    assert client.archived_by_client
    entry = ClientHistory.objects.get(client=client, action="ended_by_client")
    assert entry.source == HistorySource.CLIENT
    assert entry.changes == [{"field": "status", "old": "active", "new": "archived"}]
    page = firm_page(web, firm_a, client)
    status = re.search(r'data-testid="client-status">([^<]+)<', page).group(1)
    assert status == "Archived"
    assert "Ended by the client" in page
    firms = browser.get(f"/company/{company.pk}/").text
    assert f"/links/{client.pk}/end/" not in firms


def test_after_ending_the_link_the_firm_no_longer_receives_the_clients_changes(firm_a, linked):
    client, company, browser = linked
    browser.post(f"/company/{company.pk}/links/{client.pk}/end/")
    browser.post(f"/company/{company.pk}/edit/", company_form(company, iban=IBAN))
    browser.post(
        f"/company/{company.pk}/contacts/add/",
        {"first_name": "Els", "last_name": "P", "email": "els@peeters.example", "locale": "nl-BE"},
    )
    company.refresh_from_db()
    client.refresh_from_db()
    assert company.iban == IBAN
    assert client.iban == ""
    assert not client.contacts.filter(email="els@peeters.example").exists()


def test_the_firm_invites_again_after_the_end_and_the_same_company_is_linked(
    firm_a, linked, django_capture_on_commit_callbacks
):
    client, company, browser = linked
    browser.post(f"/company/{company.pk}/links/{client.pk}/end/")
    browser.post(f"/company/{company.pk}/edit/", company_form(company, iban=IBAN))
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED
    assert not client.archived_by_client
    assert browser.post(last_link()).status_code == 302
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    assert client.company == company
    assert client.iban == IBAN  # what changed meanwhile arrives with the new link
    assert Company.objects.count() == 1


def test_a_company_working_with_two_firms_updates_both(
    firm_a, firm_b, web, linked, django_capture_on_commit_callbacks
):
    client_a, company, browser = linked
    client_b = draft_client(firm_b.admin, company_number=NUMBER)
    send_invitation(django_capture_on_commit_callbacks, firm_b.admin, client_b)
    assert browser.post(last_link()).status_code == 302
    browser.post(f"/company/{company.pk}/edit/", company_form(company, iban=IBAN))
    for people, client in ((firm_a, client_a), (firm_b, client_b)):
        assert re.search(r'data-testid="iban">BE71 0961 2345 6769<', firm_page(web, people, client))
    page = browser.get(f"/company/{company.pk}/").text
    assert "Boekhoudkantoor Alfa" in page and "Cabinet Bêta" in page


def test_changing_the_enterprise_number_to_another_companys_is_refused(
    firm_a, firm_b, linked, django_capture_on_commit_callbacks
):
    _client, company, browser = linked
    other = draft_client(firm_b.admin, "Slagerij Janssens", "piet@janssens.example")
    other.company_number = OTHER
    other.save()
    send_invitation(django_capture_on_commit_callbacks, firm_b.admin, other)
    accept_as_new_user(last_link())
    response = browser.post(
        f"/company/{company.pk}/edit/", company_form(company, company_number=OTHER)
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.company_number == NUMBER


def test_a_user_without_a_company_has_an_empty_space(linked):
    _client, company, _browser = linked
    browser = Browser()
    browser.force_login(make_user("nobody@example.example"))
    page = browser.get("/company/")
    assert page.status_code == 200
    assert "Bakkerij Peeters BV" not in page.text
    assert f"/company/{company.pk}/" not in page.text
    assert browser.get(f"/company/{company.pk}/").status_code == 404
    assert not CompanyUser.objects.filter(user__email="nobody@example.example").exists()


def test_a_number_another_client_of_a_linked_firm_holds_is_refused_without_naming_it(
    firm_a, web, linked
):
    client, company, browser = linked
    draft_client(firm_a.admin, "Slagerij Janssens", "piet@janssens.example", company_number=OTHER)
    response = browser.post(
        f"/company/{company.pk}/edit/", company_form(company, company_number=OTHER)
    )
    assert response.status_code == 200
    assert "Slagerij Janssens" not in response.text
    company.refresh_from_db()
    client.refresh_from_db()
    assert company.company_number == client.company_number == NUMBER


def test_a_contact_added_when_no_firm_works_with_the_company_is_refused_not_lost(linked):
    client, company, browser = linked
    browser.post(f"/company/{company.pk}/links/{client.pk}/end/")
    response = browser.post(
        f"/company/{company.pk}/contacts/add/",
        {"first_name": "Els", "last_name": "P", "email": "els@peeters.example", "locale": "nl-BE"},
        follow=True,
    )
    assert "Contact person added." not in response.text
    assert "No accounting firm works with your company now" in response.text


def test_a_contact_two_firms_hold_in_another_case_is_listed_once(
    firm_a, firm_b, linked, django_capture_on_commit_callbacks
):
    _client_a, company, browser = linked
    other = draft_client(firm_b.admin, email="JAN@Peeters.example", company_number=NUMBER)
    send_invitation(django_capture_on_commit_callbacks, firm_b.admin, other)
    assert browser.post(last_link()).status_code == 302
    page = browser.get(f"/company/{company.pk}/").text
    assert page.lower().count("jan@peeters.example") == 1
