"""Text no database column can hold: a NUL (PostgreSQL refuses it in any text) or a lone UTF-16
surrogate ("\\ud800", valid JSON, but with no UTF-8 form). A request carrying one is refused
with a 422 naming the field, never stored and never a 500; a search reads
one as a space."""

import json

import pytest

from partnerspace.clients.models import Client
from tests.factories import make_client

pytestmark = pytest.mark.django_db

CONTACT = {
    "first_name": "Jan",
    "last_name": "Peeters",
    "email": "jan@deklok.example",
    "locale": "nl",
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"legal_name": "De\x00Klok BV", "contacts": [CONTACT]}, "legal_name"),
        ({"legal_name": "De Klok BV", "notes": "nota\x00", "contacts": [CONTACT]}, "notes"),
        ({"legal_name": "De Klok BV", "city": "Gent\x00", "contacts": [CONTACT]}, "city"),
        (
            {"legal_name": "De Klok BV", "external_reference": "K\x001", "contacts": [CONTACT]},
            "external_reference",
        ),
        (
            {"legal_name": "De Klok BV", "contacts": [{**CONTACT, "first_name": "J\x00an"}]},
            "contacts.0.first_name",
        ),
        ({"legal_name": "De Klok BV", "template": "x\x00", "contacts": [CONTACT]}, "template"),
        ({"legal_name": "De Klok \ud800", "contacts": [CONTACT]}, "legal_name"),
        ({"legal_name": "De Klok BV", "city": "Gent \udfff", "contacts": [CONTACT]}, "city"),
    ],
    ids=[
        "legal_name", "notes", "city", "external_reference", "contact_first_name", "template",
        "surrogate_legal_name", "surrogate_city",
    ],
)  # fmt: skip
def test_a_client_with_unstorable_text_is_refused_with_422(firm_a, api, body, field):
    client = api(firm_a.admin)

    response = client.post("/clients", json.dumps(body))

    assert response.status_code == 422, (response.status_code, response.content[:200])
    assert {"field": field, "code": "invalid_character"} in [
        {"field": error["field"], "code": error["code"]} for error in response.json()["errors"]
    ]
    assert not Client.objects.filter(firm=firm_a.firm).exists()  # nothing stored at all


def test_patching_a_client_with_a_nul_byte_is_refused_with_422(firm_a, api):
    existing = make_client(firm_a.admin, "Alfa BV")

    response = api(firm_a.admin).patch(
        f"/clients/{existing.pk}", json.dumps({"legal_name": "A\x00B"})
    )

    assert response.status_code == 422, (response.status_code, response.content[:200])
    assert Client.objects.get(pk=existing.pk).legal_name == "Alfa BV"


def test_the_refusal_speaks_the_token_owners_language(firm_a, api):
    firm_a.admin.user.language = "fr"
    firm_a.admin.user.save(update_fields=["language"])

    response = api(firm_a.admin).post(
        "/clients", json.dumps({"legal_name": "De\x00Klok", "contacts": [CONTACT]})
    )

    assert "caractère" in response.json()["errors"][0]["message"]


def test_a_client_created_by_a_service_with_a_nul_byte_is_refused(firm_a):
    from partnerspace.clients.services import client_create
    from partnerspace.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        client_create(membership=firm_a.admin, data={"legal_name": "A\x00B"}, contacts=[CONTACT])
    assert "invalid_character" in {error.code for error in refused.value.errors}


@pytest.mark.parametrize(
    "path",
    ["/f/alfa/clients/?q=a%00b", "/f/alfa/imports/export/?q=a%00b"],
    ids=["client_list", "export"],
)
def test_a_search_with_a_nul_byte_answers_instead_of_a_500(firm_a, web, path):
    make_client(firm_a.admin)

    assert web(firm_a.admin).get(path).status_code == 200


def test_an_api_search_with_a_nul_byte_reads_it_as_a_space(firm_a, api):
    make_client(firm_a.admin, "Alfa Bouw BV")

    response = api(firm_a.admin).get("/clients?search=alfa%00bouw")

    assert response.status_code == 200
    assert [found["legal_name"] for found in response.json()["results"]] == ["Alfa Bouw BV"]
