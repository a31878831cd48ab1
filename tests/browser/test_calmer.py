"""Routine repairs make no noise: spaces, dots, case and a missing BE are said in one quiet
line; what the user must look at (a leading zero restored, an unknown bank code) stays a
warning."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client

pytestmark = pytest.mark.browser


def add_client(page, **fields) -> None:
    page.goto("/f/alfa/clients/new/")
    page.get_by_label("Bedrijfsnaam").fill("Bakkerij Peeters BV")
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Voornaam").fill("Pieter")
    page.get_by_label("Achternaam").fill("Peeters")
    page.get_by_label("E-mailadres").fill("Pieter@Peeters.EXAMPLE")
    page.get_by_label("Taal").select_option("nl-BE")
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    expect(page.get_by_text("Bakkerij Peeters BV is toegevoegd.")).to_be_visible()


def test_an_ordinary_client_is_added_with_one_quiet_line_and_no_banner(page, firm_a):
    log_in(page, "admin@alfa.example", PASSWORD)
    add_client(
        page,
        **{"Btw-nummer": "0403 019 261", "IBAN": "be71 0961 2345 6769", "Postcode": "9000"},
    )
    status = page.get_by_role("status")
    expect(status.locator(".message.warning")).to_have_count(0)
    quiet = status.locator(".message.quiet")
    expect(quiet).to_have_count(1)
    expect(quiet).to_contain_text("Btw-nummer")
    expect(quiet).to_contain_text("IBAN")


def test_a_restored_leading_zero_is_still_a_warning(page, firm_a):
    log_in(page, "admin@alfa.example", PASSWORD)
    add_client(page, **{"Ondernemingsnummer": "403019261"})
    warning = page.get_by_role("status").locator(".message.warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("403019261")


def test_the_client_form_is_grouped_number_first_and_edits_numbers_as_shown(page, firm_a):
    client = make_client(
        firm_a.admin, "Bakkerij Peeters BV", vat_number="BE0403019261", iban="BE71096123456769"
    )
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto("/f/alfa/clients/new/")
    groups = page.get_by_test_id("form-group").locator("h2")
    expect(groups).to_have_text(["Identificatie", "Adres", "Bank en Peppol", "Voor je kantoor"])
    first = page.get_by_test_id("form-group").first.locator("input, select").first
    expect(first).to_have_attribute("name", "company_number")

    page.goto(f"/f/alfa/clients/{client.pk}/edit/")
    expect(page.get_by_label("Ondernemingsnummer")).to_have_value("0403.019.261")
    expect(page.get_by_label("Btw-nummer")).to_have_value("BE 0403.019.261")
    expect(page.get_by_label("IBAN")).to_have_value("BE71 0961 2345 6769")
    page.get_by_label("Gemeente/stad").fill("Gent")
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(page.get_by_text("Wijzigingen opgeslagen.")).to_be_visible()
    # The numbers went back as shown: nothing to say about them.
    expect(page.get_by_role("status").locator(".message.quiet")).to_have_count(0)
    expect(page.get_by_role("status").locator(".message.warning")).to_have_count(0)
