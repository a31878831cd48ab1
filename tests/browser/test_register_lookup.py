"""Klant toevoegen with the KBO register loaded: typing part of a name shows the matches as
you type, and choosing one fills the details in place, each marked with the copy's date."""

import re

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from tests.browser.conftest import log_in
from tests.factories import PASSWORD
from tests.register.conftest import DUPONT, full_register

pytestmark = pytest.mark.browser

MARK = re.compile(r"uit de KBO, 0?4/10/2025")


@pytest.fixture
def loaded(tmp_path, transactional_db):
    with full_register(tmp_path):
        yield


def test_a_company_found_by_part_of_its_name_fills_the_form_marked_as_the_registers(
    page, firm_a, loaded
):
    log_in(page, "manager@alfa.example", PASSWORD)
    page.goto("/f/alfa/clients/new/")
    details = page.locator("#client-details")
    # The form opens with one field; the details wait for a choice.
    expect(details).to_be_hidden()

    page.get_by_label("Ondernemingsnummer, btw-nummer of naam").press_sequentially(
        "boulangerie dup"
    )
    match = page.get_by_test_id("register-choose")
    expect(match).to_have_count(1)
    expect(page.get_by_test_id("register-match")).to_contain_text("0417.123.457")
    match.click()

    expect(details).to_be_visible()
    assert "kbo=" not in page.url  # filled in place, not by loading the page again
    expect(page.get_by_label("Bedrijfsnaam")).to_have_value("Boulangerie Dupont")
    expect(page.get_by_label("Ondernemingsnummer", exact=True)).to_have_value("0417.123.457")
    expect(page.get_by_label("Btw-nummer", exact=True)).to_have_value("BE 0417.123.457")
    expect(page.get_by_label("Straat")).to_have_value("Rue de Fer")
    expect(page.get_by_label("Postcode")).to_have_value("5000")
    expect(page.get_by_label("Gemeente/stad")).to_have_value("Namen")
    marks = details.locator(".field-note:visible")
    # Both numbers, the name, the country, the street, the house number, postal code and city.
    expect(marks).to_have_count(8)
    expect(marks.first).to_have_text(MARK)
    # The contact's language followed the address filled in (Namur speaks French).
    expect(page.get_by_label("Taal")).to_have_value("fr-BE")

    # Still editable: a changed value is no longer the register's.
    page.get_by_label("Bedrijfsnaam").fill("Boulangerie Dupont SA")
    expect(marks).to_have_count(7)

    page.get_by_label("Voornaam").fill("Jean")
    page.get_by_label("Achternaam").fill("Dupont")
    page.get_by_label("E-mailadres").fill("jean@dupont.example")
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    expect(page.get_by_text("Boulangerie Dupont SA is toegevoegd.")).to_be_visible()
    client = Client.objects.get(firm=firm_a.firm, company_number=DUPONT)
    assert (client.vat_number, client.street, client.city) == (f"BE{DUPONT}", "Rue de Fer", "Namen")
