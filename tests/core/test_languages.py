"""The interface's languages are settings.LANGUAGES: the language middleware, new accounts
made from an invitation or a sign-up, and the command line all follow it."""

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from partnerspace.core.languages import interface_language, interface_languages
from partnerspace.invitations.models import RegistrationLink
from partnerspace.invitations.registration import company_register
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

WITH_GERMAN = [("nl", "Dutch"), ("fr", "French"), ("en", "English"), ("de", "German")]


def test_the_interface_speaks_the_languages_of_the_settings(settings):
    assert interface_languages() == {"nl", "fr", "en"}
    assert interface_language("de") == "en"
    settings.LANGUAGES = WITH_GERMAN
    assert interface_language("de") == "de"


def test_a_company_signing_up_in_a_language_the_interface_speaks_keeps_it(firm_a, settings):
    settings.LANGUAGES = WITH_GERMAN
    _client, user = company_register(
        link=RegistrationLink.objects.create(firm=firm_a.firm, code="alfa-de"),
        company={"legal_name": "Bäckerei Peters AG", "country": "BE", "company_number": ""},
        person={
            "first_name": "Jan",
            "last_name": "Peters",
            "email": "jan@peters.example",
            "locale": "de-BE",
        },
        password_hash=make_password(PASSWORD),
    )
    assert user.language == "de"


def test_the_language_cookie_counts_for_a_language_of_the_settings(settings):
    settings.LANGUAGES = WITH_GERMAN
    client = Client()
    client.cookies["partnerspace_language"] = "de"
    assert client.get("/account/login/")["Content-Language"] == "de"
