import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from partnerspace.firms.models import StaffInvitation
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_logs_in_switches_to_french_and_back_and_invites_a_colleague(page, firm_a):
    page.goto("/")
    expect(page.get_by_role("heading", name="Aanmelden")).to_be_visible()
    log_in(page, "admin@alfa.example", PASSWORD)
    expect(page.get_by_role("link", name="Klanten", exact=True)).to_be_visible()

    page.get_by_test_id("user-menu").locator("summary").click()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("link", name="Clients", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_test_id("user-menu").locator("summary").click()
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("link", name="Gebruikers")).to_be_visible()

    page.get_by_role("link", name="Gebruikers").click()
    page.get_by_role("link", name="Collega uitnodigen").click()
    page.get_by_label("Voornaam").fill("Lotte")
    page.get_by_label("Achternaam").fill("Claes")
    page.get_by_label("E-mailadres").fill("lotte@alfa.example")
    page.get_by_label("Boekhouder").check()
    page.get_by_role("button", name="Uitnodiging versturen").click()

    expect(page.get_by_text("Uitnodiging verstuurd naar lotte@alfa.example")).to_be_visible()
    expect(page.get_by_test_id("staff-invitations")).to_contain_text("lotte@alfa.example")
    invitation = StaffInvitation.objects.get(email="lotte@alfa.example")
    assert invitation.is_accountant and not invitation.is_administrator
    assert mail.outbox[-1].to == ["lotte@alfa.example"]
    assert re.search(r"/join/\S+/", mail.outbox[-1].body)


def test_the_invited_colleague_joins_through_the_link(
    page, firm_a, django_capture_on_commit_callbacks
):
    from partnerspace.firms.services import staff_invite

    with django_capture_on_commit_callbacks(execute=True):
        staff_invite(
            firm=firm_a.firm,
            actor=firm_a.admin.user,
            email="lotte@alfa.example",
            first_name="Lotte",
            last_name="Claes",
            language="nl",
            roles=["accountant"],
        )
    path = re.search(r"http://testserver(/join/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(path)
    expect(page.get_by_role("heading", name="Word lid van Boekhoudkantoor Alfa")).to_be_visible()
    page.get_by_label("Wachtwoord", exact=True).fill("a-long-new-passphrase")
    page.get_by_label("Herhaal het wachtwoord").fill("a-long-new-passphrase")
    page.get_by_role("button", name="Account aanmaken en lid worden").click()
    expect(page.get_by_text("Welkom bij Boekhoudkantoor Alfa")).to_be_visible()
