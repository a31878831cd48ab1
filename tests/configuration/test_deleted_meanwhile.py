"""Another administrator or staff member deletes what a request changes between its access
check and its change: the change answers 404 (it is gone), never a 500."""

import pytest

from partnerspace.configuration import api as configuration_api
from partnerspace.configuration.services import template_create
from tests.meanwhile import deleted_after_fetch

pytestmark = pytest.mark.django_db


def test_a_template_changed_after_another_admin_deleted_it_gets_404(firm_a, api, monkeypatch):
    template = template_create(membership=firm_a.admin, name="Standaard")
    deleted_after_fetch(monkeypatch, configuration_api, "template_get_for_user")
    response = api(firm_a.admin).patch(f"/templates/{template.pk}", {"name": "Nieuw"})
    assert response.status_code == 404
