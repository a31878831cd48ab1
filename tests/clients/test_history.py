"""The history of a client: every change with who, when, through which door, old and new value."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partnerspace.clients.models import ClientHistory, HistorySource
from partnerspace.clients.selectors import client_history
from partnerspace.clients.services import (
    client_archive,
    client_assignments_set,
    client_create,
    client_update,
    contact_add,
)
from partnerspace.configuration.services import (
    client_integration_link,
    client_integration_unlink,
    client_integration_update,
    integration_install,
)
from tests.factories import make_client

pytestmark = pytest.mark.django_db

JAN = {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "nl-BE"}


def entries(client, action=None) -> list[ClientHistory]:
    history = ClientHistory.objects.filter(client=client).order_by("id")
    return list(history.filter(action=action) if action else history)


def test_creation_records_the_actor_the_source_and_every_value_set(firm_a):
    before = timezone.now()
    client = make_client(firm_a.manager, "Alfa Bouw BV", vat_number="BE0403019261", city="Gent")
    [entry] = entries(client)
    assert entry.action == "created"
    assert entry.actor == firm_a.manager.user
    assert entry.actor_label == str(firm_a.manager.user)
    assert entry.source == HistorySource.STAFF
    assert before <= entry.at <= timezone.now()
    changes = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changes["legal_name"] == (None, "Alfa Bouw BV")
    assert changes["vat_number"] == (None, "BE0403019261")
    assert changes["company_number"] == (None, "0403019261")
    assert changes["status"] == (None, "draft")
    assert "street" not in changes  # nothing to say about an empty field


@pytest.mark.parametrize("source", [HistorySource.API, HistorySource.IMPORT])
def test_the_door_a_change_came_through_is_recorded(firm_a, source):
    client = client_create(
        membership=firm_a.manager,
        data={"legal_name": "Alfa", "country": "BE"},
        contacts=[JAN],
        source=source,
    ).client
    client_update(membership=firm_a.admin, client=client, data={"city": "Gent"}, source=source)
    assert [(e.action, e.source, e.actor) for e in entries(client)] == [
        ("created", source, firm_a.manager.user),
        ("updated", source, firm_a.admin.user),
    ]


def test_an_update_records_each_changed_field_with_old_and_new(firm_a):
    client = make_client(firm_a.admin, "Alfa", city="Gent")
    client_update(
        membership=firm_a.manager,
        client=client,
        data={"city": "", "street": "Veldstraat", "peppol_mandate": True},
    )
    [entry] = entries(client, "updated")
    assert sorted(entry.changes, key=lambda c: c["field"]) == [
        {"field": "city", "old": "Gent", "new": ""},
        {"field": "peppol_mandate", "old": False, "new": True},
        {"field": "street", "old": "", "new": "Veldstraat"},
    ]


def test_a_status_change_is_recorded(firm_a):
    client = make_client(firm_a.admin)
    client_archive(membership=firm_a.manager, client=client)
    [entry] = entries(client, "status_changed")
    assert entry.changes == [{"field": "status", "old": "draft", "new": "archived"}]
    assert entry.actor == firm_a.manager.user


def test_assigning_and_unassigning_staff_is_recorded(firm_a):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.manager.pk]
    )
    first, second = entries(client, "assignment_changed")
    assert first.changes == [{"field": "assigned", "old": None, "new": str(firm_a.accountant.user)}]
    assert {(c["field"], c["old"], c["new"]) for c in second.changes} == {
        ("assigned", None, str(firm_a.manager.user)),
        ("assigned", str(firm_a.accountant.user), None),
    }


def test_setting_the_same_staff_again_records_nothing(firm_a):
    client = make_client(firm_a.admin)
    for _ in range(2):
        client_assignments_set(
            membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
        )
    assert len(entries(client, "assignment_changed")) == 1


def test_linking_changing_and_unlinking_an_integration_is_recorded(firm_a):
    integration_install(membership=firm_a.admin, key="exact_online", settings={"region": "be"})
    firm_integration = firm_a.firm.integrations.get()
    client = make_client(firm_a.admin, external_reference="111")
    link = client_integration_link(
        membership=firm_a.manager, client=client, integration_id=firm_integration.pk
    )
    client_integration_update(membership=firm_a.manager, link=link, settings={"division": "222"})
    client_integration_unlink(membership=firm_a.manager, link=link)
    linked, updated, unlinked = (
        entries(client, "integration_linked"),
        entries(client, "integration_updated"),
        entries(client, "integration_unlinked"),
    )
    assert linked[0].changes == [{"field": "integration", "old": None, "new": "Exact Online"}]
    assert [(c["old"], c["new"]) for c in updated[0].changes] == [("111", "222")]
    assert unlinked[0].changes == [{"field": "integration", "old": "Exact Online", "new": None}]


def test_the_history_is_read_newest_first(firm_a):
    client = make_client(firm_a.admin)
    contact_add(
        membership=firm_a.admin,
        client=client,
        data={**JAN, "email": "els@alfa.example", "first_name": "Els"},
    )
    ClientHistory.objects.filter(client=client, action="created").update(
        at=timezone.now() - timedelta(days=1)
    )
    assert [e.action for e in client_history(client)] == ["contact_added", "created"]


def test_the_client_page_shows_who_when_and_old_and_new_values(firm_a, web):
    client = make_client(firm_a.admin, "Alfa", city="Gent")
    client_update(membership=firm_a.manager, client=client, data={"city": "Brugge"})
    html = web(firm_a.admin).get(reverse("clients:detail", args=["alfa", client.pk])).text
    timeline = html.split('data-testid="history"', 1)[1].split("</ol>", 1)[0]
    assert "<del>Gent</del>" in timeline
    assert "<ins>Brugge</ins>" in timeline
    assert str(firm_a.manager.user) in timeline
    assert timeline.index("<ins>Brugge</ins>") < timeline.index("<ins>Alfa</ins>")


def test_a_history_entry_outlives_the_staff_member_who_made_it(firm_a):
    client = make_client(firm_a.manager, "Alfa")
    label = str(firm_a.manager.user)
    firm_a.manager.user.delete()
    [entry] = entries(client)
    assert entry.actor is None
    assert entry.actor_label == label


def test_the_page_translates_statuses_in_the_history(firm_a, web):
    client = make_client(firm_a.admin)
    client_archive(membership=firm_a.admin, client=client)
    firm_a.admin.user.language = "en"
    firm_a.admin.user.save()
    html = web(firm_a.admin).get(reverse("clients:detail", args=["alfa", client.pk])).text
    assert "<del>Draft</del> → <ins>Archived</ins>" in html
