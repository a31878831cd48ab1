import pytest
from django.test import Client

from partnerspace.accounts.models import LoginFailure
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, email, password=PASSWORD):
    return client.post("/account/login/", {"username": email, "password": password})


def test_login_page_speaks_dutch_whatever_the_browser_prefers():
    response = Client(headers={"Accept-Language": "en-US,en;q=0.9"}).get("/account/login/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "nl"
    assert "Aanmelden" in response.text
    assert "E-mailadres" in response.text


def test_staff_member_logs_in_with_email_in_any_case(firm_a):
    client = Client()
    response = login(client, "ADMIN@Alfa.example")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # on to the firm


def test_wrong_password_is_refused_with_a_dutch_message(firm_a):
    response = login(Client(), "admin@alfa.example", "not-the-password")
    assert response.status_code == 200
    assert "komen niet overeen met een account" in response.text
    assert LoginFailure.objects.filter(email="admin@alfa.example").count() == 1


def test_logout_needs_a_post(firm_a, web):
    client = web(firm_a.admin)
    assert client.get("/account/logout/").status_code == 405
    assert client.post("/account/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_form_refuses_a_post_without_csrf_token(firm_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/account/login/", {"username": "admin@alfa.example", "password": PASSWORD}
    )
    assert response.status_code == 403


def test_anonymous_visitor_is_sent_to_login(firm_a):
    response = Client().get("/f/alfa/users/")
    assert response.status_code == 302
    assert response.url.startswith("/account/login/")
