"""Another administrator or staff member deletes what a request changes between its access
check and its change: the change answers 404 (it is gone), never a 500."""

import pytest

from partnerspace.peppol import api as peppol_api
from tests.factories import make_client
from tests.meanwhile import deleted_after_fetch

pytestmark = pytest.mark.django_db


def test_a_mandate_confirmed_for_a_client_deleted_meanwhile_gets_404(firm_a, api, monkeypatch):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    deleted_after_fetch(monkeypatch, peppol_api, "client_get_for_user")
    response = api(firm_a.admin).post(f"/clients/{client.pk}/mandate", {"confirmed": True})
    assert response.status_code == 404
