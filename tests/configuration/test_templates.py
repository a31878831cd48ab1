"""Configuration templates: unique names, one default, edit, duplicate, delete, who may."""

import pytest
from django.db import IntegrityError, transaction

from partnerspace.clients.models import ClientAssignment
from partnerspace.configuration import selectors
from partnerspace.configuration.models import (
    ClientIntegration,
    ConfigurationTemplate,
    TemplateIntegration,
)
from partnerspace.configuration.services import (
    integration_install,
    template_create,
    template_delete,
    template_duplicate,
    template_make_default,
    template_update,
)
from partnerspace.core.errors import NotAllowed, ValidationFailed
from partnerspace.firms.models import AuditEvent
from tests.factories import make_client

pytestmark = pytest.mark.django_db

TEMPLATES = "/f/alfa/configuration/templates/"


def _codes(failed: ValidationFailed) -> dict[str, str]:
    return {error.field: error.code for error in failed.errors}


def _full_template(people, name="Standaard", **extra):
    """A template with the accountant assigned and Exact Online and Dropbox linked."""
    exact = integration_install(membership=people.admin, key="exact_online")
    dropbox = integration_install(membership=people.admin, key="dropbox")
    return template_create(
        membership=people.admin,
        name=name,
        description="Voor kmo's",
        user_ids=[people.accountant.pk],
        integrations=[
            {"integration": exact.pk},
            {"integration": "dropbox", "settings": {"folder_path": "/Klanten"}},
        ],
        **extra,
    ), (exact, dropbox)


# Creating


def test_administrator_creates_a_template_with_users_and_integrations(firm_a):
    template, (exact, dropbox) = _full_template(firm_a)
    assert template.firm == firm_a.firm
    assert template.name == "Standaard"
    assert template.description == "Voor kmo's"
    assert list(template.users.all()) == [firm_a.accountant]
    links = {link.firm_integration: link.settings for link in template.integration_links.all()}
    assert links == {exact: {}, dropbox: {"folder_path": "/Klanten"}}
    assert AuditEvent.objects.filter(action="template.created", firm=firm_a.firm).count() == 1


def test_name_is_required_and_stripped(firm_a):
    with pytest.raises(ValidationFailed) as refused:
        template_create(membership=firm_a.admin, name="   ")
    assert _codes(refused.value) == {"name": "required"}
    assert template_create(membership=firm_a.admin, name="  Standaard  ").name == "Standaard"


def test_name_longer_than_100_characters_is_refused(firm_a):
    with pytest.raises(ValidationFailed) as refused:
        template_create(membership=firm_a.admin, name="x" * 101)
    assert _codes(refused.value) == {"name": "too_long"}
    assert not ConfigurationTemplate.objects.exists()


def test_names_are_unique_in_the_firm_whatever_the_case(firm_a):
    template_create(membership=firm_a.admin, name="Standaard")
    with pytest.raises(ValidationFailed) as refused:
        template_create(membership=firm_a.admin, name="standaard")
    assert _codes(refused.value) == {"name": "already_exists"}
    with pytest.raises(ValidationFailed):
        template_create(membership=firm_a.admin, name=" STANDAARD ")
    assert ConfigurationTemplate.objects.count() == 1


def test_the_database_refuses_a_same_name_in_another_case_that_bypasses_the_service(firm_a):
    ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Standaard")
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfigurationTemplate.objects.create(firm=firm_a.firm, name="standaard")


def test_two_firms_may_use_the_same_name(firm_a, firm_b):
    template_create(membership=firm_a.admin, name="Standaard")
    template_create(membership=firm_b.admin, name="Standaard")
    ConfigurationTemplate.objects.create(firm=firm_b.firm, name="Kmo")
    ConfigurationTemplate.objects.create(firm=firm_a.firm, name="KMO")
    assert ConfigurationTemplate.objects.count() == 4


def test_a_user_of_another_firm_is_refused(firm_a, firm_b):
    with pytest.raises(ValidationFailed) as refused:
        template_create(
            membership=firm_a.admin, name="Standaard", user_ids=[firm_a.manager.pk, firm_b.admin.pk]
        )
    assert _codes(refused.value) == {"users": "unknown_user"}
    assert not ConfigurationTemplate.objects.exists()


def test_an_integration_of_another_firm_is_refused(firm_a, firm_b):
    theirs = integration_install(membership=firm_b.admin, key="octopus")
    with pytest.raises(ValidationFailed) as refused:
        template_create(
            membership=firm_a.admin, name="Standaard", integrations=[{"integration": theirs.pk}]
        )
    assert _codes(refused.value) == {"integrations.0.integration": "unknown_integration"}
    assert not ConfigurationTemplate.objects.exists()


def test_an_integration_the_firm_has_not_installed_is_refused(firm_a):
    with pytest.raises(ValidationFailed) as refused:
        template_create(
            membership=firm_a.admin, name="Standaard", integrations=[{"integration": "yuki"}]
        )
    assert _codes(refused.value) == {"integrations.0.integration": "unknown_integration"}


def test_template_settings_are_validated_but_may_leave_required_ones_for_later(firm_a):
    integration_install(membership=firm_a.admin, key="exact_online")
    integration_install(membership=firm_a.admin, key="octopus")
    with pytest.raises(ValidationFailed) as refused:
        template_create(
            membership=firm_a.admin,
            name="Standaard",
            integrations=[
                {"integration": "exact_online", "settings": {"division": "KL-1"}},
                {"integration": "octopus", "settings": {"dossier_mailbox": "nope"}},
            ],
        )
    assert _codes(refused.value) == {
        "integrations.0.settings.division": "invalid_setting",
        "integrations.1.settings.dossier_mailbox": "invalid_email",
    }
    # Required per-client settings left empty are fine in a template.
    template = template_create(
        membership=firm_a.admin,
        name="Standaard",
        integrations=[{"integration": "exact_online"}, {"integration": "octopus"}],
    )
    assert template.integration_links.count() == 2


def test_the_same_integration_given_twice_is_linked_once(firm_a):
    octopus = integration_install(membership=firm_a.admin, key="octopus")
    template = template_create(
        membership=firm_a.admin,
        name="Standaard",
        integrations=[{"integration": octopus.pk}, {"integration": "octopus"}],
    )
    assert template.integration_links.count() == 1


# The default


def test_the_database_holds_one_default_per_firm(firm_a, firm_b):
    ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Een", is_default=True)
    ConfigurationTemplate.objects.create(firm=firm_b.firm, name="Een", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Twee", is_default=True)


def test_making_another_template_default_unsets_the_first(firm_a, firm_b):
    first = template_create(membership=firm_a.admin, name="Een", is_default=True)
    second = template_create(membership=firm_a.admin, name="Twee")
    theirs = template_create(membership=firm_b.admin, name="Een", is_default=True)
    template_make_default(membership=firm_a.admin, template=second)
    assert selectors.template_default(firm_a.firm) == second
    first.refresh_from_db()
    assert not first.is_default
    # Another firm's default is its own business.
    assert selectors.template_default(firm_b.firm) == theirs


def test_creating_a_default_template_unsets_the_previous_default(firm_a):
    first = template_create(membership=firm_a.admin, name="Een", is_default=True)
    second = template_create(membership=firm_a.admin, name="Twee", is_default=True)
    assert list(ConfigurationTemplate.objects.filter(is_default=True)) == [second]
    first.refresh_from_db()
    assert not first.is_default


def test_editing_a_template_into_the_default_unsets_the_previous_default(firm_a):
    first = template_create(membership=firm_a.admin, name="Een", is_default=True)
    second = template_create(membership=firm_a.admin, name="Twee")
    template_update(membership=firm_a.admin, template=second, name="Twee", is_default=True)
    assert selectors.template_default(firm_a.firm) == second
    first.refresh_from_db()
    assert not first.is_default


def test_the_make_default_button_through_the_page(firm_a, web):
    first = template_create(membership=firm_a.admin, name="Een", is_default=True)
    second = template_create(membership=firm_a.admin, name="Twee")
    response = web(firm_a.admin).post(f"{TEMPLATES}{second.pk}/default/")
    assert response.status_code == 302
    assert selectors.template_default(firm_a.firm) == second
    first.refresh_from_db()
    assert not first.is_default


# Editing


def test_editing_replaces_name_users_and_integrations(firm_a):
    template, (exact, _dropbox) = _full_template(firm_a)
    template_update(
        membership=firm_a.admin,
        template=template,
        name="Kmo",
        description="",
        user_ids=[firm_a.manager.pk],
        integrations=[{"integration": exact.pk, "settings": {"division": "42"}}],
    )
    template.refresh_from_db()
    assert template.name == "Kmo" and template.description == ""
    assert list(template.users.all()) == [firm_a.manager]
    assert list(template.integration_links.values_list("firm_integration", "settings")) == [
        (exact.pk, {"division": "42"})
    ]
    assert AuditEvent.objects.filter(action="template.updated").count() == 1


def test_a_template_may_keep_its_own_name_in_another_case(firm_a):
    template = template_create(membership=firm_a.admin, name="standaard")
    template_update(membership=firm_a.admin, template=template, name="Standaard")
    template.refresh_from_db()
    assert template.name == "Standaard"


def test_editing_into_the_name_of_another_template_is_refused(firm_a):
    template_create(membership=firm_a.admin, name="Een")
    second = template_create(membership=firm_a.admin, name="Twee")
    with pytest.raises(ValidationFailed) as refused:
        template_update(membership=firm_a.admin, template=second, name="EEN")
    assert _codes(refused.value) == {"name": "already_exists"}
    second.refresh_from_db()
    assert second.name == "Twee"


def test_editing_a_template_changes_no_client_made_from_it(firm_a):
    template, (exact, dropbox) = _full_template(firm_a)
    client = make_client(firm_a.admin, template=template, external_reference="4711")
    before_links = dict(client.integration_links.values_list("firm_integration", "settings"))
    template_update(
        membership=firm_a.admin,
        template=template,
        name="Kmo",
        user_ids=[firm_a.manager.pk],
        integrations=[],
    )
    client.refresh_from_db()
    assert list(client.assigned.all()) == [firm_a.accountant]
    assert (
        dict(client.integration_links.values_list("firm_integration", "settings")) == before_links
    )
    assert before_links == {exact.pk: {"division": "4711"}, dropbox.pk: {"folder_path": "/Klanten"}}
    assert client.template == template
    assert client.template_name == "Standaard"


# Duplicating


def test_duplicating_copies_users_integrations_and_settings_but_not_the_default(firm_a):
    template, _integrations = _full_template(firm_a, is_default=True)
    copy = template_duplicate(membership=firm_a.admin, template=template)
    assert copy.pk != template.pk
    assert copy.name != template.name and template.name in copy.name
    assert copy.description == template.description
    assert not copy.is_default
    assert set(copy.users.all()) == set(template.users.all())
    assert dict(copy.integration_links.values_list("firm_integration", "settings")) == dict(
        template.integration_links.values_list("firm_integration", "settings")
    )
    template.refresh_from_db()
    assert template.is_default


def test_duplicating_twice_gives_two_distinct_names(firm_a):
    template = template_create(membership=firm_a.admin, name="Standaard")
    first = template_duplicate(membership=firm_a.admin, template=template)
    second = template_duplicate(membership=firm_a.admin, template=template)
    names = [t.name.lower() for t in ConfigurationTemplate.objects.all()]
    assert len(set(names)) == 3
    assert first.name != second.name


def test_duplicating_a_template_with_the_longest_name_stays_within_the_limit(firm_a):
    template = template_create(membership=firm_a.admin, name="x" * 100)
    first = template_duplicate(membership=firm_a.admin, template=template)
    second = template_duplicate(membership=firm_a.admin, template=template)
    assert len(first.name) <= 100 and len(second.name) <= 100
    assert first.name != second.name


def test_the_duplicate_button_through_the_page(firm_a, web):
    template, _integrations = _full_template(firm_a)
    response = web(firm_a.admin).post(f"{TEMPLATES}{template.pk}/duplicate/")
    assert response.status_code == 302
    assert ConfigurationTemplate.objects.filter(firm=firm_a.firm).count() == 2
    assert TemplateIntegration.objects.count() == 4


# Deleting


def test_deleting_a_template_leaves_its_clients_as_they_were(firm_a):
    template, _integrations = _full_template(firm_a)
    client = make_client(firm_a.admin, template=template)
    links_before = dict(client.integration_links.values_list("firm_integration", "settings"))
    template_delete(membership=firm_a.admin, template=template)
    assert not ConfigurationTemplate.objects.exists()
    assert not TemplateIntegration.objects.exists()
    client.refresh_from_db()
    assert client.template is None
    assert client.template_name == "Standaard"
    assert list(
        ClientAssignment.objects.filter(client=client).values_list("membership", flat=True)
    ) == [firm_a.accountant.pk]
    assert (
        dict(client.integration_links.values_list("firm_integration", "settings")) == links_before
    )
    assert ClientIntegration.objects.filter(client=client).count() == 2
    event = AuditEvent.objects.get(action="template.deleted")
    assert event.data == {"clients": 1}


def test_the_client_page_still_names_a_deleted_template(firm_a, web):
    template = template_create(membership=firm_a.admin, name="Verdwenen sjabloon")
    client = make_client(firm_a.admin, template=template)
    template_delete(membership=firm_a.admin, template=template)
    response = web(firm_a.admin).get(f"/f/alfa/clients/{client.pk}/")
    assert response.status_code == 200
    assert "Verdwenen sjabloon" in response.text


def test_the_delete_button_through_the_page(firm_a, web):
    template = template_create(membership=firm_a.admin, name="Standaard")
    browser = web(firm_a.admin)
    assert browser.get(f"{TEMPLATES}{template.pk}/delete/").status_code == 405
    assert ConfigurationTemplate.objects.exists()
    assert browser.post(f"{TEMPLATES}{template.pk}/delete/").status_code == 302
    assert not ConfigurationTemplate.objects.exists()


# The list page


def test_the_template_list_shows_each_template_with_its_users_integrations_and_clients(
    firm_a, firm_b, web
):
    template, _integrations = _full_template(firm_a, is_default=True)
    make_client(firm_a.admin, template=template)
    template_create(membership=firm_b.admin, name="Geheim van Bêta")
    response = web(firm_a.admin).get(TEMPLATES)
    assert response.status_code == 200
    rows = response.context["templates"]
    assert [(t.name, t.client_count) for t in rows] == [("Standaard", 1)]
    assert 'data-template="Standaard"' in response.text
    assert str(firm_a.accountant.user) in response.text
    assert "Exact Online" in response.text and "Dropbox" in response.text
    assert "Geheim van Bêta" not in response.text


def test_templates_are_listed_by_name_whatever_the_case(firm_a):
    for name in ("beta", "Alfa", "gamma", "Delta"):
        template_create(membership=firm_a.admin, name=name)
    names = [t.name for t in selectors.templates_of_firm(firm_a.firm)]
    assert names == ["Alfa", "beta", "Delta", "gamma"]


# Who may


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_only_an_administrator_manages_templates_in_the_services(firm_a, role):
    someone = getattr(firm_a, role)
    template = template_create(membership=firm_a.admin, name="Standaard")
    with pytest.raises(NotAllowed) as refused:
        template_create(membership=someone, name="Eigen")
    assert refused.value.code == "not_allowed"
    with pytest.raises(NotAllowed):
        template_update(membership=someone, template=template, name="Anders")
    with pytest.raises(NotAllowed):
        template_duplicate(membership=someone, template=template)
    with pytest.raises(NotAllowed):
        template_make_default(membership=someone, template=template)
    with pytest.raises(NotAllowed):
        template_delete(membership=someone, template=template)
    assert list(ConfigurationTemplate.objects.values_list("name", "is_default")) == [
        ("Standaard", False)
    ]


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_client_manager_and_accountant_get_403_on_every_template_page(firm_a, web, role):
    template = template_create(membership=firm_a.admin, name="Standaard")
    browser = web(getattr(firm_a, role))
    for url in (
        TEMPLATES,
        f"{TEMPLATES}new/",
        f"{TEMPLATES}new/?step=3",
        f"{TEMPLATES}{template.pk}/edit/",
    ):
        assert browser.get(url).status_code == 403, url
    for url in (
        f"{TEMPLATES}new/",
        f"{TEMPLATES}{template.pk}/edit/",
        f"{TEMPLATES}{template.pk}/duplicate/",
        f"{TEMPLATES}{template.pk}/delete/",
        f"{TEMPLATES}{template.pk}/default/",
    ):
        response = browser.post(url, {"step": "1", "name": "Anders", "direction": "next"})
        assert response.status_code == 403, url
    assert list(ConfigurationTemplate.objects.values_list("name", "is_default")) == [
        ("Standaard", False)
    ]


def test_another_firms_template_is_404_on_every_page(firm_a, firm_b, web):
    theirs = template_create(membership=firm_b.admin, name="Bêta")
    browser = web(firm_a.admin)
    assert browser.get(f"{TEMPLATES}{theirs.pk}/edit/").status_code == 404
    for action in ("edit", "duplicate", "delete", "default"):
        response = browser.post(f"{TEMPLATES}{theirs.pk}/{action}/", {"step": "1", "name": "X"})
        assert response.status_code == 404, action
    theirs.refresh_from_db()
    assert theirs.name == "Bêta" and not theirs.is_default
    assert ConfigurationTemplate.objects.count() == 1


def test_the_template_services_refuse_another_firms_template_as_not_found(firm_a, firm_b):
    from django.http import Http404

    ours = template_create(membership=firm_a.admin, name="Onze", is_default=True)
    theirs = template_create(membership=firm_b.admin, name="Bêta", user_ids=[firm_b.accountant.pk])
    with pytest.raises(Http404):
        template_update(membership=firm_a.admin, template=theirs, name="Overgenomen")
    with pytest.raises(Http404):
        template_duplicate(membership=firm_a.admin, template=theirs)
    with pytest.raises(Http404):
        template_make_default(membership=firm_a.admin, template=theirs)
    with pytest.raises(Http404):
        template_delete(membership=firm_a.admin, template=theirs)
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_default) == ("Bêta", False)
    assert list(theirs.users.all()) == [firm_b.accountant]
    assert selectors.template_default(firm_a.firm) == ours
    assert ConfigurationTemplate.objects.count() == 2
