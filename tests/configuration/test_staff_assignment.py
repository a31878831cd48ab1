"""Assigning staff to clients: from the client page and in bulk; accountants see their own."""

import pytest

from partnerspace.clients.models import ClientAssignment, ClientHistory
from partnerspace.clients.selectors import clients_visible_to
from partnerspace.clients.services import client_assignments_set, clients_bulk_assign
from partnerspace.core.errors import NotAllowed, ValidationFailed
from tests.factories import make_client, make_member

pytestmark = pytest.mark.django_db

LIST = "/f/alfa/clients/"


def _staff_url(client) -> str:
    return f"/f/alfa/clients/{client.pk}/staff/"


def _assigned(client) -> set:
    return set(ClientAssignment.objects.filter(client=client).values_list("membership", flat=True))


def _assignment_history(client) -> list[list[dict]]:
    return [
        entry.changes
        for entry in ClientHistory.objects.filter(
            client=client, action="assignment_changed"
        ).order_by("at", "id")
    ]


# From the client page


def test_assigning_from_the_client_page_and_the_history_says_who(firm_a, web):
    client = make_client(firm_a.admin)
    response = web(firm_a.manager).post(_staff_url(client), {"staff": [firm_a.accountant.pk]})
    assert response.status_code == 302
    assert response.url == f"/f/alfa/clients/{client.pk}/#staff"
    assert _assigned(client) == {firm_a.accountant.pk}
    entry = ClientHistory.objects.get(client=client, action="assignment_changed")
    assert entry.actor == firm_a.manager.user
    assert entry.changes == [{"field": "assigned", "old": None, "new": str(firm_a.accountant.user)}]


def test_unassigning_from_the_client_page_records_the_removal(firm_a, web):
    client = make_client(firm_a.admin)
    browser = web(firm_a.admin)
    browser.post(_staff_url(client), {"staff": [firm_a.accountant.pk, firm_a.manager.pk]})
    browser.post(_staff_url(client), {"staff": [firm_a.manager.pk]})
    assert _assigned(client) == {firm_a.manager.pk}
    first, second = _assignment_history(client)
    assert {change["new"] for change in first} == {
        str(firm_a.accountant.user),
        str(firm_a.manager.user),
    }
    assert second == [{"field": "assigned", "old": str(firm_a.accountant.user), "new": None}]


def test_saving_the_same_staff_again_records_nothing(firm_a, web):
    client = make_client(firm_a.admin)
    browser = web(firm_a.admin)
    browser.post(_staff_url(client), {"staff": [firm_a.accountant.pk]})
    browser.post(_staff_url(client), {"staff": [firm_a.accountant.pk]})
    assert len(_assignment_history(client)) == 1


def test_the_client_page_ticks_the_assigned_staff(firm_a, web):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    response = web(firm_a.manager).get(f"/f/alfa/clients/{client.pk}/")
    assert response.context["assigned_ids"] == {firm_a.accountant.pk}
    assert f'value="{firm_a.accountant.pk}" checked' in response.text
    assert f'value="{firm_a.manager.pk}" checked' not in response.text


def test_an_accountant_cannot_change_assignments(firm_a, web):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    browser = web(firm_a.accountant)
    response = browser.post(_staff_url(client), {"staff": [firm_a.accountant.pk, firm_a.admin.pk]})
    assert response.status_code == 403
    assert _assigned(client) == {firm_a.accountant.pk}
    with pytest.raises(NotAllowed):
        client_assignments_set(membership=firm_a.accountant, client=client, membership_ids=[])
    # The accountant sees who is assigned, without the form.
    page = browser.get(f"/f/alfa/clients/{client.pk}/")
    assert page.status_code == 200
    assert f'action="{_staff_url(client)}"' not in page.text


def test_a_staff_member_of_another_firm_is_never_assigned(firm_a, firm_b, web):
    client = make_client(firm_a.admin)
    with pytest.raises(ValidationFailed) as refused:
        client_assignments_set(
            membership=firm_a.admin,
            client=client,
            membership_ids=[firm_a.accountant.pk, firm_b.accountant.pk],
        )
    assert [error.code for error in refused.value.errors] == ["unknown_user"]
    response = web(firm_a.admin).post(
        _staff_url(client), {"staff": [firm_a.accountant.pk, firm_b.accountant.pk]}
    )
    assert response.status_code == 302
    assert _assigned(client) == set()
    assert not ClientHistory.objects.filter(action="assignment_changed").exists()


def test_another_firms_client_is_404_for_the_staff_form(firm_a, firm_b, web):
    theirs = make_client(firm_b.admin)
    response = web(firm_a.admin).post(
        f"/f/alfa/clients/{theirs.pk}/staff/", {"staff": [firm_a.accountant.pk]}
    )
    assert response.status_code == 404
    assert _assigned(theirs) == set()


# What an accountant sees


def test_an_accountant_sees_exactly_the_clients_assigned_to_them(firm_a, web):
    mine = [make_client(firm_a.admin, f"Mijn klant {n}") for n in (1, 2)]
    other = make_client(firm_a.admin, "Andermans klant")
    colleague = make_member(firm_a.firm, "accountant")
    for client in mine:
        client_assignments_set(
            membership=firm_a.admin,
            client=client,
            membership_ids=[firm_a.accountant.pk, colleague.pk],
        )
    client_assignments_set(membership=firm_a.admin, client=other, membership_ids=[colleague.pk])

    assert set(clients_visible_to(firm_a.accountant)) == set(mine)
    browser = web(firm_a.accountant)
    listed = browser.get(f"{LIST}?tab=inactive")
    assert {client.pk for client in listed.context["page"].rows} == {c.pk for c in mine}
    assert "Andermans klant" not in listed.text
    for client in mine:
        assert browser.get(f"/f/alfa/clients/{client.pk}/").status_code == 200
    assert browser.get(f"/f/alfa/clients/{other.pk}/").status_code == 404


def test_an_accountant_loses_sight_of_a_client_once_unassigned(firm_a, web):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    browser = web(firm_a.accountant)
    assert browser.get(f"/f/alfa/clients/{client.pk}/").status_code == 200
    web(firm_a.admin).post(_staff_url(client), {"staff": []})
    assert browser.get(f"/f/alfa/clients/{client.pk}/").status_code == 404
    assert list(clients_visible_to(firm_a.accountant)) == []


def test_an_accountant_assigned_by_a_template_sees_the_new_client(firm_a, web):
    from partnerspace.configuration.services import template_create

    template = template_create(
        membership=firm_a.admin, name="Standaard", user_ids=[firm_a.accountant.pk]
    )
    client = make_client(firm_a.manager, template=template)
    assert list(clients_visible_to(firm_a.accountant)) == [client]
    assert web(firm_a.accountant).get(f"/f/alfa/clients/{client.pk}/").status_code == 200


def test_administrator_and_client_manager_see_every_client(firm_a):
    clients = {make_client(firm_a.admin) for _ in range(3)}
    assert set(clients_visible_to(firm_a.admin)) == clients
    assert set(clients_visible_to(firm_a.manager)) == clients


# In bulk, from the list


def _select(browser, clients) -> None:
    ids = [str(client.pk) for client in clients]
    response = browser.post(f"{LIST}selection/", {"visible": ids, "selected": ids})
    assert response.status_code == 200


def test_bulk_assigning_adds_staff_to_every_selected_client(firm_a, web):
    chosen = [make_client(firm_a.admin) for _ in range(3)]
    left_alone = make_client(firm_a.admin)
    browser = web(firm_a.manager)
    _select(browser, chosen)
    response = browser.post(
        f"{LIST}bulk/", {"action": "assign", "staff": [firm_a.accountant.pk, firm_a.admin.pk]}
    )
    assert response.status_code == 302
    for client in chosen:
        assert _assigned(client) == {firm_a.accountant.pk, firm_a.admin.pk}
        (changes,) = _assignment_history(client)
        assert {change["new"] for change in changes} == {
            str(firm_a.accountant.user),
            str(firm_a.admin.user),
        }
    assert _assigned(left_alone) == set()
    # The selection is done with.
    assert browser.session.get(f"client_selection:{firm_a.firm.pk}") is None


def test_bulk_assigning_keeps_existing_assignments_and_skips_clients_that_have_them(firm_a):
    already = make_client(firm_a.admin)
    partly = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=already, membership_ids=[firm_a.accountant.pk]
    )
    client_assignments_set(membership=firm_a.admin, client=partly, membership_ids=[firm_a.admin.pk])
    outcome = clients_bulk_assign(
        membership=firm_a.manager, clients=[already, partly], membership_ids=[firm_a.accountant.pk]
    )
    assert (outcome.done, outcome.skipped) == (1, 1)
    assert _assigned(already) == {firm_a.accountant.pk}
    assert _assigned(partly) == {firm_a.admin.pk, firm_a.accountant.pk}
    assert len(_assignment_history(already)) == 1
    assert len(_assignment_history(partly)) == 2


def test_an_accountant_cannot_bulk_assign(firm_a, web):
    client = make_client(firm_a.admin)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    with pytest.raises(NotAllowed):
        clients_bulk_assign(
            membership=firm_a.accountant, clients=[client], membership_ids=[firm_a.admin.pk]
        )
    browser = web(firm_a.accountant)
    _select(browser, [client])
    browser.post(f"{LIST}bulk/", {"action": "assign", "staff": [firm_a.admin.pk]})
    assert _assigned(client) == {firm_a.accountant.pk}


def test_bulk_assigning_another_firms_staff_member_is_refused_for_all(firm_a, firm_b, web):
    clients = [make_client(firm_a.admin) for _ in range(2)]
    with pytest.raises(ValidationFailed) as refused:
        clients_bulk_assign(
            membership=firm_a.admin, clients=clients, membership_ids=[firm_b.accountant.pk]
        )
    assert [error.code for error in refused.value.errors] == ["unknown_user"]
    browser = web(firm_a.admin)
    _select(browser, clients)
    browser.post(
        f"{LIST}bulk/", {"action": "assign", "staff": [firm_a.accountant.pk, firm_b.accountant.pk]}
    )
    assert not ClientAssignment.objects.exists()


def test_another_firms_clients_cannot_be_slipped_into_the_selection(firm_a, firm_b, web):
    theirs = make_client(firm_b.admin)
    mine = make_client(firm_a.admin)
    browser = web(firm_a.admin)
    _select(browser, [theirs, mine])
    browser.post(f"{LIST}bulk/", {"action": "assign", "staff": [firm_a.accountant.pk]})
    assert _assigned(mine) == {firm_a.accountant.pk}
    assert _assigned(theirs) == set()
