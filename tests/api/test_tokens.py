import hashlib

import pytest
from django.core.management import call_command
from django.test import Client

from partnerspace.api.models import ApiToken
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_create_api_token_prints_a_token_that_is_stored_only_as_a_digest(firm_a, capsys):
    call_command("create_api_token", "--email", "Admin@alfa.example", "--firm", "alfa")
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert raw.startswith("ps_" + token.selector)
    verifier = raw[len("ps_" + token.selector) :]
    assert token.digest == hashlib.sha256(verifier.encode()).hexdigest()
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["firm"] == {"slug": "alfa", "name": "Boekhoudkantoor Alfa"}


def test_create_api_token_refuses_someone_outside_the_firm(firm_a, firm_b):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "--email", "admin@beta.example", "--firm", "alfa")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer nonsense", "Basic abc", "Bearer ps_000000000000" + "x" * 43],
)
def test_missing_or_wrong_token_answers_401(firm_a, header):
    client = Client(headers={"Authorization": header} if header else {})
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_a_revoked_token_stops_working(firm_a, api):
    client = api(firm_a.admin)
    assert client.get("/me").status_code == 200
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get("/me").status_code == 401


def test_removing_the_membership_removes_its_tokens(firm_a, api):
    client = api(firm_a.accountant)
    firm_a.accountant.delete()
    assert client.get("/me").status_code == 401


def test_api_messages_speak_the_token_owners_language(firm_a, api):
    firm_a.admin.user.language = "fr"
    firm_a.admin.user.save()
    response = api(firm_a.admin).get("/staff/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}


def test_staff_list_shows_only_the_tokens_firm(firm_a, firm_b, api):
    emails = {row["email"] for row in api(firm_b.admin).get("/staff").json()}
    assert emails == {"admin@beta.example", "manager@beta.example", "accountant@beta.example"}


def test_openapi_schema_and_docs_are_served(db):
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Partner Space API"
    assert "bearer" in str(schema.json()["components"]["securitySchemes"]).lower()
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_a_malformed_request_is_answered_in_the_token_owners_language(firm_a, api):
    firm_a.manager.user.language = "nl"
    firm_a.manager.user.save()
    response = api(firm_a.manager).get("/clients?page_size=501&page=zes")
    assert response.status_code == 422
    errors = {e["field"]: (e["code"], e["message"]) for e in response.json()["errors"]}
    assert errors == {
        "page_size": ("invalid", "Geef een getal van hoogstens 500."),
        "page": ("invalid", "Geef een geheel getal."),
    }


def test_an_unknown_or_misspelt_field_is_refused_not_ignored(firm_a, api):
    client = make_client(firm_a.admin, "Alfa Bouw BV", city="Gent")
    manager = api(firm_a.manager)
    response = manager.patch(f"/clients/{client.pk}", {"cty": "Leuven", "city": "Brugge"})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("cty", "unknown_field")
    ]
    client.refresh_from_db()
    assert client.city == "Gent"  # nothing of a refused request is applied


def test_a_missing_required_field_is_named(firm_a, api):
    client = make_client(firm_a.admin, "Alfa Bouw BV")
    response = api(firm_a.manager).post(f"/clients/{client.pk}/contacts", {"first_name": "Els"})
    assert response.status_code == 422
    codes = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert ("email", "required") in codes


def test_a_wrong_choice_lists_the_choices_without_english_words(firm_a, api):
    response = api(firm_a.manager).get("/clients?status=gone")
    [error] = response.json()["errors"]
    assert error["field"] == "status"
    assert error["message"] == "Kies een van: draft, invited, active, archived."
