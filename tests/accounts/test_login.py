import pytest
from django.test import Client, override_settings

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


@override_settings(PARTNERSPACE_LOGIN_FAILURE_LIMIT=3)
def test_repeated_failures_block_even_the_right_password(firm_a):
    client = Client()
    for _ in range(3):
        login(client, "admin@alfa.example", "wrong-password")
    response = login(client, "admin@alfa.example")
    assert response.status_code == 200
    assert "Te veel mislukte pogingen" in response.text
    assert "_auth_user_id" not in client.session


@override_settings(PARTNERSPACE_LOGIN_FAILURE_LIMIT=3)
def test_a_successful_login_clears_earlier_failures(firm_a):
    client = Client()
    for _ in range(2):
        login(client, "admin@alfa.example", "wrong-password")
    assert login(client, "admin@alfa.example").status_code == 302
    assert not LoginFailure.objects.filter(email="admin@alfa.example").exists()


@override_settings(PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT=4)
def test_many_addresses_from_one_ip_are_throttled_too(firm_a):
    client = Client()
    for number in range(4):
        login(client, f"nobody{number}@example.example", "guess")
    response = login(client, "admin@alfa.example")
    assert "Te veel mislukte pogingen" in response.text


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
