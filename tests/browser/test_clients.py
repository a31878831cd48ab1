"""The client portfolio through the Dutch pages, as the firm's administrator: add a client
whose VAT number is typed carelessly, manage its contacts, edit it, meet the duplicate check,
delete a Draft, and find no way to delete an Active client."""

import re

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client, Contact
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client

pytestmark = pytest.mark.browser


def fill_contact(scope, first_name: str, last_name: str, email: str) -> None:
    scope.get_by_label("Voornaam").fill(first_name)
    scope.get_by_label("Achternaam").fill(last_name)
    scope.get_by_label("E-mailadres").fill(email)
    scope.get_by_label("Taal").select_option("nl-BE")


def open_client_list(page) -> None:
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role(
        "link", name="Klanten"
    ).click()
    expect(page.get_by_role("heading", name="Klanten", exact=True)).to_be_visible()


def tab(page, name: str):
    """The Actief or Niet actief tab, found by the count it carries."""
    return page.get_by_role("link").filter(has=page.get_by_test_id(f"count-{name}"))


def test_add_edit_and_manage_contacts_of_a_client_with_a_messy_vat_number(page, firm_a):
    log_in(page, "admin@alfa.example", PASSWORD)
    open_client_list(page)

    # No template in this firm: Klant toevoegen goes straight to the details.
    page.get_by_role("link", name="Klant toevoegen").click()
    expect(page.get_by_role("heading", name="Klant toevoegen")).to_be_visible()
    page.get_by_label("Bedrijfsnaam").fill("Bakkerij Peeters BV")
    page.get_by_label("Btw-nummer").fill("be 0403.019.261")
    page.get_by_label("Straat").fill("Veldstraat")
    page.get_by_label("Postcode").fill("9000")
    page.get_by_label("Gemeente/stad").fill("Gent")
    fill_contact(page, "Els", "Peeters", "els@peeters.example")
    page.get_by_role("button", name="Toevoegen", exact=True).click()

    expect(page.get_by_role("heading", name="Bakkerij Peeters BV")).to_be_visible()
    expect(page.get_by_text("Bakkerij Peeters BV is toegevoegd.")).to_be_visible()
    expect(page.get_by_test_id("vat")).to_have_text("BE 0403.019.261")
    expect(page.get_by_test_id("client-status")).to_have_text("Concept")
    # Spaces, dots and the case of BE are routine: one quiet line, no warning.
    expect(page.get_by_role("status").locator(".message.warning")).to_have_count(0)
    quiet = page.get_by_role("status").locator(".message.quiet")
    expect(quiet).to_have_count(1)
    expect(quiet).to_contain_text("In de standaardvorm gezet: Btw-nummer")
    client = Client.objects.get(firm=firm_a.firm, legal_name="Bakkerij Peeters BV")
    assert client.vat_number == "BE0403019261"
    assert client.company_number == "0403019261"

    # A second contact person, then made primary through its ⋯ menu.
    contacts = page.get_by_test_id("contacts")
    els = contacts.locator('tr[data-contact="els@peeters.example"]')
    expect(els.get_by_text("Hoofdcontact", exact=True)).to_be_visible()
    section = page.locator("#contacts")
    section.locator("summary", has_text="Contactpersoon toevoegen").click()
    form = section.locator("form").filter(
        has=page.get_by_role("button", name="Contactpersoon toevoegen")
    )
    fill_contact(form, "Jan", "Peeters", "jan@peeters.example")
    form.get_by_role("button", name="Contactpersoon toevoegen").click()
    expect(page.get_by_text("Contactpersoon toegevoegd.")).to_be_visible()
    jan = contacts.locator('tr[data-contact="jan@peeters.example"]')
    expect(contacts.locator("tr")).to_have_count(2)
    expect(jan.get_by_text("Hoofdcontact", exact=True)).to_have_count(0)

    jan.locator("summary").click()  # its ⋯ menu
    jan.get_by_role("button", name="Hoofdcontact maken").click()
    expect(page.get_by_text("Jan Peeters is nu de primaire contactpersoon.")).to_be_visible()
    expect(jan.get_by_text("Hoofdcontact", exact=True)).to_be_visible()
    expect(els.get_by_text("Hoofdcontact", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("history")).to_contain_text("Primaire contactpersoon gewijzigd")
    assert Contact.objects.get(client=client, is_primary=True).email == "jan@peeters.example"

    # Details bewerken: another city, seen on the page and in the history.
    page.get_by_role("link", name="Details bewerken").click()
    expect(page.get_by_role("heading", name="Details bewerken")).to_be_visible()
    page.get_by_label("Postcode").fill("2000")
    page.get_by_label("Gemeente/stad").fill("Antwerpen")
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(page.get_by_text("Wijzigingen opgeslagen.")).to_be_visible()
    expect(page.get_by_test_id("client-details")).to_contain_text("2000 Antwerpen")
    expect(page.get_by_test_id("client-details")).not_to_contain_text("Gent")
    change = page.get_by_test_id("history").locator("li").filter(has_text="Details gewijzigd")
    expect(change).to_have_count(1)
    expect(change).to_contain_text(re.compile(r"Gemeente/stad: Gent\s*→\s*Antwerpen"))

    # The same VAT number in another spelling is a duplicate that links to the first client.
    open_client_list(page)
    page.get_by_role("link", name="Klant toevoegen").click()
    page.get_by_label("Bedrijfsnaam").fill("Peeters Bakkerij NV")
    page.get_by_label("Btw-nummer").fill("BE0403019261")
    fill_contact(page, "Piet", "Peeters", "piet@peeters.example")
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    duplicate = page.get_by_test_id("duplicate")
    # The enterprise number inside the VAT number is what matches.
    expect(duplicate).to_contain_text("Bakkerij Peeters BV gebruikt deze waarde al")
    duplicate.get_by_role("link", name="Bakkerij Peeters BV openen").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("heading", name="Bakkerij Peeters BV")).to_be_visible()
    assert Client.objects.filter(firm=firm_a.firm).count() == 1


def test_a_draft_client_can_be_deleted_from_the_list_and_an_active_one_cannot(page, firm_a):
    draft = make_client(firm_a.admin, "Drukkerij Janssens BV", city="Leuven")
    active = make_client(firm_a.admin, "Brouwerij De Smet NV", vat_number="BE0403019261")
    # What an accepted invitation does: the company is linked and the client is Active.
    Client.objects.filter(pk=active.pk).update(status="active")

    log_in(page, "admin@alfa.example", PASSWORD)
    open_client_list(page)
    expect(page.get_by_test_id("count-active")).to_have_text("1")
    expect(page.get_by_test_id("count-inactive")).to_have_text("1")

    tab(page, "inactive").click()
    table = page.get_by_test_id("client-table")
    row = table.get_by_role("row").filter(has_text="Drukkerij Janssens BV")
    expect(row).to_contain_text("Concept")
    row.locator("summary").click()  # its ⋯ menu
    row.get_by_role("button", name="Verwijderen").click()
    dialog = page.get_by_role("dialog", name="Klant verwijderen?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Drukkerij Janssens BV")
    dialog.get_by_role("button", name="Verwijderen").click()

    expect(page.get_by_text("Drukkerij Janssens BV is verwijderd.")).to_be_visible()
    expect(page.get_by_test_id("count-inactive")).to_have_text("0")
    expect(page.get_by_text("Drukkerij Janssens BV", exact=True)).to_have_count(0)
    assert not Client.objects.filter(pk=draft.pk).exists()

    # The Active client: no delete on its page, nor in its row's ⋯ menu.
    tab(page, "active").click()
    row = (
        page.get_by_test_id("client-table")
        .get_by_role("row")
        .filter(has_text="Brouwerij De Smet NV")
    )
    row.locator("summary").click()
    expect(row.get_by_role("link", name="Details bewerken")).to_be_visible()
    expect(row.get_by_role("button", name="Verwijderen")).to_have_count(0)

    row.get_by_role("link", name="Openen").click()
    expect(page.get_by_role("heading", name="Brouwerij De Smet NV")).to_be_visible()
    expect(page.get_by_test_id("client-status")).to_have_text("Actief")
    expect(page.get_by_role("link", name="Details bewerken")).to_be_visible()
    expect(page.get_by_role("button", name="Verwijderen")).to_have_count(0)
    expect(page.locator(f'form[action$="/clients/{active.pk}/delete/"]')).to_have_count(0)
    assert Client.objects.filter(pk=active.pk).exists()


def test_select_all_matching_ticks_every_client_of_the_search_across_pages(page, firm_a):
    for n in range(30):
        make_client(firm_a.admin, f"Bakkerij {n:02d} BV")
    make_client(firm_a.admin, "Slagerij Janssens BV")
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(page.url.split("/f/")[0] + "/f/alfa/clients/?tab=inactive&q=bakkerij")
    expect(page.get_by_test_id("result-count")).to_contain_text("30")

    page.get_by_test_id("select-all-matching").click()
    expect(page.get_by_test_id("selection-count")).to_have_text("30 klanten geselecteerd")
    # The rows on this page show the selection the server now holds.
    boxes = page.locator("input[data-row-select]")
    expect(boxes.first).to_be_checked()
    assert all(box.is_checked() for box in boxes.all())

    page.get_by_role("button", name="Selectie wissen").click()
    expect(page.get_by_test_id("bulkbar")).to_be_hidden()
    assert not any(box.is_checked() for box in boxes.all())
