import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_forbid_inline_scripts_and_framing():
    response = Client().get("/account/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.text  # only external scripts: the policy would block any


def test_session_cookie_is_http_only_and_same_site(firm_a):
    from tests.factories import PASSWORD

    client = Client()
    response = client.post(
        "/account/login/", {"username": "admin@alfa.example", "password": PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
