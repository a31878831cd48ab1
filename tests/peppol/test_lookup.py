"""The client page's look-up: the SML names an SMP, and the SMP is read, if it may be."""

import pytest
from django.utils import translation

from partnerspace.peppol.lookup import participant_lookup
from tests.factories import make_client

pytestmark = pytest.mark.django_db

NUMBER = "0123456749"


@pytest.fixture
def client(firm_a):
    return make_client(firm_a.admin, "Bakkerij Peeters BV", company_number=NUMBER)


def row_for_0208(client):
    with translation.override("nl"):
        return next(row for row in participant_lookup(client) if row.participant.icd == "0208")


def test_the_firms_own_smp_is_read_even_at_a_private_address(client, peppol, sml, smp):
    sml.register(f"0208:{NUMBER}", smp.url)
    row = row_for_0208(client)
    assert row.ours and row.error == ""
    assert any(call.method == "GET" for call in smp.calls)


def test_another_smp_at_a_private_address_is_not_fetched(client, sml, smp):
    """A DNS answer must not make the server read its own network."""
    sml.register(f"0208:{NUMBER}", smp.url)  # 127.0.0.1, and not this firm's SMP
    row = row_for_0208(client)
    assert not row.ours
    assert "geen publiek adres" in row.error  # the interface speaks Dutch first
    assert smp.calls == []
