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
    ("language", "expected"),
    [("nl", "12.345 · 2,5"), ("fr", "12.345 · 2,5"), ("en", "12,345 · 2.5")],
)
def test_numbers_follow_the_users_locale(language, expected):
    from django.template import Context, Template
    from django.utils import translation

    with translation.override(language):
        rendered = Template("{% load humanize %}{{ count|intcomma }} · {{ value }}").render(
            Context({"count": 12345, "value": 2.5})
        )
    assert rendered == expected


def test_an_id_in_a_link_is_never_grouped_like_an_amount():
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("nl"):
        rendered = Template("/clients/{{ pk }}/").render(Context({"pk": 12345}))
    assert rendered == "/clients/12345/"
