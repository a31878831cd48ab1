"""The API tokens page under the user's account: list, create (the secret shown once), revoke."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from partnerspace.api.models import TOKEN_PREFIX, ApiToken
from partnerspace.api.services import api_token_create
from partnerspace.core.tokens import token_digest

pytestmark = pytest.mark.django_db

PAGE = "/f/alfa/account/tokens/"


def raw_token_in(text: str) -> str | None:
    found = re.search(rf"{TOKEN_PREFIX}[0-9a-f]{{12}}[A-Za-z0-9_-]{{40,}}", text)
    return found.group(0) if found else None


def test_the_page_lists_only_the_users_own_tokens(firm_a, web):
    api_token_create(membership=firm_a.admin, name="Boekhoudpakket")
    api_token_create(membership=firm_a.manager, name="Marc's script")

    response = web(firm_a.admin).get(PAGE)

    assert response.status_code == 200
    assert "Boekhoudpakket" in response.text
    assert "Marc" not in response.text
    assert raw_token_in(response.text) is None


def test_the_user_menu_leads_to_the_page(firm_a, web):
    response = web(firm_a.accountant).get("/f/alfa/clients/")
    assert f'href="{PAGE}"' in response.text


def test_a_new_token_is_shown_once_and_kept_only_hashed(firm_a, web):
    client = web(firm_a.accountant)

    response = client.post(PAGE, {"name": "Export naar Excel", "days": "30"})

    assert response.status_code == 200
    raw = raw_token_in(response.text)
    assert raw
    token = ApiToken.objects.get(name="Export naar Excel")
    assert token.membership == firm_a.accountant
    assert token.digest == token_digest(raw[len(TOKEN_PREFIX) + 12 :])
    assert 29 <= (token.expires_at - timezone.now()).days <= 30
    assert raw_token_in(client.get(PAGE).text) is None
    me = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert me.json()["user"]["id"] == firm_a.accountant.pk


def test_htmx_gets_only_the_tokens_part_of_the_page(firm_a, web):
    response = web(firm_a.admin).post(
        PAGE, {"name": "htmx", "days": "90"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert raw_token_in(response.text)


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": "", "days": "30"}, "name"), ({"name": "x", "days": "100000"}, "days")],
)
def test_a_token_needs_a_name_and_a_lifetime_from_the_list(firm_a, web, data, field):
    response = web(firm_a.admin).post(PAGE, data)
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert raw_token_in(response.text) is None
    assert f'id="id_{field}"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_revoking_asks_first_then_stops_the_token_at_once(firm_a, web):
    created = api_token_create(membership=firm_a.admin, name="Oud script")
    client = web(firm_a.admin)
    page = client.get(PAGE).text
    revoke_url = f"{PAGE}{created.token.pk}/revoke/"
    assert revoke_url in page
    assert "<dialog" in page  # the confirmation

    response = client.post(revoke_url)

    assert response.status_code == 302
    stopped = Client(headers={"Authorization": f"Bearer {created.raw}"}).get("/api/v1/me")
    assert stopped.status_code == 401
    after = client.get(PAGE).text
    assert f'data-testid="token-{created.token.pk}"' not in after
    assert "Oud script" in after  # named once more, in the message that it was revoked


def test_revoking_another_users_token_is_not_found(firm_a, web):
    admins = api_token_create(membership=firm_a.admin, name="admin's")
    response = web(firm_a.manager).post(f"{PAGE}{admins.token.pk}/revoke/")
    assert response.status_code == 404
    admins.token.refresh_from_db()
    assert admins.token.revoked_at is None


def test_creating_and_revoking_need_the_csrf_token(firm_a):
    created = api_token_create(membership=firm_a.admin, name="guarded")
    client = Client(enforce_csrf_checks=True)
    client.force_login(firm_a.admin.user)
    assert client.post(PAGE, {"name": "forged", "days": "30"}).status_code == 403
    assert client.post(f"{PAGE}{created.token.pk}/revoke/").status_code == 403
    assert not ApiToken.objects.filter(name="forged").exists()
    created.token.refresh_from_db()
    assert created.token.revoked_at is None


def test_an_anonymous_visitor_is_sent_to_log_in(firm_a):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response.url.startswith("/account/login/")
