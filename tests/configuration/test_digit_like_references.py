"""A template or an integration named by something that looks like digits but is not a
number Python reads (a superscript ², which str.isdigit() accepts and int() refuses) is
refused as unknown, like any other name that matches none: never a 500."""

import pytest
from django.urls import reverse

from partnerspace.configuration.services import integration_install, template_create
from tests.configuration.test_api_templates import errors_of

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "\u00b2"
BODY = {
    "legal_name": "Bakkerij Peeters BV",
    "country": "BE",
    "contacts": [{"first_name": "Pieter", "last_name": "Peeters", "email": "p@peeters.example"}],
}


def test_the_api_refuses_a_superscript_template_as_unknown(firm_a, api):
    response = api(firm_a.manager).post("/clients", {**BODY, "template": SUPERSCRIPT_TWO})
    assert errors_of(response) == {("template", "unknown_template")}


def test_the_add_page_answers_404_for_a_superscript_template(firm_a, web):
    template_create(membership=firm_a.admin, name="Standaard", is_default=True)
    url = reverse("clients:add", args=["alfa"]) + "?template=%C2%B2"
    assert web(firm_a.manager).get(url).status_code == 404


def test_the_api_refuses_a_superscript_integration_as_unknown(firm_a, api):
    integration_install(membership=firm_a.admin, key="exact_online", settings={"region": "be"})
    response = api(firm_a.admin).post(
        "/templates", {"name": "Standaard", "integrations": [{"integration": SUPERSCRIPT_TWO}]}
    )
    assert errors_of(response) == {("integrations.0.integration", "unknown_integration")}
