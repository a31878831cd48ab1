"""Klant toevoegen: the service (validation, duplicates, constraints, template) and the page."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from partnerspace.clients import services
from partnerspace.clients.models import Client, ClientHistory, ClientStatus, Contact
from partnerspace.clients.selectors import client_duplicates
from partnerspace.clients.services import client_create
from partnerspace.clients.validation import message_for
from partnerspace.configuration.models import ClientIntegration, ConfigurationTemplate
from partnerspace.configuration.services import integration_install, template_create
from partnerspace.core.errors import Conflict, NotAllowed, ValidationFailed
from tests.factories import make_client

pytestmark = pytest.mark.django_db

JAN = {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "nl"}
ELS = {"first_name": "Els", "last_name": "Maes", "email": "els@alfa.example", "locale": "nl-BE"}


def create(membership, contacts=(JAN,), **data):
    data = {"legal_name": "Alfa Bouw BV", "country": "BE", **data}
    return client_create(membership=membership, data=data, contacts=list(contacts))


def conflict_of(membership, **data) -> Conflict:
    with pytest.raises(Conflict) as refused:
        create(membership, **data)
    return refused.value


# The service


def test_a_new_client_is_a_draft_with_normalized_data_and_its_first_contact_primary(firm_a):
    result = create(firm_a.manager, vat_number="be 0403.019.261", iban="BE71 0961 2345 6769")
    client = Client.objects.get(pk=result.client.pk)
    assert client.status == ClientStatus.DRAFT
    assert client.firm == firm_a.firm
    assert client.created_by == firm_a.manager.user
    assert (client.vat_number, client.company_number) == ("BE0403019261", "0403019261")
    assert client.iban == "BE71096123456769"
    [contact] = client.contacts.all()
    assert contact.is_primary
    assert contact.locale == "nl-BE"
    assert {w.field for w in result.warnings} >= {"vat_number", "iban", "contacts.0.locale"}


def test_a_client_needs_a_first_contact(firm_a):
    with pytest.raises(ValidationFailed) as failed:
        create(firm_a.manager, contacts=())
    assert [(e.field, e.code) for e in failed.value.errors] == [("contacts", "required")]
    assert not Client.objects.exists()


def test_company_and_contact_errors_are_reported_together_and_nothing_is_saved(firm_a):
    with pytest.raises(ValidationFailed) as failed:
        create(
            firm_a.manager,
            contacts=[JAN, {**ELS, "email": "els@"}],
            legal_name="",
            company_number="123",
        )
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("legal_name", "required"),
        ("company_number", "invalid_company_number"),
        ("contacts.1.email", "invalid_email"),
    }
    assert not Client.objects.exists()
    assert not Contact.objects.exists()


def test_as_many_contacts_as_needed_with_the_first_primary_when_none_is_chosen(firm_a):
    client = create(firm_a.manager, contacts=[JAN, ELS]).client
    primaries = [c.email for c in client.contacts.filter(is_primary=True)]
    assert client.contacts.count() == 2
    assert primaries == ["jan@alfa.example"]


def test_the_chosen_primary_contact_is_kept_and_only_one_is_primary(firm_a):
    third = {**ELS, "email": "piet@alfa.example", "is_primary": True}
    client = create(firm_a.manager, contacts=[JAN, {**ELS, "is_primary": True}, third]).client
    assert [c.email for c in client.contacts.filter(is_primary=True)] == ["els@alfa.example"]


def test_an_accountant_may_not_add_clients(firm_a):
    with pytest.raises(NotAllowed):
        create(firm_a.accountant)
    assert not Client.objects.exists()


def test_the_search_text_holds_the_company_and_its_contacts(firm_a):
    client = create(firm_a.manager, legal_name="Bêta Bouw", city="Gent").client
    client.refresh_from_db()
    assert "beta bouw" in client.search_text
    assert "jan@alfa.example" in client.search_text
    assert client.sort_name == "beta bouw"


# Duplicates


def test_duplicate_vat_names_the_existing_client(firm_a):
    existing = create(firm_a.manager, legal_name="Alfa Bouw BV", vat_number="BE0403019261").client
    refused = conflict_of(firm_a.manager, legal_name="Andere NV", vat_number="BE 0403.019.261")
    assert refused.code == "already_exists"
    assert refused.status == 409
    assert "Alfa Bouw BV" in refused.message
    assert refused.extra["existing_id"] == existing.pk
    assert refused.extra["existing_url"] == reverse(
        "clients:detail", args=[firm_a.firm.slug, existing.pk]
    )
    assert Client.objects.count() == 1


def test_an_enterprise_number_implied_by_a_vat_number_is_a_duplicate_too(firm_a):
    create(firm_a.manager, legal_name="Alfa Bouw BV", vat_number="BE0403019261")
    refused = conflict_of(firm_a.manager, legal_name="Andere NV", company_number="403019261")
    assert refused.field == "company_number"
    assert refused.extra["existing_name"] == "Alfa Bouw BV"


def test_duplicate_external_reference_names_the_existing_client(firm_a):
    create(firm_a.manager, legal_name="Alfa Bouw BV", external_reference="K-0042")
    refused = conflict_of(firm_a.manager, legal_name="Andere NV", external_reference="K-0042")
    assert (refused.code, refused.field) == ("already_exists", "external_reference")
    assert "Alfa Bouw BV" in refused.message


def test_two_firms_may_hold_the_same_company(firm_a, firm_b):
    create(firm_a.manager, vat_number="BE0403019261", external_reference="K-1")
    create(firm_b.manager, vat_number="BE0403019261", external_reference="K-1")
    assert Client.objects.filter(vat_number="BE0403019261").count() == 2


def test_clients_without_identifiers_are_not_duplicates_of_each_other(firm_a):
    create(firm_a.manager, legal_name="Eén")
    create(firm_a.manager, legal_name="Twee")
    assert Client.objects.filter(company_number=None, external_reference=None).count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vat_number", "BE0403019261"),
        ("company_number", "0403019261"),
        ("external_reference", "K-0042"),
    ],
)
def test_the_database_refuses_a_duplicate_that_bypasses_the_service(firm_a, field, value):
    Client.objects.create(firm=firm_a.firm, legal_name="Eerste", **{field: value})
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.create(firm=firm_a.firm, legal_name="Tweede", **{field: value})


def test_the_database_allows_the_same_number_in_another_firm(firm_a, firm_b):
    Client.objects.create(firm=firm_a.firm, legal_name="Alfa", vat_number="BE0403019261")
    Client.objects.create(firm=firm_b.firm, legal_name="Alfa", vat_number="BE0403019261")
    assert Client.objects.filter(vat_number="BE0403019261").count() == 2


def test_a_race_past_the_duplicate_check_ends_in_the_same_conflict(firm_a, monkeypatch):
    """The other request's insert lands between our check and our insert: the constraint
    catches it and the user gets the same refusal, naming the client, not a server error."""
    existing = create(firm_a.manager, legal_name="Alfa Bouw BV", vat_number="BE0403019261").client
    calls = []

    def check_that_runs_too_early(firm_id, values, **kwargs):
        calls.append(values)
        return {} if len(calls) == 1 else client_duplicates(firm_id, values, **kwargs)

    # The duplicate check lives in clients.services.duplicates.
    monkeypatch.setattr(services.duplicates, "client_duplicates", check_that_runs_too_early)
    refused = conflict_of(firm_a.manager, legal_name="Andere NV", vat_number="BE0403019261")
    assert refused.code == "already_exists"
    assert refused.extra["existing_id"] == existing.pk
    assert "Alfa Bouw BV" in refused.message
    assert len(calls) == 2
    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Alfa Bouw BV"]


# Templates


@pytest.fixture
def template(firm_a):
    integration_install(membership=firm_a.admin, key="exact_online", settings={"region": "be"})
    return template_create(
        membership=firm_a.admin,
        name="KMO",
        user_ids=[firm_a.accountant.pk],
        integrations=[{"integration": "exact_online"}],
        is_default=True,
    )


def test_the_template_is_applied_to_the_new_client(firm_a, template):
    client = client_create(
        membership=firm_a.manager,
        data={"legal_name": "Alfa", "country": "BE", "external_reference": "123456"},
        contacts=[JAN],
        template=template,
    ).client
    assert client.template_name == "KMO"
    assert list(client.assigned.all()) == [firm_a.accountant]
    link = ClientIntegration.objects.get(client=client)
    assert link.settings == {"division": "123456"}
    assert link.is_complete
    assert ClientHistory.objects.filter(client=client, action="template_applied").exists()


def test_a_failed_creation_applies_nothing_of_the_template(firm_a, template):
    with pytest.raises(ValidationFailed):
        client_create(
            membership=firm_a.manager,
            data={"legal_name": "", "country": "BE"},
            contacts=[JAN],
            template=template,
        )
    assert not ClientIntegration.objects.exists()
    assert not Client.objects.exists()


# The page


def add_url(firm, **query):
    url = reverse("clients:add", args=[firm.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


FORM = {
    "legal_name": "Alfa Bouw BV",
    "country": "BE",
    "vat_number": "BE0403019261",
    "contact-first_name": "Jan",
    "contact-last_name": "Peeters",
    "contact-email": "jan@alfa.example",
    "contact-locale": "nl-BE",
}


def test_without_templates_the_page_goes_straight_to_the_details(firm_a, web):
    response = web(firm_a.manager).get(add_url(firm_a.firm))
    assert response.status_code == 200
    assert "clients/form.html" in [t.name for t in response.templates]
    assert "client_form" in response.context and "contact_form" in response.context


def test_the_template_step_preselects_the_firms_default(firm_a, web, template):
    ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Andere")
    response = web(firm_a.manager).get(add_url(firm_a.firm))
    assert "clients/choose_template.html" in [t.name for t in response.templates]
    html = response.text
    assert f'value="{template.pk}" checked' in html
    assert 'value="" checked' not in html


def test_the_template_step_preselects_no_template_when_the_firm_has_no_default(firm_a, web):
    ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Enige")
    response = web(firm_a.manager).get(add_url(firm_a.firm))
    assert 'value="" checked' in response.text


def test_adding_through_the_page_creates_the_client_and_applies_the_chosen_template(
    firm_a, web, template
):
    response = web(firm_a.manager).post(add_url(firm_a.firm, template=template.pk), FORM)
    client = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[firm_a.firm.slug, client.pk])
    assert client.template == template
    assert list(client.assigned.all()) == [firm_a.accountant]
    assert client.contacts.get().email == "jan@alfa.example"


def test_a_template_of_another_firm_is_never_applied(firm_a, firm_b, web):
    theirs = template_create(membership=firm_b.admin, name="Van B", user_ids=[firm_b.accountant.pk])
    ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Van A")
    response = web(firm_a.manager).post(add_url(firm_a.firm, template=theirs.pk), FORM)
    assert response.status_code == 404
    assert not Client.objects.filter(template=theirs).exists()
    assert not firm_b.accountant.assigned_clients.exists()


def test_errors_are_shown_beside_their_fields_and_what_was_typed_is_kept(firm_a, web):
    typed = {**FORM, "vat_number": "BE0403019262", "contact-email": "jan@", "city": "Gent"}
    response = web(firm_a.manager).post(add_url(firm_a.firm), typed)
    assert response.status_code == 200
    client_form, contact_form = response.context["client_form"], response.context["contact_form"]
    with translation.override("nl"):
        assert client_form.errors["vat_number"] == [message_for("vat_checksum")]
        assert contact_form.errors["email"] == [message_for("invalid_email")]
    assert set(client_form.errors) == {"vat_number"}
    html = response.text
    assert 'value="BE0403019262"' in html
    assert 'value="jan@"' in html
    assert 'value="Gent"' in html
    assert html.count("has-error") == 2
    assert not Client.objects.exists()


def test_a_missing_name_is_reported_in_dutch_to_a_dutch_speaking_user(firm_a, web):
    response = web(firm_a.manager).post(add_url(firm_a.firm), {**FORM, "legal_name": ""})
    assert response.context["client_form"].errors["legal_name"] == ["Dit veld is verplicht."]


def test_a_missing_name_is_reported_in_english_to_an_english_speaking_user(firm_a, web):
    firm_a.manager.user.language = "en"
    firm_a.manager.user.save()
    response = web(firm_a.manager).post(add_url(firm_a.firm), {**FORM, "legal_name": ""})
    assert response.context["client_form"].errors["legal_name"] == ["This field is required."]


def test_the_page_refuses_a_duplicate_with_a_link_to_the_existing_client(firm_a, web):
    existing = make_client(firm_a.admin, "Bestaande BV", vat_number="BE0403019261")
    response = web(firm_a.manager).post(add_url(firm_a.firm), FORM)
    assert response.status_code == 200
    detail = reverse("clients:detail", args=[firm_a.firm.slug, existing.pk])
    assert 'data-testid="duplicate"' in response.text
    assert f'href="{detail}"' in response.text
    assert "Bestaande BV" in response.text
    assert Client.objects.count() == 1
    assert 'value="Alfa Bouw BV"' in response.text


def test_an_accountant_cannot_open_the_add_page(firm_a, web):
    assert web(firm_a.accountant).get(add_url(firm_a.firm)).status_code == 403
    assert web(firm_a.accountant).post(add_url(firm_a.firm), FORM).status_code == 403
    assert not Client.objects.exists()


def test_choosing_no_template_adds_the_client_without_one(firm_a, web, template):
    browser = web(firm_a.manager)
    assert "client_form" in browser.get(add_url(firm_a.firm, template="")).context
    browser.post(add_url(firm_a.firm, template=""), FORM)
    client = Client.objects.get()
    assert client.template is None
    assert not client.assigned.exists()


def test_repairs_made_to_what_was_typed_are_announced_after_adding(firm_a, web):
    typed = {**FORM, "vat_number": "", "company_number": "403.019.261"}
    response = web(firm_a.manager).post(add_url(firm_a.firm), typed, follow=True)
    warnings = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings
    assert all("403.019.261" in m.message and "0403019261" in m.message for m in warnings)
    assert Client.objects.get().company_number == "0403019261"
