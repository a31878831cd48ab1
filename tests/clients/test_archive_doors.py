"""An archive has the same effects through every door: the open invitations are withdrawn, the
Peppol registration at the firm's SMP is taken down, and the history names the door."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.companies.models import Company, CompanyUser
from partnerspace.invitations.models import Invitation
from partnerspace.peppol.models import ClientPeppol, Operation, RegistrationStatus
from tests.conftest import logged_in
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db

NUMBER = "0403170701"


def registered_and_invited(people, status=ClientStatus.INVITED) -> Client:
    """A client with an open invitation and a registration at the firm's SMP."""
    client = make_client(people.manager, "Bakkerij Peeters BV", company_number=NUMBER)
    Client.objects.filter(pk=client.pk).update(status=status, peppol_mandate=True)
    client.refresh_from_db()
    contact = client.contacts.get()
    Invitation.objects.create(
        firm=people.firm,
        client=client,
        contact=contact,
        email=contact.email,
        invited_by=people.manager.user,
        expires_at=timezone.now() + timedelta(days=14),
    )
    ClientPeppol.objects.create(
        client=client,
        status=RegistrationStatus.REGISTERED,
        operation=Operation.REGISTER,
        participant_id=f"iso6523-actorid-upis::0208:{NUMBER}",
        registered_at=timezone.now(),
    )
    return client


def assert_archived_through(client: Client, source: str, action: str = "status_changed") -> None:
    client.refresh_from_db()
    assert client.status == ClientStatus.ARCHIVED
    # The open invitation no longer works...
    assert not Invitation.objects.filter(
        client=client, revoked_at__isnull=True, replaced_at__isnull=True
    ).exists()
    # ...the registration at the SMP is being taken down...
    state = ClientPeppol.objects.get(client=client)
    assert (state.status, state.operation) == (RegistrationStatus.PENDING, Operation.DEREGISTER)
    # ...and the history says through which door.
    entry = ClientHistory.objects.get(client=client, action=action)
    assert entry.source == source
    assert entry.changes[0]["new"] == ClientStatus.ARCHIVED
    requested = ClientHistory.objects.get(client=client, action="peppol_deregistration_requested")
    assert requested.source == source


def test_the_staff_page_archives(firm_a):
    client = registered_and_invited(firm_a)
    response = logged_in(firm_a.manager).post(
        reverse("clients:archive", args=[firm_a.firm.slug, client.pk])
    )
    assert response.status_code in (200, 302)
    assert_archived_through(client, HistorySource.STAFF)


def test_the_api_archives_as_the_api(firm_a, api):
    client = registered_and_invited(firm_a)
    response = api(firm_a.manager).patch(f"/clients/{client.pk}", {"status": "archived"})
    assert response.status_code == 200
    assert_archived_through(client, HistorySource.API)


def test_the_bulk_action_archives(firm_a):
    client = registered_and_invited(firm_a)
    browser = logged_in(firm_a.manager)
    browser.post(
        reverse("clients:selection", args=[firm_a.firm.slug]),
        {"visible": [client.pk], "selected": [client.pk]},
    )
    response = browser.post(reverse("clients:bulk", args=[firm_a.firm.slug]), {"action": "archive"})
    assert response.status_code == 302
    assert_archived_through(client, HistorySource.STAFF)


def test_the_company_ending_the_link_archives_and_withdraws_the_invitations(firm_a):
    client = registered_and_invited(firm_a, status=ClientStatus.ACTIVE)
    company = Company.objects.create(legal_name=client.legal_name, company_number=NUMBER)
    Client.objects.filter(pk=client.pk).update(company=company)
    user = make_user("jan@peeters.example")
    CompanyUser.objects.create(company=company, user=user)
    browser = logged_in(firm_a.manager)
    browser.force_login(user)
    response = browser.post(f"/company/{company.pk}/links/{client.pk}/end/")
    assert response.status_code == 302
    assert_archived_through(client, HistorySource.CLIENT, action="ended_by_client")
    client.refresh_from_db()
    assert client.archived_by_client
