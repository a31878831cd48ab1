"""Details bewerken: the same rules as adding, duplicates refused, every change in the history."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from partnerspace.clients import services
from partnerspace.clients.models import Client, ClientHistory
from partnerspace.clients.selectors import ClientFilters, client_duplicates, client_page
from partnerspace.clients.services import client_update
from partnerspace.clients.validation import message_for
from partnerspace.core.errors import Conflict, NotAllowed, ValidationFailed
from partnerspace.peppol.models import ClientPeppol, RegistrationStatus
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(firm_a):
    return make_client(
        firm_a.admin, "Alfa Bouw BV", vat_number="BE0403019261", city="Gent", notes="Eerste"
    )


def updates(client) -> list[ClientHistory]:
    return list(ClientHistory.objects.filter(client=client, action="updated"))


def test_a_change_is_normalized_saved_and_recorded_with_old_and_new_value(firm_a, client):
    before = Client.objects.get(pk=client.pk).updated_at
    result = client_update(
        membership=firm_a.manager,
        client=client,
        data={"city": "Brugge", "iban": "BE71 0961 2345 6769"},
    )
    client.refresh_from_db()
    assert (client.city, client.iban) == ("Brugge", "BE71096123456769")
    assert client.updated_at > before
    assert [w.field for w in result.warnings] == ["iban"]
    [entry] = updates(client)
    assert entry.actor == firm_a.manager.user
    assert sorted(entry.changes, key=lambda c: c["field"]) == [
        {"field": "city", "old": "Gent", "new": "Brugge"},
        {"field": "iban", "old": "", "new": "BE71096123456769"},
    ]


def test_fields_left_out_keep_their_value(firm_a, client):
    client_update(membership=firm_a.manager, client=client, data={"legal_name": "Alfa NV"})
    client.refresh_from_db()
    assert (client.legal_name, client.vat_number, client.city) == (
        "Alfa NV",
        "BE0403019261",
        "Gent",
    )


def test_saving_without_a_change_records_nothing(firm_a, client):
    client_update(membership=firm_a.manager, client=client, data={"city": " Gent "})
    assert updates(client) == []


def test_an_invalid_value_is_refused_and_nothing_changes(firm_a, client):
    with pytest.raises(ValidationFailed) as failed:
        client_update(
            membership=firm_a.manager,
            client=client,
            data={"legal_name": "", "iban": "BE00", "city": "Brugge"},
        )
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("legal_name", "required"),
        ("iban", "invalid_iban"),
    }
    client.refresh_from_db()
    assert (client.legal_name, client.city) == ("Alfa Bouw BV", "Gent")
    assert updates(client) == []


def test_a_vat_number_that_contradicts_the_enterprise_number_is_refused(firm_a, client):
    with pytest.raises(ValidationFailed) as failed:
        client_update(membership=firm_a.manager, client=client, data={"vat_number": "BE0202239951"})
    assert [(e.field, e.code) for e in failed.value.errors] == [
        ("vat_number", "vat_company_number_mismatch")
    ]


def test_changing_to_another_clients_vat_number_names_that_client(firm_a, client):
    other = make_client(firm_a.admin, "Bêta NV", vat_number="BE0202239951")
    with pytest.raises(Conflict) as refused:
        client_update(
            membership=firm_a.manager,
            client=other,
            data={"vat_number": "BE0403019261", "company_number": ""},
        )
    assert refused.value.code == "already_exists"
    assert refused.value.extra["existing_id"] == client.pk
    assert "Alfa Bouw BV" in refused.value.message
    other.refresh_from_db()
    assert other.vat_number == "BE0202239951"


def test_a_client_is_not_a_duplicate_of_itself(firm_a, client):
    client_update(membership=firm_a.manager, client=client, data={"vat_number": "be 0403 019 261"})
    client.refresh_from_db()
    assert client.vat_number == "BE0403019261"


def test_a_race_on_update_ends_in_the_same_conflict(firm_a, client, monkeypatch):
    other = make_client(firm_a.admin, "Bêta NV", external_reference="B-1")
    calls = []

    def check_that_runs_too_early(firm_id, values, **kwargs):
        calls.append(values)
        return {} if len(calls) == 1 else client_duplicates(firm_id, values, **kwargs)

    Client.objects.filter(pk=client.pk).update(external_reference="A-1")
    # The duplicate check lives in clients.services.duplicates.
    monkeypatch.setattr(services.duplicates, "client_duplicates", check_that_runs_too_early)
    with pytest.raises(Conflict) as refused:
        client_update(membership=firm_a.manager, client=other, data={"external_reference": "A-1"})
    assert refused.value.code == "already_exists"
    assert refused.value.extra["existing_name"] == "Alfa Bouw BV"
    other.refresh_from_db()
    assert other.external_reference == "B-1"


def test_a_renamed_client_is_found_by_its_new_name_only(firm_a, client):
    client_update(membership=firm_a.manager, client=client, data={"legal_name": "Gamma Bouw"})

    def found(query):
        page = client_page(firm_a.admin, ClientFilters(query=query, tab="inactive"))
        return [c.pk for c in page.rows]

    assert found("gamma") == [client.pk]
    assert found("alfa") == []


# The page


def edit_url(client):
    return reverse("clients:edit", args=[client.firm.slug, client.pk])


def form_of(client, **changes):
    values = {
        "legal_name": client.legal_name,
        "country": client.country,
        "company_number": client.company_number or "",
        "vat_number": client.vat_number or "",
        "external_reference": client.external_reference or "",
        "city": client.city,
        "notes": client.notes,
    }
    return {**values, **changes}


def test_the_edit_page_shows_the_current_details(firm_a, web, client):
    response = web(firm_a.manager).get(edit_url(client))
    assert response.status_code == 200
    assert 'value="Alfa Bouw BV"' in response.text
    assert 'value="BE 0403.019.261"' in response.text  # as the client page shows it


def test_saving_the_edit_page_changes_the_client(firm_a, web, client):
    response = web(firm_a.manager).post(edit_url(client), form_of(client, city="Brugge"))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[firm_a.firm.slug, client.pk])
    client.refresh_from_db()
    assert client.city == "Brugge"


def test_the_edit_page_shows_an_error_beside_the_field_and_keeps_what_was_typed(
    firm_a, web, client
):
    response = web(firm_a.manager).post(
        edit_url(client), form_of(client, vat_number="BE0403019262", city="Brugge")
    )
    assert response.status_code == 200
    with translation.override("nl"):
        assert response.context["client_form"].errors["vat_number"] == [message_for("vat_checksum")]
    assert 'value="BE0403019262"' in response.text
    assert 'value="Brugge"' in response.text
    client.refresh_from_db()
    assert client.city == "Gent"


def test_the_edit_page_refuses_a_duplicate_with_a_link_to_the_existing_client(firm_a, web, client):
    other = make_client(firm_a.admin, "Bêta NV")
    response = web(firm_a.manager).post(
        edit_url(other), form_of(other, vat_number="BE0403019261", company_number="")
    )
    assert response.status_code == 200
    detail = reverse("clients:detail", args=[firm_a.firm.slug, client.pk])
    assert 'data-testid="duplicate"' in response.text
    assert f'href="{detail}"' in response.text
    other.refresh_from_db()
    assert other.vat_number is None


def test_an_assigned_accountant_may_edit_the_details(firm_a, web, client):
    services.client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    response = web(firm_a.accountant).post(edit_url(client), form_of(client, city="Leuven"))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.city == "Leuven"


def assign(firm_a, client):
    services.client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )


def test_an_accountant_cannot_confirm_a_mandate_by_editing_the_details(firm_a, web, client):
    assign(firm_a, client)
    with pytest.raises(NotAllowed):
        client_update(membership=firm_a.accountant, client=client, data={"peppol_mandate": True})
    page = web(firm_a.accountant).get(edit_url(client)).text
    assert re.search(r'<input type="checkbox" name="peppol_mandate"[^>]*disabled', page)
    # A tampered form changes the rest, never the mandate.
    response = web(firm_a.accountant).post(
        edit_url(client), form_of(client, city="Leuven", peppol_mandate="on")
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.city == "Leuven"
    assert client.peppol_mandate is False and client.mandate_confirmed_by is None


def test_a_manager_still_confirms_a_mandate_by_editing_the_details(firm_a, web, client):
    response = web(firm_a.manager).post(edit_url(client), form_of(client, peppol_mandate="on"))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.peppol_mandate is True
    assert client.mandate_confirmed_by == firm_a.manager.user


def test_a_duplicate_of_a_client_the_accountant_cannot_see_is_refused_without_its_name(
    firm_a, web, client
):
    mine = make_client(firm_a.admin, "Bêta NV")
    assign(firm_a, mine)
    with pytest.raises(Conflict) as refused:
        client_update(
            membership=firm_a.accountant, client=mine, data={"vat_number": "BE0403019261"}
        )
    assert "Alfa Bouw" not in refused.value.message
    assert "existing_id" not in refused.value.extra
    response = web(firm_a.accountant).post(edit_url(mine), form_of(mine, vat_number="BE0403019261"))
    assert response.status_code == 200
    assert "Alfa Bouw" not in response.text
    assert f"/clients/{client.pk}/" not in response.text
    assert "Een andere klant van je kantoor gebruikt deze waarde al" in response.text
    assert 'data-testid="duplicate"' not in response.text  # no notice with an empty link
    # Once it is theirs, the accountant is told which client it is.
    assign(firm_a, client)
    with pytest.raises(Conflict) as named:
        client_update(
            membership=firm_a.accountant, client=mine, data={"vat_number": "BE0403019261"}
        )
    assert named.value.extra["existing_id"] == client.pk


def test_a_refusal_that_is_not_a_duplicate_shows_beside_its_field_without_a_link(
    firm_a, web, client
):
    client_update(membership=firm_a.admin, client=client, data={"peppol_mandate": True})
    ClientPeppol.objects.create(client=client, status=RegistrationStatus.REGISTERED)
    response = web(firm_a.admin).post(edit_url(client), form_of(client))  # mandate unticked
    assert response.status_code == 200
    assert 'data-testid="duplicate"' not in response.text
    assert "verwijder de klant eerst uit Peppol" in response.text
    client.refresh_from_db()
    assert client.peppol_mandate is True
