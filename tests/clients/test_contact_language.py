"""The contact's language is picked from a list (Nederlands, Français, Deutsch, English, each
with its region), defaulting to what the client's address suggests; what is stored today stays
as it is."""

import re

import pytest
from django.urls import reverse

from partnerspace.clients.forms import ContactForm
from partnerspace.clients.models import Contact
from partnerspace.identifiers.choices import contact_locale_choices, default_locale
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "postal_code", "expected"),
    [
        ("BE", "9000", "nl-BE"),  # Gent
        ("BE", "3500", "nl-BE"),  # Hasselt
        ("BE", "1000", "nl-BE"),  # Brussel: bilingual, Dutch first
        ("BE", "1299", "nl-BE"),
        ("BE", "1300", "fr-BE"),  # Wavre
        ("BE", "4000", "fr-BE"),  # Liège
        ("BE", "4700", "de-BE"),  # Eupen
        ("BE", "4799", "de-BE"),
        ("BE", "4800", "fr-BE"),  # Verviers
        ("BE", "7000", "fr-BE"),  # Mons
        ("BE", "8000", "nl-BE"),  # Brugge
        ("BE", "", "nl-BE"),
        ("BE", "12", "nl-BE"),
        (None, None, "nl-BE"),
        ("NL", "1011 AB", "nl-NL"),
        ("FR", "75001", "fr-FR"),
        ("LU", "1111", "fr-LU"),
        ("DE", "52062", "de-DE"),
        ("US", "10001", "en-GB"),
    ],
)
def test_the_default_language_follows_the_country_and_the_postal_codes_region(
    country, postal_code, expected
):
    assert default_locale(country, postal_code) == expected


def test_the_list_names_each_language_in_itself_with_its_region():
    labels = dict(contact_locale_choices())
    assert labels["nl-BE"] == "Nederlands (België)"
    assert labels["fr-BE"] == "Français (Belgique)"
    assert labels["de-BE"] == "Deutsch (Belgien)"
    assert labels["en-BE"] == "English (Belgium)"
    assert [code[:2] for code in labels] == sorted(
        (code[:2] for code in labels), key=["nl", "fr", "de", "en"].index
    )


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    assert len(chosen) == 1
    return chosen[0]


@pytest.mark.parametrize(
    ("postal_code", "expected"), [("4700", "de-BE"), ("1000", "nl-BE"), ("5000", "fr-BE")]
)
def test_a_new_contacts_language_defaults_to_the_clients_region(firm_a, web, postal_code, expected):
    client = make_client(firm_a.admin, "Eupener BV", postal_code=postal_code, city="X")
    response = web(firm_a.manager).get(
        reverse("clients:detail", args=[firm_a.firm.slug, client.pk])
    )
    html = response.text
    assert selected(html, "new-locale") == expected
    assert 'placeholder="nl-BE"' not in html
    # Brussels is bilingual: both stay on offer.
    assert 'value="nl-BE"' in html and 'value="fr-BE"' in html


def test_a_stored_language_outside_the_list_is_kept(firm_a, web):
    client = make_client(firm_a.admin, "Oud BV")
    contact = client.contacts.get()
    Contact.objects.filter(pk=contact.pk).update(locale="es-ES")
    response = web(firm_a.manager).get(
        reverse("clients:contact_edit", args=[firm_a.firm.slug, client.pk, contact.pk])
    )
    assert selected(response.text, "locale") == "es-ES"
    assert "Español (España)" in response.text


def test_the_add_client_form_follows_the_address_and_stored_values_are_unchanged(firm_a, web):
    response = web(firm_a.manager).get(reverse("clients:add", args=[firm_a.firm.slug]))
    assert "data-locale-follows-address" in response.text
    assert selected(response.text, "contact-locale") == "nl-BE"
    form = ContactForm(
        {"first_name": "A", "last_name": "B", "email": "a@b.example", "locale": "fr-BE"}
    )
    assert form.is_valid() and form.cleaned_data["locale"] == "fr-BE"
