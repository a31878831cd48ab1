"""A firm's shareable registration link: a company signing up through it becomes an Active client
of that firm, with the link's template applied, once the person follows the link mailed to the
address they gave."""

import pytest
from django.core import mail

from partnerspace.accounts.models import User
from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.companies.models import Company, CompanyUser
from partnerspace.configuration.services import template_create
from partnerspace.invitations.models import PendingRegistration, RegistrationLink
from tests.factories import make_user
from tests.invitations.helpers import (
    NEW_PASSWORD,
    confirm_link_in,
    draft_client,
    sign_up,
)
from tests.invitations.helpers import english_browser as Browser

pytestmark = pytest.mark.django_db


LINKS = "/f/alfa/invitations/registration-links/"
NUMBER = "0403170701"

SIGN_UP = {
    "legal_name": "Bakkerij Peeters BV",
    "country": "BE",
    "company_number": "0403.170.701",
    "vat_number": "",
    "first_name": "Jan",
    "last_name": "Peeters",
    "email": "Jan@Peeters.example",
    "locale": "en-BE",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}


@pytest.fixture
def standaard(firm_a):
    return template_create(
        membership=firm_a.admin, name="Standaard", user_ids=[firm_a.accountant.pk]
    )


def register(capture, code: str, data=SIGN_UP, browser=None):
    """Sign up and follow the mailed link: the person's whole side. Returns the confirmation."""
    browser, response = sign_up(capture, code, data, browser)
    assert response.status_code == 200
    assert "Check your mailbox" in response.text
    return browser, browser.post(confirm_link_in(mail.outbox[-1]))


def create_link(web, membership, template=None) -> RegistrationLink:
    response = web(membership).post(
        f"/f/{membership.firm.slug}/invitations/registration-links/",
        {"template": template.pk if template else ""},
    )
    assert response.status_code == 302
    return RegistrationLink.objects.filter(firm=membership.firm).latest("created_at")


def test_the_administrator_makes_a_link_with_a_template_and_shares_it(firm_a, web, standaard):
    link = create_link(web, firm_a.admin, standaard)
    assert link.template == standaard
    assert link.is_active
    assert len(link.code) >= 20
    page = web(firm_a.admin).get(LINKS)
    assert page.status_code == 200
    assert f"http://testserver/register/{link.code}/" in page.text
    assert "Standaard" in page.text


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_only_administrators_manage_registration_links(firm_a, web, role):
    browser = web(getattr(firm_a, role))
    assert browser.get(LINKS).status_code == 403
    assert browser.post(LINKS, {"template": ""}).status_code == 403
    assert not RegistrationLink.objects.exists()


def test_a_company_signs_up_confirms_its_address_and_becomes_an_active_client_with_the_template(
    firm_a, web, standaard, django_capture_on_commit_callbacks
):
    link = create_link(web, firm_a.admin, standaard)
    browser = Browser()
    form = browser.get(f"/register/{link.code}/")
    assert form.status_code == 200
    assert "Boekhoudkantoor Alfa" in form.text

    browser, sent = sign_up(django_capture_on_commit_callbacks, link.code, SIGN_UP, browser)
    assert sent.status_code == 200
    assert "Check your mailbox" in sent.text
    assert "jan@peeters.example" in sent.text
    [message] = mail.outbox
    assert message.to == ["jan@peeters.example"]
    assert "Boekhoudkantoor Alfa" in message.subject
    assert not Client.objects.exists()

    path = confirm_link_in(message)
    page = browser.get(path)
    assert page.status_code == 200
    assert "Bakkerij Peeters BV" in page.text
    response = browser.post(path)
    assert response.status_code == 302
    assert response.url == "/company/"

    client = Client.objects.get()
    assert client.firm == firm_a.firm
    assert client.status == ClientStatus.ACTIVE
    assert (client.legal_name, client.company_number) == ("Bakkerij Peeters BV", NUMBER)
    assert client.template == standaard
    assert list(client.assigned.all()) == [firm_a.accountant]
    primary = client.contacts.get()
    assert (primary.email, primary.is_primary, primary.locale) == (
        "Jan@peeters.example",
        True,
        "en-BE",
    )
    user = User.objects.get(email="jan@peeters.example")
    assert user.language == "en"
    assert user.check_password(NEW_PASSWORD)
    assert browser.session["_auth_user_id"] == str(user.pk)
    assert client.company is not None
    assert CompanyUser.objects.filter(company=client.company, user=user).exists()
    created = ClientHistory.objects.get(client=client, action="created")
    assert created.source == HistorySource.CLIENT
    assert created.actor == user
    assert ClientHistory.objects.filter(client=client, action="template_applied").exists()
    assert not PendingRegistration.objects.exists()

    space = browser.get("/company/", follow=True)
    assert "Bakkerij Peeters BV" in space.text
    firm_page = web(firm_a.admin).get(f"/f/alfa/clients/{client.pk}/").text
    assert "Standaard" in firm_page


def test_a_link_without_a_template_still_makes_an_active_client(
    firm_a, web, django_capture_on_commit_callbacks
):
    link = create_link(web, firm_a.admin)
    assert register(django_capture_on_commit_callbacks, link.code)[1].status_code == 302
    client = Client.objects.get()
    assert client.status == ClientStatus.ACTIVE
    assert client.template is None


def test_a_switched_off_or_unknown_link_shows_the_invalid_page(firm_a, web):
    link = create_link(web, firm_a.admin)
    response = web(firm_a.admin).post(f"{LINKS}{link.pk}/disable/")
    assert response.status_code == 302
    link.refresh_from_db()
    assert not link.is_active
    for code in (link.code, "no-such-code"):
        page = Browser().get(f"/register/{code}/")
        assert page.status_code == 404
        assert "Boekhoudkantoor Alfa" not in page.text
        assert Browser().post(f"/register/{code}/", SIGN_UP).status_code == 404
    assert not Client.objects.exists()
    assert not User.objects.filter(email="jan@peeters.example").exists()
    assert not PendingRegistration.objects.exists()
    assert not mail.outbox


def test_firm_b_cannot_switch_off_firm_as_link(firm_a, firm_b, web):
    link = create_link(web, firm_a.admin)
    url = f"/f/beta/invitations/registration-links/{link.pk}/disable/"
    assert web(firm_b.admin).post(url).status_code == 404
    link.refresh_from_db()
    assert link.is_active


def test_an_address_with_an_account_is_told_so_by_mail_and_the_form_tells_nobody(
    firm_a, web, django_capture_on_commit_callbacks
):
    make_user("jan@peeters.example")
    link = create_link(web, firm_a.admin)
    response = sign_up(django_capture_on_commit_callbacks, link.code, SIGN_UP)[1]
    stranger = sign_up(
        django_capture_on_commit_callbacks,
        link.code,
        {**SIGN_UP, "email": "nieuw@peeters.example"},
    )[1]

    # The form answers the same whether the address has an account or not.
    assert response.status_code == stranger.status_code == 200
    assert "Check your mailbox" in response.text and "Check your mailbox" in stranger.text
    assert "An account with this e-mail address exists" not in response.text
    # Only the address's owner learns it, with the way in and no confirmation link.
    [to_jan] = [m for m in mail.outbox if m.to == ["jan@peeters.example"]]
    assert to_jan.subject == "You already have a Partner Space account"
    assert "http://testserver/account/login/" in to_jan.body
    assert "/register/confirm/" not in to_jan.body
    pending = PendingRegistration.objects.get(email="jan@peeters.example")
    assert pending.account_exists and pending.password_hash == ""
    assert not Client.objects.exists()


def test_a_company_registered_already_is_not_registered_twice(
    firm_a, firm_b, web, django_capture_on_commit_callbacks
):
    first = create_link(web, firm_b.admin)
    assert register(django_capture_on_commit_callbacks, first.code)[1].status_code == 302
    link = create_link(web, firm_a.admin)
    again = {**SIGN_UP, "email": "someone.else@peeters.example"}
    response = sign_up(django_capture_on_commit_callbacks, link.code, again)[1]
    assert response.status_code == 200
    assert "registered already" in response.text
    assert Company.objects.count() == 1
    assert not Client.objects.filter(firm=firm_a.firm).exists()
    assert not User.objects.filter(email="someone.else@peeters.example").exists()
    assert not PendingRegistration.objects.exists()
    assert len(mail.outbox) == 1  # the first company's confirmation only


def test_signing_up_as_a_company_the_firm_has_already_hands_over_none_of_its_data(
    firm_a, web, django_capture_on_commit_callbacks
):
    """The link is public: whoever types a client's number must not get the firm's record."""
    known = draft_client(
        firm_a.admin,
        company_number=NUMBER,
        iban="BE71096123456769",
        street="Kerkstraat",
        notes="Betaalt altijd laat",
    )
    link = create_link(web, firm_a.admin)
    stranger = {**SIGN_UP, "email": "stranger@elsewhere.example"}
    browser, response = sign_up(django_capture_on_commit_callbacks, link.code, stranger)
    assert response.status_code == 200
    assert "added this company already" in response.text
    assert not PendingRegistration.objects.exists()
    assert not mail.outbox
    known.refresh_from_db()
    assert known.status == ClientStatus.DRAFT
    assert known.company is None
    assert not Company.objects.exists()
    assert not User.objects.filter(email="stranger@elsewhere.example").exists()
    assert "BE71" not in response.text and "Kerkstraat" not in response.text
    assert "jan@peeters.example" not in response.text
    assert browser.get("/company/").status_code == 302  # not logged in to anything


def test_the_password_rules_apply(firm_a, web, django_capture_on_commit_callbacks):
    link = create_link(web, firm_a.admin)
    weak = {**SIGN_UP, "password1": "12345678", "password2": "12345678"}
    assert sign_up(django_capture_on_commit_callbacks, link.code, weak)[1].status_code == 200
    assert not Client.objects.exists()
    assert not User.objects.filter(email="jan@peeters.example").exists()
    assert not PendingRegistration.objects.exists()
    assert not mail.outbox


def test_an_invalid_enterprise_number_is_refused_on_the_form(
    firm_a, web, django_capture_on_commit_callbacks
):
    link = create_link(web, firm_a.admin)
    wrong = {**SIGN_UP, "company_number": "0403.170.702"}
    response = sign_up(django_capture_on_commit_callbacks, link.code, wrong)[1]
    assert response.status_code == 200
    assert response.context["form"].errors["company_number"]
    assert not PendingRegistration.objects.exists()
    assert not mail.outbox


def test_the_password_is_hashed_whether_or_not_the_address_has_an_account(
    firm_a, web, monkeypatch, django_capture_on_commit_callbacks
):
    """Skipping the slow hash for a known address would make the answer faster, and tell."""
    from partnerspace.invitations import registration

    hashed = []
    real = registration.make_password
    monkeypatch.setattr(registration, "make_password", lambda raw: hashed.append(raw) or real(raw))
    make_user("jan@peeters.example")
    link = create_link(web, firm_a.admin)
    sign_up(django_capture_on_commit_callbacks, link.code, SIGN_UP)
    assert hashed == [SIGN_UP["password1"]]


@pytest.mark.parametrize("template", ["theirs", "not-a-number"])
def test_a_registration_link_with_another_firms_template_is_refused_with_404(
    firm_a, firm_b, web, template
):
    from partnerspace.configuration.services import template_create

    theirs = template_create(membership=firm_b.admin, name="Van B")
    value = str(theirs.pk) if template == "theirs" else template
    response = web(firm_a.admin).post(
        "/f/alfa/invitations/registration-links/", {"template": value}
    )
    assert response.status_code == 404
    assert not RegistrationLink.objects.exists()
