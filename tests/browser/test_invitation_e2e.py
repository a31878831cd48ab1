"""End to end: a firm invites a client; the e-mail travels over a real SMTP conversation; the
contact follows the link in Chromium, makes an account and accepts; the client turns Active; the
contact corrects the IBAN in its own space and the firm's client page shows it at once."""

import email
import re
import threading
from email import policy

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.companies.models import CompanyUser
from partnerspace.invitations.models import Invitation, InvitationState
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client
from tests.smtp import django_smtp_server

pytestmark = pytest.mark.browser

IBAN = "BE71096123456769"


class Mailbox:
    """An SMTP server's handler: keeps every message it is handed."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.arrived.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings, live_server):
    settings.PARTNERSPACE_BASE_URL = live_server.url
    with django_smtp_server(settings, Mailbox()) as mailbox:
        yield mailbox


def test_a_client_is_invited_by_mail_accepts_in_the_browser_and_its_iban_reaches_the_firm(
    page, firm_a, smtp_server, live_server
):
    admin = firm_a.admin.user
    admin.language = "en"
    admin.save(update_fields=["language"])
    client = make_client(
        firm_a.admin,
        "Bakkerij Peeters BV",
        company_number="0403170701",
        city="Gent",
        contact={
            "first_name": "Jan",
            "last_name": "Peeters",
            "email": "jan@peeters.example",
            "locale": "en-BE",
        },
    )

    # The firm invites from the client page.
    log_in(page, admin.email, PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    page.locator(f'a[href="/f/alfa/invitations/clients/{client.pk}/invite/"]').first.click()
    page.locator("textarea[name=message]").fill("Beste Jan, tot binnenkort op het platform.")
    page.locator("form:has(textarea[name=message]) button[type=submit]").click()
    expect(page.get_by_test_id("invitations")).to_contain_text("jan@peeters.example")

    # The mail arrives over SMTP, sent by the background task after the commit.
    assert smtp_server.arrived.wait(timeout=20), "no mail reached the SMTP server"
    [(sender, recipients, raw)] = smtp_server.messages
    assert recipients == ["jan@peeters.example"]
    assert "no-reply" in sender
    message = email.message_from_bytes(raw, policy=policy.default)
    assert "Boekhoudkantoor Alfa" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in (text, html):
        assert "Boekhoudkantoor Alfa" in part
        assert "Bakkerij Peeters BV" in part
        assert "tot binnenkort op het platform" in part
    link = re.search(rf"{re.escape(live_server.url)}/invite/[^/\s\"<>]+/", text).group(0)
    assert link in html
    assert Invitation.objects.get().state == InvitationState.SENT

    # The contact follows the link, makes an account and accepts.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_test_id("invited-company")).to_contain_text("Bakkerij Peeters BV")
    expect(page.get_by_test_id("invited-company")).to_contain_text("0403.170.701")
    expect(page.locator("body")).to_contain_text("Boekhoudkantoor Alfa")
    expect(page.locator("input[name=first_name]")).to_have_value("Jan")
    page.locator("input[name=password1]").fill("a-long-new-passphrase")
    page.locator("input[name=password2]").fill("a-long-new-passphrase")
    page.locator("form:has(input[name=password1]) button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/company/\d+/$"))
    expect(page.get_by_test_id("company-details")).to_contain_text("Bakkerij Peeters BV")
    expect(page.get_by_test_id("company-firms")).to_contain_text("Boekhoudkantoor Alfa")
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    company = client.company
    assert CompanyUser.objects.filter(company=company, user__email="jan@peeters.example").exists()

    # The client corrects its IBAN in its own space.
    page.locator(f'a[href="/company/{company.pk}/edit/"]').first.click()
    page.locator("input[name=iban]").fill("be71 0961 2345 6769")
    page.locator("form:has(input[name=iban]) button[type=submit]").click()
    expect(page.get_by_test_id("company-iban")).to_have_text("BE71 0961 2345 6769")

    # The firm's client page shows it at once, with the client's entry in the history.
    page.context.clear_cookies()
    log_in(page, admin.email, PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    expect(page.get_by_test_id("iban")).to_have_text("BE71 0961 2345 6769")
    expect(page.get_by_test_id("client-status")).to_have_text("Active")
    newest = page.get_by_test_id("history").locator("li").first
    expect(newest).to_contain_text("Jan Peeters")
    expect(newest).to_contain_text("client")
    entry = ClientHistory.objects.filter(client=client, action="updated").latest("at")
    assert entry.source == HistorySource.CLIENT
    assert [change["field"] for change in entry.changes] == ["iban"]
    assert Client.objects.get(pk=client.pk).iban == IBAN
    assert len(smtp_server.messages) == 1  # sent once
