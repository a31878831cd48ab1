"""End to end: a company signs up through the firm's registration link in Chromium; nothing exists
until the person follows the link that travels over a real SMTP conversation; opening it shows
what will be made, the button makes it, and the person lands in the company's own space."""

import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from partnerspace.accounts.models import User
from partnerspace.clients.models import Client, ClientStatus
from partnerspace.companies.models import Company
from partnerspace.invitations.models import PendingRegistration, RegistrationLink
from tests.browser.test_invitation_e2e import smtp_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

PASSPHRASE = "a-long-new-passphrase"


def test_a_company_signs_up_confirms_its_address_by_mail_and_lands_in_its_space(
    page,
    firm_a,
    smtp_server,  # noqa: F811
    live_server,
):
    link = RegistrationLink.objects.create(firm=firm_a.firm, code="alfa-signup-code-0123456789")

    page.goto(f"/register/{link.code}/")
    expect(page.locator("h1")).to_contain_text("Boekhoudkantoor Alfa")
    page.locator("input[name=legal_name]").fill("Bakkerij Peeters BV")
    page.locator("input[name=company_number]").fill("0403.170.701")
    page.locator("input[name=first_name]").fill("Jan")
    page.locator("input[name=last_name]").fill("Peeters")
    page.locator("input[name=email]").fill("jan@peeters.example")
    page.locator("select[name=locale]").select_option("nl-BE")
    page.locator("input[name=password1]").fill(PASSPHRASE)
    page.locator("input[name=password2]").fill(PASSPHRASE)
    page.locator("form:has(input[name=password1]) button[type=submit]").click()

    # Only a pending registration: no account, company or client before the address is proven.
    expect(page.get_by_test_id("registration-sent")).to_contain_text("jan@peeters.example")
    assert PendingRegistration.objects.count() == 1
    assert not User.objects.filter(email="jan@peeters.example").exists()
    assert not Company.objects.exists()
    assert not Client.objects.exists()

    # The mail arrives over SMTP, in the language Jan chose, sent after the commit.
    assert smtp_server.arrived.wait(timeout=20), "no mail reached the SMTP server"
    [(_sender, recipients, raw)] = smtp_server.messages
    assert recipients == ["jan@peeters.example"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Bevestig je registratie bij Boekhoudkantoor Alfa"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    url = re.search(rf"{re.escape(live_server.url)}/register/confirm/[^/\s\"<>]+/", text).group(0)
    assert url in html
    assert "Bakkerij Peeters BV" in text and "Bakkerij Peeters BV" in html

    # Opening the link shows what will be made and makes nothing; the button makes it.
    page.context.clear_cookies()
    page.goto(url)
    expect(page.get_by_test_id("registration")).to_contain_text("Bakkerij Peeters BV")
    expect(page.get_by_test_id("registration")).to_contain_text("jan@peeters.example")
    assert not Client.objects.exists()
    page.get_by_role("button", name="Mijn registratie bevestigen").click()

    expect(page).to_have_url(re.compile(r"/company/\d+/$"))
    expect(page.get_by_test_id("company-details")).to_contain_text("Bakkerij Peeters BV")
    expect(page.get_by_test_id("company-firms")).to_contain_text("Boekhoudkantoor Alfa")
    client = Client.objects.get()
    assert (client.firm, client.status) == (firm_a.firm, ClientStatus.ACTIVE)
    assert User.objects.get(email="jan@peeters.example").check_password(PASSPHRASE)
    assert not PendingRegistration.objects.exists()

    # The link worked once. Asked outside the tab: the page fixture counts a 404 as an error.
    again = page.request.get(url)
    assert again.status == 404
    assert "Deze link werkt niet meer" in again.text()
    assert Client.objects.count() == 1
    assert len(smtp_server.messages) == 1
