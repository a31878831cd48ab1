"""A template name no database column can hold (a NUL, a lone surrogate) is refused with the
name's error, by the API and at the wizard's first step, never a 500 or a step further."""

import json

import pytest

from partnerspace.configuration.models import ConfigurationTemplate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["Sjabloon\x00", "Sjabloon \ud800"], ids=["nul", "surrogate"])
def test_an_unstorable_template_name_is_refused_with_422(firm_a, api, name):
    response = api(firm_a.admin).post("/templates", json.dumps({"name": name}))

    assert response.status_code == 422, (response.status_code, response.content[:200])
    assert response.json()["errors"][0]["field"] == "name"
    assert not ConfigurationTemplate.objects.filter(firm=firm_a.firm).exists()


def test_the_wizard_keeps_a_name_with_a_nul_byte_at_its_first_step(firm_a, web):
    response = web(firm_a.admin).post(
        "/f/alfa/configuration/templates/new/",
        {"step": "1", "direction": "next", "name": "Sjabloon\x00"},
    )

    assert response.status_code == 200, response.status_code
    assert "controleteken" in response.content.decode()  # the name's error, in Dutch
