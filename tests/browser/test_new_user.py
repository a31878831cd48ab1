"""What a new user met in Chromium, each one a browser test: bulk actions that ended on a page
that accepts only POST, a ⋯ menu cut off by the table, a contact address taken twice,
untranslated history, a label over its value, a lost "bus", a duplicate reported beside the
wrong field, an impossible postal code, the error report's own column, a contact removed
without asking, and rows that did not open."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from partnerspace.clients.services import contact_add
from partnerspace.companies.models import Company, CompanyUser
from partnerspace.invitations.services import client_invite
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client, make_user

pytestmark = pytest.mark.browser


def client_list(page, query: str = "") -> None:
    page.goto(f"/f/alfa/clients/{query}")
    expect(page.get_by_role("heading", name="Klanten", exact=True)).to_be_visible()


def row_of(page, name: str):
    return page.get_by_test_id("client-table").get_by_role("row").filter(has_text=name)


def test_a_bulk_action_after_ticking_rows_goes_back_to_the_list_tab(page, firm_a):
    for name in ("Bakkerij Aerts BV", "Brouwerij Claes NV", "Slagerij Dubois BV"):
        make_client(firm_a.admin, name)
    log_in(page, "admin@alfa.example", PASSWORD)
    client_list(page, "?tab=inactive")

    # Each tick redraws the bulk bar through a POST to the selection URL.
    row_of(page, "Bakkerij Aerts BV").get_by_role("checkbox").check()
    expect(page.get_by_test_id("selection-count")).to_have_text("1 klant geselecteerd")
    row_of(page, "Brouwerij Claes NV").get_by_role("checkbox").check()
    expect(page.get_by_test_id("selection-count")).to_have_text("2 klanten geselecteerd")

    bar = page.get_by_test_id("bulkbar")
    bar.locator("summary", has_text="Medewerkers toewijzen of weghalen").click()
    bar.get_by_label(str(firm_a.accountant.user)).check()
    bar.get_by_role("button", name="Toewijzen", exact=True).click()
    expect(page.get_by_text("Medewerkers toegewezen aan 2 klanten.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/f/alfa/clients/\?tab=inactive$"))
    expect(page.get_by_role("heading", name="Klanten", exact=True)).to_be_visible()

    # Uitnodigingen versturen, from its dialog: back on the same tab as well.
    row_of(page, "Slagerij Dubois BV").get_by_role("checkbox").check()
    expect(page.get_by_test_id("selection-count")).to_have_text("1 klant geselecteerd")
    bar.get_by_role("button", name="Uitnodigingen versturen").click()
    page.get_by_role("dialog").get_by_role("button", name="Uitnodigingen versturen").click()
    expect(page.get_by_text("1 klant uitgenodigd.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/f/alfa/clients/\?tab=inactive$"))


def hit_by_a_click(locator) -> bool:
    """Whether a click at the middle of the element, where it is now, would reach it: not
    cut off by a scrolling ancestor, nor covered, nor outside the window."""
    return locator.evaluate(
        """element => {
            const box = element.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) return false;
            const hit = document.elementFromPoint(x, y);
            return hit !== null && (hit === element || element.contains(hit));
        }"""
    )


def test_the_menu_of_the_last_row_is_not_cut_off_by_the_table(page, firm_a):
    make_client(firm_a.admin, "Bakkerij Aerts BV")
    make_client(firm_a.admin, "Brouwerij Claes NV")
    last = make_client(firm_a.admin, "Zeepziederij Wouters BV")
    log_in(page, "admin@alfa.example", PASSWORD)
    client_list(page, "?tab=inactive")

    row = row_of(page, "Zeepziederij Wouters BV")
    row.locator("summary").click()
    for name in ("Openen", "Details bewerken"):
        action = row.get_by_role("link", name=name)
        expect(action).to_be_visible()
        assert hit_by_a_click(action), name
    delete = row.get_by_role("button", name="Verwijderen")
    expect(delete).to_be_visible()
    assert hit_by_a_click(delete)
    delete.click()
    page.get_by_role("dialog", name="Klant verwijderen?").get_by_role(
        "button", name="Verwijderen"
    ).click()
    expect(page.get_by_text("Zeepziederij Wouters BV is verwijderd.")).to_be_visible()
    assert not Client.objects.filter(pk=last.pk).exists()


def test_a_second_contact_with_the_same_address_in_another_case_is_refused(page, firm_a):
    client = make_client(
        firm_a.admin,
        "Bakkerij Peeters BV",
        contact={
            "first_name": "Pieter",
            "last_name": "Peeters",
            "email": "pieter@peeters.example",
            "locale": "nl-BE",
        },
    )
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    section = page.locator("#contacts")
    section.locator("summary", has_text="Contactpersoon toevoegen").click()
    form = section.locator("form").filter(
        has=page.get_by_role("button", name="Contactpersoon toevoegen")
    )
    form.get_by_label("Voornaam").fill("Piet")
    form.get_by_label("Achternaam").fill("Peeters")
    form.get_by_label("E-mailadres").fill("Pieter@Peeters.example")
    form.get_by_label("Taal").select_option("nl-BE")
    form.get_by_role("button", name="Contactpersoon toevoegen").click()
    field = page.locator("#contacts .field").filter(has=page.get_by_label("E-mailadres"))
    expect(field).to_contain_text("Pieter@peeters.example is al een contactpersoon van deze klant.")
    assert client.contacts.count() == 1


def test_the_clients_own_page_keeps_the_word_bus_in_its_address(page, firm_a):
    person = make_user("pieter@peeters.example", first_name="Pieter")
    company = Company.objects.create(
        legal_name="Bakkerij Peeters BV",
        street="Veldstraat",
        house_number="12",
        box="A",
        postal_code="9000",
        city="Gent",
    )
    CompanyUser.objects.create(company=company, user=person)
    log_in(page, "pieter@peeters.example", PASSWORD)
    page.goto(f"/company/{company.pk}/")
    address = page.get_by_test_id("company-address")
    expect(address).to_contain_text("Veldstraat 12 bus A")
    expect(address).to_contain_text("9000 Gent")

    # The firm's page of a client says it the same way, and its form names the field Bus.
    client = make_client(
        firm_a.admin, "Drukkerij Janssens BV", street="Kerkstraat", house_number="3", box="2"
    )
    page.goto("/account/login/")
    page.context.clear_cookies()
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    expect(page.get_by_test_id("client-details")).to_contain_text("Kerkstraat 3 bus 2")
    page.goto(f"/f/alfa/clients/{client.pk}/edit/")
    expect(page.get_by_label("Bus", exact=True)).to_have_value("2")


def test_the_history_of_an_invitation_speaks_dutch(page, firm_a):
    client = make_client(
        firm_a.admin,
        "Bakkerij Peeters BV",
        contact={
            "first_name": "Pieter",
            "last_name": "Peeters",
            "email": "Pieter@peeters.example",
            "locale": "nl-BE",
        },
    )
    client_invite(membership=firm_a.admin, client=client)
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    invited = page.get_by_test_id("history").locator("li").filter(has_text="Uitgenodigd")
    expect(invited.first).to_contain_text("Uitnodiging: Pieter@peeters.example")
    expect(page.get_by_test_id("history")).not_to_contain_text(re.compile(r"\binvitation\b"))


def invitation_path(membership, client) -> str:
    client_invite(membership=membership, client=client)
    match = re.search(r"(/invite/[^/\s\"<>]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_on_the_invitation_page_no_label_overlaps_its_value(page, firm_a):
    client = make_client(
        firm_a.admin,
        "Bakkerij Peeters BV",
        vat_number="BE0403019261",
        street="Veldstraat",
        house_number="12",
        postal_code="9000",
        city="Gent",
    )
    page.goto(invitation_path(firm_a.admin, client))
    details = page.get_by_test_id("invited-company")
    expect(details).to_contain_text("Ondernemingsnummer")
    overlaps = details.evaluate(
        """list => [...list.querySelectorAll("dt")].filter(term => {
            const value = term.nextElementSibling.getBoundingClientRect();
            const label = document.createRange();
            label.selectNodeContents(term);
            const text = label.getBoundingClientRect();
            const across = text.top < value.bottom && value.top < text.bottom;
            return across && text.right > value.left + 0.5;
        }).map(term => term.textContent)"""
    )
    assert overlaps == []


def field_of(page, label: str):
    return page.locator(".field").filter(has=page.get_by_label(label, exact=True))


def test_a_duplicate_vat_number_is_reported_under_the_vat_number(page, firm_a):
    make_client(firm_a.admin, "Bakkerij Peeters BV", company_number="0403019261")
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto("/f/alfa/clients/new/")
    page.get_by_label("Bedrijfsnaam").fill("Peeters Bakkerij NV")
    page.get_by_label("Btw-nummer").fill("BE 0403.019.261")
    page.get_by_label("Voornaam").fill("Piet")
    page.get_by_label("Achternaam").fill("Peeters")
    page.get_by_label("E-mailadres").fill("piet@peeters.example")
    page.get_by_label("Taal").select_option("nl-BE")
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    expect(page.get_by_test_id("duplicate")).to_be_visible()
    expect(field_of(page, "Btw-nummer").locator(".errorlist")).to_contain_text(
        "Bakkerij Peeters BV gebruikt deze waarde al als btw-nummer"
    )
    expect(field_of(page, "Ondernemingsnummer").locator(".errorlist")).to_have_count(0)


def test_a_belgian_postal_code_has_four_digits_and_an_unused_one_is_questioned(page, firm_a):
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto("/f/alfa/clients/new/")
    page.get_by_label("Bedrijfsnaam").fill("Bakkerij Peeters BV")
    page.get_by_label("Postcode").fill("99999")
    page.get_by_label("Gemeente/stad").fill("Gent")
    page.get_by_label("Voornaam").fill("Pieter")
    page.get_by_label("Achternaam").fill("Peeters")
    page.get_by_label("E-mailadres").fill("pieter@peeters.example")
    page.get_by_label("Taal").select_option("nl-BE")
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    expect(field_of(page, "Postcode").locator(".errorlist")).to_contain_text(
        "Vul een Belgische postcode van 4 cijfers in, van 1000 tot 9999"
    )
    assert not Client.objects.exists()

    # Well formed, but not a code bpost uses: added, with a warning to look at.
    page.get_by_label("Postcode").fill("1234")
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    expect(page.get_by_text("Bakkerij Peeters BV is toegevoegd.")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "1234 staat niet op de lijst van bpost met de Belgische postcodes"
    )
    assert Client.objects.get().postal_code == "1234"


def test_removing_a_contact_asks_first(page, firm_a):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    contact_add(
        membership=firm_a.admin,
        client=client,
        data={
            "first_name": "Piet",
            "last_name": "Peeters",
            "email": "piet@peeters.example",
            "locale": "nl-BE",
        },
    )
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    piet = page.get_by_test_id("contacts").locator('tr[data-contact="piet@peeters.example"]')
    piet.locator("summary").click()
    piet.get_by_role("button", name="Verwijderen").click()
    dialog = page.get_by_role("dialog", name="Contactpersoon verwijderen?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Piet Peeters")
    assert client.contacts.count() == 2  # nothing happened yet

    dialog.get_by_role("button", name="Annuleren").click()
    expect(dialog).to_be_hidden()
    assert client.contacts.count() == 2

    piet.locator("summary").click()
    piet.get_by_role("button", name="Verwijderen").click()
    dialog.get_by_role("button", name="Verwijderen").click()
    expect(page.get_by_text("Contactpersoon verwijderd.")).to_be_visible()
    assert not client.contacts.filter(email="piet@peeters.example").exists()


def test_a_click_or_double_click_on_a_row_opens_the_client(page, firm_a):
    first = make_client(firm_a.admin, "Bakkerij Aerts BV", city="Gent")
    second = make_client(firm_a.admin, "Brouwerij Claes NV", city="Leuven")
    log_in(page, "admin@alfa.example", PASSWORD)
    client_list(page, "?tab=inactive")

    # The checkbox and the ⋯ menu keep their own work.
    row = row_of(page, "Bakkerij Aerts BV")
    row.get_by_role("checkbox").check()
    expect(page.get_by_test_id("selection-count")).to_have_text("1 klant geselecteerd")
    row.locator("summary").click()
    expect(row.get_by_role("link", name="Details bewerken")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/clients/\?tab=inactive$"))
    page.keyboard.press("Escape")

    # A double-click on the row's status, as the help article says.
    row.locator(".badge").dblclick()
    expect(page).to_have_url(re.compile(rf"/clients/{first.pk}/$"))
    expect(page.get_by_role("heading", name="Bakkerij Aerts BV")).to_be_visible()

    # One click on the city, away from the name's link, opens it too.
    client_list(page, "?tab=inactive")
    row_of(page, "Brouwerij Claes NV").get_by_text("Leuven").click()
    expect(page).to_have_url(re.compile(rf"/clients/{second.pk}/$"))
