"""Contact persons: add, edit, remove, make primary; exactly one primary; every change recorded."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from partnerspace.clients.models import ClientHistory, Contact
from partnerspace.clients.selectors import ClientFilters, client_page
from partnerspace.clients.services import (
    contact_add,
    contact_make_primary,
    contact_remove,
    contact_update,
)
from partnerspace.core.errors import Conflict, ValidationFailed
from tests.factories import make_client

pytestmark = pytest.mark.django_db

JAN = {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "nl-BE"}
ELS = {"first_name": "Els", "last_name": "Maes", "email": "els@alfa.example", "locale": "fr"}


@pytest.fixture
def client(firm_a):
    return make_client(firm_a.admin, "Alfa Bouw BV", contact=JAN)


def primaries(client) -> list[str]:
    return list(client.contacts.filter(is_primary=True).values_list("email", flat=True))


def last_entry(client, action) -> ClientHistory:
    return ClientHistory.objects.filter(client=client, action=action).latest("id")


def found_by(membership, query) -> list[int]:
    page = client_page(membership, ClientFilters(query=query, tab="inactive"))
    return [c.pk for c in page.rows]


def test_an_added_contact_is_normalized_and_recorded(firm_a, client):
    result = contact_add(membership=firm_a.manager, client=client, data=ELS)
    els = client.contacts.get(email="els@alfa.example")
    assert els.locale == "fr-BE"
    assert not els.is_primary
    assert [w.field for w in result.warnings] == ["locale"]
    entry = last_entry(client, "contact_added")
    assert entry.actor == firm_a.manager.user
    assert entry.changes == [
        {"field": "contact", "old": None, "new": "Els Maes <els@alfa.example>"}
    ]


def test_an_added_contact_marked_primary_takes_over_as_the_only_primary(firm_a, client):
    contact_add(membership=firm_a.manager, client=client, data={**ELS, "is_primary": True})
    assert primaries(client) == ["els@alfa.example"]


def test_a_new_primary_contact_records_which_contact_it_replaced(firm_a, client):
    contact_add(membership=firm_a.manager, client=client, data={**ELS, "is_primary": True})
    changes = last_entry(client, "contact_added").changes
    assert {
        "field": "primary_contact",
        "old": "Jan Peeters <jan@alfa.example>",
        "new": "Els Maes <els@alfa.example>",
    } in changes


def test_an_invalid_contact_is_refused_with_every_error(firm_a, client):
    with pytest.raises(ValidationFailed) as failed:
        contact_add(
            membership=firm_a.manager,
            client=client,
            data={"first_name": "", "last_name": "Maes", "email": "els@", "locale": "xx"},
        )
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("first_name", "required"),
        ("email", "invalid_email"),
        ("locale", "invalid_locale"),
    }
    assert client.contacts.count() == 1


def test_an_edited_contact_records_old_and_new_values(firm_a, client):
    jan = client.contacts.get()
    contact_update(
        membership=firm_a.manager,
        contact=jan,
        data={**JAN, "email": "jan.peeters@alfa.example", "phone": "+32 9 123 45 67"},
    )
    jan.refresh_from_db()
    assert (jan.email, jan.phone) == ("jan.peeters@alfa.example", "+32 9 123 45 67")
    entry = last_entry(client, "contact_updated")
    assert entry.actor == firm_a.manager.user
    assert sorted(entry.changes, key=lambda c: c["field"]) == [
        {
            "field": "email",
            "old": "jan@alfa.example",
            "new": "jan.peeters@alfa.example",
            "contact": "Jan Peeters <jan.peeters@alfa.example>",
        },
        {
            "field": "phone",
            "old": "",
            "new": "+32 9 123 45 67",
            "contact": "Jan Peeters <jan.peeters@alfa.example>",
        },
    ]


def test_an_edit_without_a_change_records_nothing(firm_a, client):
    contact_update(membership=firm_a.manager, contact=client.contacts.get(), data=JAN)
    assert not ClientHistory.objects.filter(client=client, action="contact_updated").exists()


def test_an_invalid_edit_changes_nothing(firm_a, client):
    jan = client.contacts.get()
    with pytest.raises(ValidationFailed):
        contact_update(membership=firm_a.manager, contact=jan, data={"email": "niet geldig"})
    jan.refresh_from_db()
    assert jan.email == "jan@alfa.example"


def test_a_contact_is_found_by_its_new_address_after_an_edit(firm_a, client):
    contact_update(
        membership=firm_a.manager,
        contact=client.contacts.get(),
        data={"email": "boss@gamma.example"},
    )
    assert found_by(firm_a.admin, "boss@gamma") == [client.pk]
    assert found_by(firm_a.admin, "jan@alfa") == []


def test_an_edit_that_also_makes_the_contact_primary_records_both(firm_a, client):
    contact_add(membership=firm_a.manager, client=client, data=ELS)
    els = client.contacts.get(email="els@alfa.example")
    contact_update(
        membership=firm_a.manager,
        contact=els,
        data={"email": "els.maes@alfa.example", "is_primary": True},
    )
    assert primaries(client) == ["els.maes@alfa.example"]
    changed = last_entry(client, "contact_updated").changes
    assert [(c["field"], c["old"], c["new"]) for c in changed] == [
        ("email", "els@alfa.example", "els.maes@alfa.example")
    ]
    assert last_entry(client, "primary_contact_changed")
    assert found_by(firm_a.admin, "els.maes") == [client.pk]


def test_making_a_contact_primary_leaves_exactly_one_primary_and_records_it(firm_a, client):
    contact_add(membership=firm_a.manager, client=client, data=ELS)
    contact_make_primary(
        membership=firm_a.manager, contact=client.contacts.get(email="els@alfa.example")
    )
    assert primaries(client) == ["els@alfa.example"]
    assert last_entry(client, "primary_contact_changed").changes == [
        {
            "field": "primary_contact",
            "old": "Jan Peeters <jan@alfa.example>",
            "new": "Els Maes <els@alfa.example>",
        }
    ]


def test_making_the_primary_contact_primary_again_records_nothing(firm_a, client):
    contact_make_primary(membership=firm_a.manager, contact=client.contacts.get())
    assert not ClientHistory.objects.filter(action="primary_contact_changed").exists()


def test_removing_the_primary_contact_makes_another_one_primary(firm_a, client):
    contact_add(membership=firm_a.manager, client=client, data=ELS)
    contact_remove(membership=firm_a.manager, contact=client.contacts.get(email="jan@alfa.example"))
    assert primaries(client) == ["els@alfa.example"]
    assert last_entry(client, "contact_removed").changes == [
        {"field": "contact", "old": "Jan Peeters <jan@alfa.example>", "new": None},
        {
            "field": "primary_contact",
            "old": "Jan Peeters <jan@alfa.example>",
            "new": "Els Maes <els@alfa.example>",
        },
    ]
    assert found_by(firm_a.admin, "jan@alfa") == []


def test_the_last_contact_cannot_be_removed(firm_a, client):
    with pytest.raises(Conflict) as refused:
        contact_remove(membership=firm_a.manager, contact=client.contacts.get())
    assert refused.value.code == "last_contact"
    assert client.contacts.count() == 1


def test_the_database_refuses_a_second_primary_contact(client):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(client=client, is_primary=True, **{**ELS, "locale": "fr-BE"})


# The pages


def url(name, client, *args):
    return reverse(f"clients:{name}", args=[client.firm.slug, client.pk, *args])


def test_adding_a_contact_on_the_client_page(firm_a, web, client):
    response = web(firm_a.manager).post(
        url("contact_add", client),
        {f"new-{k}": v for k, v in {**ELS, "is_primary": "on"}.items()},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#contacts")
    assert primaries(client) == ["els@alfa.example"]


def test_an_invalid_new_contact_is_shown_again_with_its_errors(firm_a, web, client):
    response = web(firm_a.manager).post(
        url("contact_add", client),
        {"new-first_name": "Els", "new-last_name": "", "new-email": "els@", "new-locale": "nl-BE"},
    )
    assert response.status_code == 422
    form = response.context["new_contact_form"]
    assert set(form.errors) == {"last_name", "email"}
    assert 'value="els@"' in response.text
    assert response.context["open_contact_form"] is True
    assert client.contacts.count() == 1


def test_editing_a_contact_on_its_page(firm_a, web, client):
    jan = client.contacts.get()
    page = web(firm_a.manager).get(url("contact_edit", client, jan.pk))
    assert 'value="jan@alfa.example"' in page.text
    response = web(firm_a.manager).post(
        url("contact_edit", client, jan.pk), {**JAN, "last_name": "Peeters-Janssens"}
    )
    assert response.status_code == 302
    jan.refresh_from_db()
    assert jan.last_name == "Peeters-Janssens"


def test_an_invalid_contact_edit_shows_the_error_beside_the_field(firm_a, web, client):
    jan = client.contacts.get()
    response = web(firm_a.manager).post(
        url("contact_edit", client, jan.pk), {**JAN, "locale": "klingon"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"locale"}
    assert 'value="klingon"' in response.text


def test_make_primary_and_remove_on_the_client_page(firm_a, web, client):
    contact_add(membership=firm_a.manager, client=client, data=ELS)
    els = client.contacts.get(email="els@alfa.example")
    jan = client.contacts.get(email="jan@alfa.example")
    browser = web(firm_a.manager)
    assert browser.post(url("contact_primary", client, els.pk)).status_code == 302
    assert primaries(client) == ["els@alfa.example"]
    assert browser.post(url("contact_remove", client, jan.pk)).status_code == 302
    assert list(client.contacts.values_list("email", flat=True)) == ["els@alfa.example"]


def test_the_page_keeps_the_last_contact(firm_a, web, client):
    jan = client.contacts.get()
    response = web(firm_a.manager).post(url("contact_remove", client, jan.pk))
    assert response.status_code == 302
    assert Contact.objects.filter(pk=jan.pk).exists()


def test_the_client_page_offers_no_remove_for_the_only_contact(firm_a, web, client):
    jan = client.contacts.get()
    html = web(firm_a.manager).get(url("detail", client)).text
    assert url("contact_remove", client, jan.pk) not in html
    assert url("contact_primary", client, jan.pk) not in html


def test_a_contact_of_another_client_is_not_found_under_this_client(firm_a, web, client):
    other = make_client(firm_a.admin, "Bêta NV")
    theirs = other.contacts.get()
    browser = web(firm_a.manager)
    assert browser.get(url("contact_edit", client, theirs.pk)).status_code == 404
    assert browser.post(url("contact_primary", client, theirs.pk)).status_code == 404
    assert browser.post(url("contact_remove", client, theirs.pk)).status_code == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()
