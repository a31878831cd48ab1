"""Overzicht, the firm's home: figures counted by each app, for what the viewer may see."""

import pytest

from partnerspace.clients.models import ClientAssignment
from tests.conftest import logged_in
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _figures(membership):
    response = logged_in(membership).get(f"/f/{membership.firm.slug}/")
    assert response.status_code == 200
    return response.context["figures"]


def test_an_accountant_s_overview_counts_only_their_own_clients(firm_a, firm_b):
    mine = make_client(firm_a.admin, "Van Mij BV")
    make_client(firm_a.admin, "Van Een Ander BV")
    make_client(firm_b.admin, "Van Firma B BV")
    ClientAssignment.objects.create(client=mine, membership=firm_a.accountant)

    assert _figures(firm_a.admin)["clients"]["all"] == 2
    assert _figures(firm_a.accountant)["clients"]["all"] == 1
    # Importing is not an accountant's: the latest imports are not shown to them.
    assert _figures(firm_a.accountant)["imports"] == []
