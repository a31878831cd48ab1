"""API tokens can be listed, revoked and run out: GET /tokens, DELETE /tokens/{id}, an expiry."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from partnerspace.api.models import ApiToken
from partnerspace.api.services import api_token_create
from partnerspace.firms.models import AuditEvent
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_owner_lists_their_tokens_with_dates_and_never_a_secret(firm_a):
    ci = api_token_create(membership=firm_a.admin, name="CI export", days=30)
    own = api_token_create(membership=firm_a.admin, name="Boekhoudpakket")
    api_token_create(membership=firm_a.manager, name="Marc's script")
    bearer(ci.raw).get("/api/v1/me")

    response = bearer(own.raw).get("/api/v1/tokens")

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert set(rows) == {"CI export", "Boekhoudpakket"}
    assert set(rows["CI export"]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
    assert rows["CI export"]["id"] == ci.token.pk
    assert rows["CI export"]["last_used_at"] is not None
    expires = ci.token.created_at + timedelta(days=30)
    assert abs(_parse(rows["CI export"]["expires_at"]) - expires) < timedelta(seconds=5)
    for secret in (ci.raw, own.raw, ci.token.digest, own.token.digest, ci.token.selector):
        assert secret not in response.text


def _parse(value: str):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value)


def test_deleting_a_token_revokes_it_at_once(firm_a):
    kept = api_token_create(membership=firm_a.admin, name="kept")
    gone = api_token_create(membership=firm_a.admin, name="gone")
    assert bearer(gone.raw).get("/api/v1/me").status_code == 200

    response = bearer(kept.raw).delete(f"/api/v1/tokens/{gone.token.pk}")

    assert response.status_code == 204
    assert bearer(gone.raw).get("/api/v1/me").status_code == 401
    assert bearer(kept.raw).get("/api/v1/me").status_code == 200
    assert [row["name"] for row in bearer(kept.raw).get("/api/v1/tokens").json()] == ["kept"]
    gone.token.refresh_from_db()
    assert gone.token.revoked_at is not None  # kept for the audit trail, never usable again
    assert AuditEvent.objects.filter(action="api_token.revoked", target_id=gone.token.pk).exists()
    assert bearer(kept.raw).delete(f"/api/v1/tokens/{gone.token.pk}").status_code == 404


def test_a_token_may_revoke_itself(firm_a):
    own = api_token_create(membership=firm_a.accountant, name="self")
    assert bearer(own.raw).delete(f"/api/v1/tokens/{own.token.pk}").status_code == 204
    assert bearer(own.raw).get("/api/v1/tokens").status_code == 401


def test_another_users_token_is_not_found_and_keeps_working(firm_a):
    admins = api_token_create(membership=firm_a.admin, name="admin's")
    accountants = api_token_create(membership=firm_a.accountant, name="accountant's")

    response = bearer(admins.raw).delete(f"/api/v1/tokens/{accountants.token.pk}")

    assert response.status_code == 404
    assert bearer(accountants.raw).get("/api/v1/me").status_code == 200


def test_the_same_persons_token_for_another_firm_is_not_found(firm_a, firm_b):
    elsewhere = make_member(firm_b.firm, "accountant", user=firm_a.admin.user)
    other_firm = api_token_create(membership=elsewhere, name="beta")
    here = api_token_create(membership=firm_a.admin, name="alfa")

    assert [row["name"] for row in bearer(here.raw).get("/api/v1/tokens").json()] == ["alfa"]
    assert bearer(here.raw).delete(f"/api/v1/tokens/{other_firm.token.pk}").status_code == 404


def test_an_expired_token_answers_401(firm_a):
    created = api_token_create(membership=firm_a.admin, name="short", days=1)
    assert bearer(created.raw).get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=created.token.pk).update(expires_at=timezone.now())
    assert bearer(created.raw).get("/api/v1/me").status_code == 401


def test_create_api_token_gives_a_year_unless_told_otherwise(firm_a, capsys):
    call_command("create_api_token", "--email", "admin@alfa.example", "--firm", "alfa")
    call_command(
        "create_api_token", "--email", "admin@alfa.example", "--firm", "alfa", "--days", "30"
    )
    capsys.readouterr()
    year, month = ApiToken.objects.order_by("pk")
    assert abs(year.expires_at - year.created_at - timedelta(days=365)) < timedelta(seconds=5)
    assert abs(month.expires_at - month.created_at - timedelta(days=30)) < timedelta(seconds=5)


@pytest.mark.parametrize("days", ["0", "-3", "100000", "soon"])
def test_create_api_token_refuses_a_lifetime_out_of_bounds(firm_a, days, capsys):
    with pytest.raises(CommandError):
        call_command(
            "create_api_token", "--email", "admin@alfa.example", "--firm", "alfa", "--days", days
        )
    assert not ApiToken.objects.exists()


def test_the_api_document_describes_the_token_endpoints_answers(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    listing = paths["/api/v1/tokens"]["get"]["responses"]
    revoking = paths["/api/v1/tokens/{token_id}"]["delete"]["responses"]
    assert {"200", "401"} <= set(listing)
    assert {"204", "401", "404"} <= set(revoking)
