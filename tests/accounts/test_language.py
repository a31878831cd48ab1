import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_choice_of_french_is_kept_in_a_cookie():
    client = Client()
    response = client.post("/account/language/", {"language": "fr", "next": "/account/login/"})
    assert response.status_code == 302
    page = client.get("/account/login/")
    assert page.headers["Content-Language"] == "fr"
    assert "Se connecter" in page.text


def test_a_users_choice_is_saved_on_the_account(firm_a, web):
    client = web(firm_a.admin)
    client.post("/account/language/", {"language": "en", "next": "/f/alfa/users/"})
    firm_a.admin.user.refresh_from_db()
    assert firm_a.admin.user.language == "en"
    fresh = Client()
    fresh.force_login(firm_a.admin.user)
    assert "Invite a colleague" in fresh.get("/f/alfa/users/").text


def test_an_unknown_language_changes_nothing(firm_a, web):
    client = web(firm_a.admin)
    client.post("/account/language/", {"language": "xx"})
    firm_a.admin.user.refresh_from_db()
    assert firm_a.admin.user.language == "nl"


def test_the_redirect_after_switching_stays_on_this_site():
    response = Client().post(
        "/account/language/", {"language": "fr", "next": "https://evil.example/"}
    )
    assert response.url == "/"


@pytest.mark.parametrize(
    ("language", "expected"), [("nl", "1.234,5"), ("fr", "1.234,5"), ("en", "1,234.5")]
)
def test_numbers_follow_the_users_locale(language, expected):
    from django.template import Context, Template
    from django.utils import translation

    with translation.override(language):
        rendered = Template("{{ value }}").render(Context({"value": 1234.5}))
    assert rendered == expected
