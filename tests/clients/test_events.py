"""The registries through which the other apps react to a client's changes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerspace.clients import events
from partnerspace.clients.lifecycle import clients_status_change
from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.clients.services import client_archive
from partnerspace.core.errors import Conflict
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_the_apps_register_their_reactions_once():
    names = {
        registry.name: {f"{h.__module__}.{h.__name__}" for h in registry.handlers}
        for registry in (
            events.client_archived,
            events.mandate_changed,
            events.client_created,
            events.details_changed,
            events.details_change_refusals,
            events.clients_imported,
            events.client_deletion_refusals,
        )
    }
    assert names == {
        "client_archived": {
            "partnerspace.invitations.handlers.on_clients_archived",
            "partnerspace.peppol.handlers.on_clients_archived",
        },
        "mandate_changed": {"partnerspace.peppol.handlers.on_mandate_changed"},
        "client_created": {
            "partnerspace.configuration.handlers.on_client_created",
            "partnerspace.vies.handlers.on_client_created",
        },
        "details_change_refusals": {"partnerspace.peppol.handlers.on_details_changing"},
        "details_changed": {
            "partnerspace.companies.handlers.on_details_changed",
            "partnerspace.vies.handlers.on_details_changed",
        },
        "clients_imported": {"partnerspace.vies.handlers.on_clients_imported"},
        "client_deletion_refusals": {"partnerspace.peppol.handlers.on_clients_deleting"},
    }
    before = events.client_archived.handlers
    events.client_archived.register(before[0])
    assert events.client_archived.handlers == before


def test_a_handler_that_refuses_undoes_the_whole_change(firm_a):
    client = make_client(firm_a.manager)

    def refuse(event):
        raise Conflict("kept", "Not now.")

    events.client_archived.register(refuse)
    try:
        with pytest.raises(Conflict):
            client_archive(membership=firm_a.manager, client=client)
    finally:
        events.client_archived.unregister(refuse)
    client.refresh_from_db()
    assert client.status == ClientStatus.DRAFT
    assert not ClientHistory.objects.filter(client=client, action="status_changed").exists()


def test_a_handler_hears_the_archive_once_with_every_client_and_the_door(firm_a):
    clients = [make_client(firm_a.manager) for _ in range(3)]
    heard = []
    events.client_archived.register(heard.append)
    try:
        changed = clients_status_change(
            firm_id=firm_a.firm.pk,
            client_ids=[c.pk for c in clients],
            status=ClientStatus.ARCHIVED,
            actor=firm_a.manager.user,
            source=HistorySource.API,
        )
    finally:
        events.client_archived.unregister(heard.append)
    assert sorted(changed) == sorted(c.pk for c in clients)
    assert len(heard) == 1
    assert set(heard[0].client_ids) == set(changed)
    assert (heard[0].firm_id, heard[0].source) == (firm_a.firm.pk, HistorySource.API)
    rows = ClientHistory.objects.filter(action="status_changed", client__in=clients)
    assert {(r.source, r.actor_label) for r in rows} == {
        (HistorySource.API, str(firm_a.manager.user))
    }


def test_many_clients_change_status_in_a_fixed_number_of_queries(firm_a):
    few = [make_client(firm_a.manager) for _ in range(2)]
    many = [make_client(firm_a.manager) for _ in range(12)]

    def archive(clients):
        return clients_status_change(
            firm_id=firm_a.firm.pk,
            client_ids=[c.pk for c in clients],
            status=ClientStatus.ARCHIVED,
            actor=firm_a.manager.user,
            source=HistorySource.STAFF,
        )

    with CaptureQueriesContext(connection) as small:
        archive(few)
    with CaptureQueriesContext(connection) as large:
        archive(many)
    assert len(large) == len(small)
    assert Client.objects.filter(status=ClientStatus.ARCHIVED).count() == 14


def test_another_firms_clients_are_left_alone(firm_a, firm_b):
    theirs = make_client(firm_b.manager)
    changed = clients_status_change(
        firm_id=firm_a.firm.pk,
        client_ids=[theirs.pk],
        status=ClientStatus.ARCHIVED,
        actor=firm_a.manager.user,
        source=HistorySource.STAFF,
    )
    assert changed == []
    theirs.refresh_from_db()
    assert theirs.status == ClientStatus.DRAFT
