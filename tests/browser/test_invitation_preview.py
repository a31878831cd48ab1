"""The user sees the e-mail before sending an invitation: on Uitnodigen, beside the form and
redrawn as the message changes, and in the dialog of Uitnodigingen versturen (the first
client's mail, and how many go out). Then the invitation is sent as previewed."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.invitations.models import Invitation
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client

pytestmark = pytest.mark.browser


def with_contact(people, name: str, first_name: str, email: str, locale: str = "nl-BE"):
    return make_client(
        people.admin,
        name,
        contact={
            "first_name": first_name,
            "last_name": "Peeters",
            "email": email,
            "locale": locale,
        },
    )


def test_the_invitation_is_previewed_then_sent(page, firm_a):
    client = with_contact(firm_a, "Bakkerij Peeters BV", "Pieter", "pieter@peeters.example")
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    page.locator(".page-header .page-actions").get_by_role("link", name="Uitnodigen").click()

    preview = page.get_by_test_id("mail-preview-body")
    expect(preview).to_contain_text(re.compile(r"^Dag Pieter,"))
    expect(preview).to_contain_text("Bakkerij Peeters BV")
    expect(page.get_by_test_id("mail-preview-subject")).to_contain_text("Boekhoudkantoor Alfa")
    expect(page.get_by_test_id("mail-preview-to")).to_contain_text("pieter@peeters.example")
    assert not Invitation.objects.exists()  # seeing it sends nothing

    # The preview follows the message as it is typed.
    page.get_by_label("Persoonlijk bericht").fill("Tot dinsdag op kantoor!")
    expect(preview).to_contain_text("Tot dinsdag op kantoor!")

    page.get_by_test_id("invite-send").click()
    expect(page.get_by_text("Uitnodiging verstuurd naar pieter@peeters.example.")).to_be_visible()
    assert Client.objects.get(pk=client.pk).status == ClientStatus.INVITED
    [sent] = mail.outbox
    assert sent.to == ["pieter@peeters.example"]
    assert sent.body.startswith("Dag Pieter,")
    assert "Tot dinsdag op kantoor!" in sent.body


def test_the_bulk_dialog_shows_the_first_clients_mail_and_how_many_are_sent(page, firm_a):
    with_contact(firm_a, "Bakkerij Aerts BV", "Pieter", "pieter@aerts.example")
    with_contact(firm_a, "Brouwerij Claes NV", "Marie", "marie@claes.example", "fr-BE")
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto("/f/alfa/clients/?tab=inactive")
    table = page.get_by_test_id("client-table")
    for name in ("Bakkerij Aerts BV", "Brouwerij Claes NV"):
        table.get_by_role("row").filter(has_text=name).get_by_role("checkbox").check()
    expect(page.get_by_test_id("selection-count")).to_have_text("2 klanten geselecteerd")

    page.get_by_test_id("bulkbar").get_by_role("button", name="Uitnodigingen versturen").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("bulk-invite-count")).to_contain_text(
        "2 uitnodigingen worden verstuurd."
    )
    body = dialog.get_by_test_id("mail-preview-body")
    expect(body).to_contain_text(re.compile(r"^Dag Pieter,"))
    expect(body).to_contain_text("Bakkerij Aerts BV")
    assert not Invitation.objects.exists()

    dialog.get_by_role("button", name="Uitnodigingen versturen").click()
    expect(page.get_by_text("2 klanten uitgenodigd.")).to_be_visible()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "marie@claes.example",
        "pieter@aerts.example",
    ]
    french = next(m for m in mail.outbox if m.to == ["marie@claes.example"])
    assert french.body.startswith("Bonjour Marie,")


@pytest.mark.parametrize("width", [390])
def test_the_preview_fits_a_phone(page, firm_a, width):
    client = with_contact(firm_a, "Bakkerij Peeters BV", "Pieter", "pieter@peeters.example")
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/invitations/clients/{client.pk}/invite/")
    expect(page.get_by_test_id("mail-preview-body")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
