"""Restoring many clients' earlier values at once (clients_values_restore): the same rules,
refusals and history as client_values_restore for one, whether the batch is written
together or, when the database refuses it, one client at a time."""

import pytest

from partnerspace.clients.models import Client, ClientHistory, Contact, HistorySource
from partnerspace.clients.services import clients_values_restore

pytestmark = pytest.mark.django_db


def a_client(firm, n: int, **values) -> Client:
    client = Client.objects.create(
        firm=firm, legal_name=f"Client {n} BV", country="BE", external_reference=f"R-{n}",
        **values,
    )  # fmt: skip
    Contact.objects.create(
        client=client, first_name="An", last_name="Peeters", email=f"an{n}@example.be",
        is_primary=True,
    )  # fmt: skip
    return client


def restore(firm, actor, restores):
    return clients_values_restore(
        firm_id=firm.pk, restores=restores, actor=actor, source=HistorySource.IMPORT,
        action="import_undone",
    )  # fmt: skip


def test_values_and_contacts_come_back_with_one_history_row_each(firm_a):
    first, second = a_client(firm_a.firm, 1, city="Brugge"), a_client(firm_a.firm, 2)
    extra = Contact.objects.create(
        client=second, first_name="Els", last_name="Smet", email="els@example.be"
    )
    contact = first.contacts.get()
    contact.first_name = "Jan"
    contact.save()

    refused = restore(firm_a.firm, firm_a.admin.user, [
        (first.pk, [
            {"field": "city", "old": "Gent", "new": "Brugge"},
            {"field": "contact", "old": "An", "new": "Jan", "contact_id": contact.pk,
             "before": {"first_name": "An"}},
        ]),
        (second.pk, [{"field": "contact", "old": None, "new": "Els", "contact_id": extra.pk}]),
    ])  # fmt: skip

    assert refused == {}
    first.refresh_from_db()
    assert (first.city, first.contacts.get().first_name) == ("Gent", "An")
    assert "gent" in first.search_text
    assert list(second.contacts.values_list("email", flat=True)) == ["an2@example.be"]
    rows = ClientHistory.objects.filter(action="import_undone").order_by("client_id")
    assert [row.client_id for row in rows] == [first.pk, second.pk]
    assert {"field": "city", "old": "Brugge", "new": "Gent"} in rows[0].changes
    assert rows[1].changes == [{"field": "contact", "old": "Els Smet <els@example.be>",
                                "new": None}]  # fmt: skip


def test_each_client_is_refused_for_its_own_reason_and_the_others_restored(firm_a):
    ok, invalid, gone, last = (a_client(firm_a.firm, n) for n in range(1, 5))

    refused = restore(firm_a.firm, None, [
        (ok.pk, [{"field": "city", "old": "Gent", "new": ""}]),
        (invalid.pk, [{"field": "country", "old": "XX", "new": "BE"}]),
        (gone.pk, [{"field": "contact", "old": "x", "new": "y", "contact_id": 0,
                    "before": {"first_name": "x"}}]),
        (last.pk, [{"field": "contact", "old": None, "new": "An",
                    "contact_id": last.contacts.get().pk}]),
    ])  # fmt: skip

    assert {pk: error.code for pk, error in refused.items()} == {
        invalid.pk: "refused",
        gone.pk: "contact_gone",
        last.pk: "last_contact",
    }
    assert Client.objects.get(pk=ok.pk).city == "Gent"
    assert Client.objects.get(pk=invalid.pk).country == "BE"


def test_two_clients_given_back_the_same_reference_are_restored_one_at_a_time(firm_a):
    """The database refuses the batch (a unique reference twice): it is written again client
    by client, the first restored and the second refused as a duplicate."""
    first, second = a_client(firm_a.firm, 1), a_client(firm_a.firm, 2)
    back = [{"field": "external_reference", "old": "R-OLD", "new": "R-x"}]

    refused = restore(firm_a.firm, None, [(first.pk, back), (second.pk, back)])

    assert list(refused) == [second.pk]
    assert refused[second.pk].code == "already_exists"
    assert Client.objects.get(pk=first.pk).external_reference == "R-OLD"
    assert Client.objects.get(pk=second.pk).external_reference == "R-2"
    assert ClientHistory.objects.filter(action="import_undone").count() == 1


def test_another_firms_client_is_not_touched(firm_a, firm_b):
    theirs = a_client(firm_b.firm, 1)

    restore(firm_a.firm, None, [(theirs.pk, [{"field": "city", "old": "Gent", "new": ""}])])

    assert Client.objects.get(pk=theirs.pk).city == ""
