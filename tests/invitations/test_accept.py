"""Accepting: the contact sees the inviting firm and the company as entered, makes an account (or
logs in) and accepts; the company is linked to the firm, the client is Active, the history says so.
"""

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client as Browser

from partnerspace.accounts.models import User
from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.clients.services import contact_add
from partnerspace.companies.models import Company, CompanyUser
from partnerspace.invitations.models import Invitation, InvitationState, RegistrationLink
from partnerspace.invitations.registration import company_register
from tests.factories import PASSWORD, make_user
from tests.invitations.helpers import (
    NEW_PASSWORD,
    accept_as_new_user,
    contact,
    draft_client,
    last_link,
    link_in,
    send_invitation,
)

pytestmark = pytest.mark.django_db

NUMBER = "0403170701"
IBAN = "BE71096123456769"


@pytest.fixture
def client(firm_a):
    return draft_client(
        firm_a.admin,
        company_number=NUMBER,
        vat_number="BE0403170701",
        street="Kerkstraat",
        house_number="12",
        postal_code="9000",
        city="Gent",
    )


@pytest.fixture
def link(firm_a, client, django_capture_on_commit_callbacks):
    send_invitation(
        django_capture_on_commit_callbacks, firm_a.admin, client, message="Welkom, Jan!"
    )
    return last_link()


def test_the_page_shows_the_inviting_firm_and_the_company_as_the_firm_entered_it(link):
    page = Browser().get(link)
    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in page.text
    text = page.text
    assert "Boekhoudkantoor Alfa" in text
    details = re.search(r'data-testid="invited-company">(.*?)</dl>', text, re.S).group(1)
    for shown in ("Bakkerij Peeters BV", "0403.170.701", "BE 0403.170.701", "Kerkstraat 12"):
        assert shown in details
    assert "9000 Gent" in details
    assert "Welkom, Jan!" in text
    assert 'name="password1"' in text and 'name="password2"' in text
    assert re.search(r'name="first_name"[^>]*value="Jan"', text)
    assert re.search(r'name="last_name"[^>]*value="Peeters"', text)
    assert "jan@peeters.example" in text


def test_the_contact_creates_an_account_accepts_and_the_company_is_linked(firm_a, client, link):
    browser, response = accept_as_new_user(link)
    assert response.status_code == 302
    assert response.url == "/company/"

    user = User.objects.get(email="jan@peeters.example")
    assert (user.first_name, user.last_name, user.language) == ("Jan", "Peeters", "en")
    assert user.check_password(NEW_PASSWORD)
    assert browser.session["_auth_user_id"] == str(user.pk)
    assert not user.memberships.exists()  # a client's user, not firm staff

    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    company = client.company
    assert company is not None
    assert (company.legal_name, company.company_number, company.vat_number) == (
        "Bakkerij Peeters BV",
        NUMBER,
        "BE0403170701",
    )
    assert (company.street, company.postal_code, company.city) == ("Kerkstraat", "9000", "Gent")
    assert CompanyUser.objects.filter(company=company, user=user).exists()

    invitation = Invitation.objects.get()
    assert invitation.state == InvitationState.ACCEPTED
    assert invitation.accepted_by == user
    entry = ClientHistory.objects.get(client=client, action="accepted")
    assert entry.source == HistorySource.CLIENT
    assert entry.actor == user
    assert entry.changes == [{"field": "status", "old": "invited", "new": "active"}]

    space = browser.get("/company/", follow=True)
    assert space.redirect_chain[-1][0] == f"/company/{company.pk}/"
    assert "Bakkerij Peeters BV" in space.text
    assert "Boekhoudkantoor Alfa" in space.text


def test_the_firm_sees_the_client_active_and_the_acceptance_in_the_history(
    firm_a, web, client, link
):
    accept_as_new_user(link)
    page = web(firm_a.admin).get(f"/f/alfa/clients/{client.pk}/").text
    status = re.search(r'data-testid="client-status">([^<]+)<', page).group(1)
    assert status == "Active"
    history = re.search(r'data-testid="history">(.*?)</ol>', page, re.S).group(1)
    assert "Jan Peeters" in history
    assert "client" in history


def test_someone_with_an_account_logs_in_and_accepts_without_a_second_account(firm_a, client, link):
    jan = make_user("jan@peeters.example", first_name="Jan", last_name="Peeters")
    anonymous = Browser().get(link)
    assert anonymous.status_code == 200
    assert f"/account/login/?next={link}" in anonymous.text
    assert 'name="password1"' not in anonymous.text

    login = Browser()
    response = login.post(
        "/account/login/",
        {"username": "jan@peeters.example", "password": PASSWORD, "next": link},
    )
    assert response.status_code == 302, response.text[:500]
    assert response.url == link
    page = login.get(link)
    assert page.status_code == 200
    assert 'name="password1"' not in page.text
    accepted = login.post(link)
    assert accepted.status_code == 302
    assert User.objects.filter(email="jan@peeters.example").count() == 1
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    assert CompanyUser.objects.filter(user=jan, company=client.company).exists()


def test_an_address_typed_with_capitals_still_matches_the_account(
    firm_a, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin, email="Jan.Peeters@Peeters.example")
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    jan = make_user("jan.peeters@peeters.example")
    browser = Browser()
    browser.force_login(jan)
    page = browser.get(last_link())
    assert "Log out" not in page.text
    assert browser.post(last_link()).status_code == 302
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE


def test_a_link_opened_in_another_persons_account_is_refused(firm_a, client, link):
    stranger = make_user("stranger@example.example")
    browser = Browser()
    browser.force_login(stranger)
    page = browser.get(link)
    assert page.status_code == 200
    assert "This invitation is for jan@peeters.example" in page.text
    assert browser.post(link).status_code == 200
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED
    assert not CompanyUser.objects.exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize(
    ("first", "second"),
    [("a-long-new-passphrase", "another-long-phrase"), ("short", "short"), ("", "")],
)
def test_a_bad_password_makes_no_account_and_accepts_nothing(client, link, first, second):
    response = Browser().post(
        link, {"first_name": "Jan", "last_name": "Peeters", "password1": first, "password2": second}
    )
    assert response.status_code == 200
    assert 'class="field-error' in response.text or "errorlist" in response.text
    assert not User.objects.filter(email="jan@peeters.example").exists()
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED
    assert Browser().get(link).status_code == 200  # the link still works


@pytest.mark.parametrize(
    ("locale", "language", "required"),
    [
        ("fr-BE", "fr", "Ce champ est obligatoire."),
        ("de-BE", "de", "Dieses Feld ist zwingend erforderlich."),
        ("nl-BE", "nl", "Dit veld is verplicht."),
        ("en-BE", "en", "This field is required."),
        ("es-ES", "nl", "Dit veld is verplicht."),  # not one we write in: Dutch
    ],
)
def test_the_mail_and_the_page_speak_the_contacts_language(
    firm_a, django_capture_on_commit_callbacks, locale, language, required
):
    client = draft_client(firm_a.admin, locale=locale)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    assert invitation.language == language
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert f'<html lang="{language}">' in html

    browser = Browser()
    page = browser.get(link_in(message))
    assert page["Content-Language"] == language
    assert f'<html lang="{language}">' in page.text
    # Django's own catalogue: the form's refusals are in the contact's language too.
    refused = browser.post(link_in(message), {})
    assert refused.status_code == 200
    assert required in refused.text
    # A staff member's own language (the browser's cookie) does not change it.
    browser.cookies["partnerspace_language"] = "fr" if language != "fr" else "nl"
    assert browser.get(link_in(message))["Content-Language"] == language


def test_the_new_account_speaks_the_contacts_language_where_the_interface_can(
    firm_a, django_capture_on_commit_callbacks
):
    french = draft_client(firm_a.admin, "Boulangerie", "marie@boulangerie.example", locale="fr-BE")
    german = draft_client(firm_a.admin, "Bäckerei", "hans@baeckerei.example", locale="de-BE")
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, french)
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, german)
    for message in mail.outbox:
        assert accept_as_new_user(link_in(message))[1].status_code == 302
    languages = dict(
        User.objects.filter(
            email__in=["marie@boulangerie.example", "hans@baeckerei.example"]
        ).values_list("email", "language")
    )
    # The interface speaks nl, fr and en: German-speaking contacts get English.
    assert languages == {"marie@boulangerie.example": "fr", "hans@baeckerei.example": "en"}


def test_when_one_contact_accepts_the_others_links_stop_working(
    firm_a, client, django_capture_on_commit_callbacks
):
    contact_add(
        membership=firm_a.admin,
        client=client,
        data=contact("marie@peeters.example", first_name="Marie"),
    )
    send_invitation(
        django_capture_on_commit_callbacks,
        firm_a.admin,
        client,
        contact_ids=[c.pk for c in client.contacts.all()],
    )
    links = {message.to[0]: link_in(message) for message in mail.outbox}
    assert accept_as_new_user(links["jan@peeters.example"])[1].status_code == 302
    assert Browser().get(links["marie@peeters.example"]).status_code == 404
    states = dict(Invitation.objects.values_list("email", "replaced_at"))
    assert states["marie@peeters.example"] is not None


# A company that already exists on its own


@pytest.fixture
def registered_with_firm_b(firm_b):
    """Bakkerij Peeters signed itself up with firm B through B's registration link."""
    link = RegistrationLink.objects.create(firm=firm_b.firm, code="beta-signup")
    client, user = company_register(
        link=link,
        company={"legal_name": "Bakkerij Peeters NV", "country": "BE", "company_number": NUMBER},
        person={
            "first_name": "Jan",
            "last_name": "Peeters",
            "email": "jan@peeters.example",
            "locale": "en-BE",
        },
        password_hash=make_password(PASSWORD),
    )
    return client, user


def test_an_existing_company_is_linked_instead_of_a_second_one_and_the_records_become_one(
    firm_a, firm_b, registered_with_firm_b, django_capture_on_commit_callbacks
):
    theirs, jan = registered_with_firm_b
    ours = draft_client(
        firm_a.admin, "Bakkerij Peeters BV", company_number=NUMBER, iban=IBAN, city="Gent"
    )
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, ours)
    browser = Browser()
    browser.force_login(jan)
    assert browser.post(last_link()).status_code == 302

    assert Company.objects.count() == 1
    company = Company.objects.get()
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.company == theirs.company == company
    assert ours.status == theirs.status == ClientStatus.ACTIVE
    assert CompanyUser.objects.filter(company=company).count() == 1
    # The company's own name wins; what only firm A knew (IBAN, city) is kept.
    assert (company.legal_name, company.iban, company.city) == ("Bakkerij Peeters NV", IBAN, "Gent")
    assert (ours.legal_name, ours.iban, ours.city) == ("Bakkerij Peeters NV", IBAN, "Gent")
    # One record: firm B's client mirrors the company as well.
    assert (theirs.legal_name, theirs.iban, theirs.city) == ("Bakkerij Peeters NV", IBAN, "Gent")
    renamed = ClientHistory.objects.get(client=ours, action="updated")
    assert renamed.source == HistorySource.CLIENT
    assert {"field": "legal_name", "old": "Bakkerij Peeters BV", "new": "Bakkerij Peeters NV"} in (
        renamed.changes
    )
    page = browser.get(f"/company/{company.pk}/").text
    assert "Boekhoudkantoor Alfa" in page and "Cabinet Bêta" in page


def test_accepting_twice_for_two_firms_keeps_one_company_per_enterprise_number(
    firm_a, firm_b, django_capture_on_commit_callbacks
):
    for people in (firm_a, firm_b):
        client = draft_client(people.admin, company_number=NUMBER)
        send_invitation(django_capture_on_commit_callbacks, people.admin, client)
    first, second = (link_in(message) for message in mail.outbox)
    browser, response = accept_as_new_user(first)
    assert response.status_code == 302
    assert browser.post(second).status_code == 302
    assert Company.objects.count() == 1
    assert set(Client.objects.values_list("company", flat=True)) == {Company.objects.get().pk}
