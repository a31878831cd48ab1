"""A client published at the firm's SMP is published under identifiers built from its
enterprise number, VAT number and country: those stay until it is deregistered, whatever the
door (the page, the API, an import), as its mandate does. Otherwise the SMP would keep the old
participant while the client page shows identifiers of the new number as registered."""

import pytest

from partnerspace.clients.models import Client
from partnerspace.clients.services import client_update
from partnerspace.core.errors import Conflict
from partnerspace.peppol.models import ClientPeppol, RegistrationStatus
from tests.companies.test_company_numbers import NUMBER, UNUSED, accepted
from tests.factories import make_client
from tests.invitations.helpers import draft_client, last_link, send_invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(firm_a):
    return make_client(
        firm_a.admin, "Bakkerij Peeters BV", company_number="0123456749", vat_number="BE0123456749"
    )


@pytest.mark.parametrize(
    "data",
    [
        {"company_number": "0403.019.261", "vat_number": "BE0403019261"},
        {"vat_number": None},
        {"country": "NL", "company_number": None, "vat_number": None},
    ],
    ids=["new numbers", "no VAT number", "abroad"],
)
@pytest.mark.parametrize("status", [RegistrationStatus.REGISTERED, RegistrationStatus.PENDING])
def test_a_published_client_keeps_its_numbers_and_country(firm_a, client, data, status):
    ClientPeppol.objects.create(client=client, status=status)
    with pytest.raises(Conflict) as refused:
        client_update(membership=firm_a.manager, client=client, data=data)
    assert refused.value.code == "registered"
    assert Client.objects.get(pk=client.pk).company_number == "0123456749"


def test_a_published_client_may_change_what_peppol_does_not_read(firm_a, client):
    ClientPeppol.objects.create(client=client, status=RegistrationStatus.REGISTERED)
    client_update(membership=firm_a.manager, client=client, data={"legal_name": "Peeters BV"})
    assert Client.objects.get(pk=client.pk).legal_name == "Peeters BV"


def test_a_client_no_longer_published_may_change_its_numbers(firm_a, client):
    ClientPeppol.objects.create(client=client, status=RegistrationStatus.NOT_REGISTERED)
    client_update(
        membership=firm_a.manager,
        client=client,
        data={"company_number": "0403.019.261", "vat_number": "BE0403019261"},
    )
    assert Client.objects.get(pk=client.pk).company_number == "0403019261"


def test_a_number_change_another_firms_published_record_would_follow_is_refused(
    firm_a, firm_b, django_capture_on_commit_callbacks
):
    """The firms linked to one company follow each other's change of its numbers
    (companies.services.company_numbers_change): not while one of them is published."""
    capture = django_capture_on_commit_callbacks
    client_a, _company, browser = accepted(capture, firm_a, company_number=NUMBER)
    client_b = draft_client(firm_b.admin, company_number=NUMBER)
    send_invitation(capture, firm_b.admin, client_b)
    assert browser.post(last_link()).status_code == 302
    ClientPeppol.objects.create(client=client_b, status=RegistrationStatus.REGISTERED)

    with pytest.raises(Conflict) as refused:
        client_update(membership=firm_a.admin, client=client_a, data={"company_number": UNUSED})
    assert refused.value.code == "registered_by_a_linked_firm"
    assert firm_b.firm.name not in refused.value.message
    for client in (client_a, client_b):
        assert Client.objects.get(pk=client.pk).company_number == NUMBER
