"""The invite page reads its ticked contacts as numbers: something digit-like that is not
one (a superscript ²) is left out, never a 500."""

import pytest
from django.urls import reverse

from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("form", [{"preview": "1"}, {"message": "Beste klant"}])
def test_a_superscript_contact_id_is_left_out(firm_a, web, form):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    url = reverse("invitations:invite", args=["alfa", client.pk])
    response = web(firm_a.manager).post(url, {**form, "contacts": ["\u00b2"]})
    assert response.status_code in (200, 302)
