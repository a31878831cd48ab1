"""Klant toevoegen: the contact's language follows the address as it is typed, by the same
rule as the server (identifiers.choices.default_locale), until the user picks one."""

import pytest
from playwright.sync_api import expect

from partnerspace.identifiers.choices import default_locale
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_the_language_follows_the_postal_code_until_the_user_picks_one(page, firm_a):
    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto("/f/alfa/clients/new/")
    language = page.get_by_label("Taal")
    expect(language).to_have_value("nl-BE")
    postal = page.get_by_label("Postcode")
    for code in ["4000", "4700", "1000", "1300", "7999", "8000", "9999", "4799", "12"]:
        postal.fill(code)
        expect(language).to_have_value(default_locale("BE", code))
    country = page.get_by_label("Land")
    for land in ["FR", "NL", "DE", "LU", "US", "BE"]:
        country.select_option(land)
        expect(language).to_have_value(default_locale(land, "12"))

    language.select_option("en-BE")
    postal.fill("4700")
    expect(language).to_have_value("en-BE")
