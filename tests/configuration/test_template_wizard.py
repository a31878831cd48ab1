"""Nieuw sjabloon maken: three steps kept in the session; the database sees only the last one."""

import pytest

from partnerspace.configuration.models import ConfigurationTemplate, TemplateIntegration
from partnerspace.configuration.services import integration_install, template_create

pytestmark = pytest.mark.django_db

TEMPLATES = "/f/alfa/configuration/templates/"
NEW = f"{TEMPLATES}new/"


def _step(browser, step: int, direction: str = "next", url: str = NEW, **data):
    return browser.post(url, {"step": str(step), "direction": direction, **data})


def _wizard_keys(browser) -> list[str]:
    return [key for key in dict(browser.session.items()) if key.startswith("template_wizard:")]


@pytest.fixture
def exact(firm_a):
    return integration_install(
        membership=firm_a.admin, key="exact_online", settings={"region": "be"}
    )


@pytest.fixture
def dropbox(firm_a):
    return integration_install(membership=firm_a.admin, key="dropbox")


def test_the_gear_on_the_client_list_leads_administrators_to_the_templates(firm_a, web):
    listed = web(firm_a.admin).get("/f/alfa/clients/")
    assert 'data-testid="templates-gear"' in listed.text
    assert f'href="{TEMPLATES}"' in listed.text
    templates = web(firm_a.admin).get(TEMPLATES)
    assert templates.status_code == 200
    assert f'href="{NEW}"' in templates.text


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_other_roles_get_no_gear_on_the_client_list(firm_a, web, role):
    listed = web(getattr(firm_a, role)).get("/f/alfa/clients/")
    assert listed.status_code == 200
    assert 'data-testid="templates-gear"' not in listed.text
    assert f'href="{TEMPLATES}"' not in listed.text


def test_three_steps_then_save_creates_the_template_with_all_that_was_entered(
    firm_a, web, exact, dropbox
):
    browser = web(firm_a.admin)
    first = browser.get(NEW)
    assert first.status_code == 200 and first.context["step"] == 1

    response = _step(browser, 1, name="Standaard", description="Voor kmo's")
    assert response.status_code == 302 and response.url == f"{NEW}?step=2"
    assert browser.get(response.url).context["step"] == 2

    response = _step(browser, 2, users=[str(firm_a.accountant.pk), str(firm_a.manager.pk)])
    assert response.status_code == 302 and response.url == f"{NEW}?step=3"
    assert browser.get(response.url).context["step"] == 3
    assert not ConfigurationTemplate.objects.exists()
    assert len(_wizard_keys(browser)) == 1

    response = _step(
        browser,
        3,
        "save",
        integrations=[str(exact.pk), str(dropbox.pk)],
        **{f"setting-{exact.pk}-division": "", f"setting-{dropbox.pk}-folder_path": "/Klanten"},
    )
    assert response.status_code == 302 and response.url == TEMPLATES
    template = ConfigurationTemplate.objects.get()
    assert (template.firm, template.name, template.description) == (
        firm_a.firm,
        "Standaard",
        "Voor kmo's",
    )
    assert not template.is_default
    assert set(template.users.all()) == {firm_a.accountant, firm_a.manager}
    assert dict(template.integration_links.values_list("firm_integration", "settings")) == {
        exact.pk: {},
        dropbox.pk: {"folder_path": "/Klanten"},
    }
    # Saved: the wizard's memory is gone.
    assert _wizard_keys(browser) == []


def test_back_and_forth_keeps_what_was_entered_and_saves_nothing(firm_a, web, exact, dropbox):
    browser = web(firm_a.admin)
    browser.get(NEW)
    _step(browser, 1, name="Standaard", description="Voor kmo's", is_default="on")
    _step(browser, 2, users=[str(firm_a.accountant.pk)])
    # On step 3, tick Dropbox and type a folder, then go back.
    response = _step(
        browser,
        3,
        "back",
        integrations=[str(dropbox.pk)],
        **{f"setting-{dropbox.pk}-folder_path": "/Klanten/Kmo"},
    )
    assert response.status_code == 302 and response.url == f"{NEW}?step=2"

    step_2 = browser.get(response.url)
    assert step_2.context["state"]["user_ids"] == [firm_a.accountant.pk]
    assert f'value="{firm_a.accountant.pk}" checked' in step_2.text
    assert f'value="{firm_a.manager.pk}" checked' not in step_2.text

    response = _step(browser, 2, "back", users=[str(firm_a.accountant.pk)])
    assert response.url == f"{NEW}?step=1"
    step_1 = browser.get(response.url)
    assert step_1.context["step"] == 1
    assert 'value="Standaard"' in step_1.text
    assert "Voor kmo&#x27;s" in step_1.text
    assert step_1.context["name_form"]["is_default"].value() is True

    # Forward again: step 3 still holds Dropbox and its folder.
    _step(browser, 1, name="Standaard", description="Voor kmo's", is_default="on")
    _step(browser, 2, users=[str(firm_a.accountant.pk)])
    step_3 = browser.get(f"{NEW}?step=3")
    chosen = {item["installed"].key: item for item in step_3.context["integrations"]}
    assert chosen["dropbox"]["checked"] and not chosen["exact_online"]["checked"]
    assert chosen["dropbox"]["fields"][0]["value"] == "/Klanten/Kmo"
    assert 'value="/Klanten/Kmo"' in step_3.text

    assert not ConfigurationTemplate.objects.exists()
    assert not TemplateIntegration.objects.exists()

    _step(
        browser,
        3,
        "save",
        integrations=[str(dropbox.pk)],
        **{f"setting-{dropbox.pk}-folder_path": "/Klanten/Kmo"},
    )
    template = ConfigurationTemplate.objects.get()
    assert template.is_default
    assert list(template.users.all()) == [firm_a.accountant]
    assert list(template.integration_links.values_list("settings", flat=True)) == [
        {"folder_path": "/Klanten/Kmo"}
    ]


def test_a_wizard_left_half_way_leaves_nothing_and_a_new_start_is_empty(firm_a, web, exact):
    browser = web(firm_a.admin)
    browser.get(NEW)
    _step(browser, 1, name="Half af")
    _step(browser, 2, users=[str(firm_a.accountant.pk)])
    # The user walks away (to the list) at step 3.
    assert browser.get(TEMPLATES).status_code == 200
    assert not ConfigurationTemplate.objects.exists()
    assert not TemplateIntegration.objects.exists()

    # Coming back through "Nieuw sjabloon maken" starts afresh.
    again = browser.get(NEW)
    assert again.context["state"]["name"] == ""
    assert again.context["state"]["user_ids"] == []
    assert 'value="Half af"' not in again.text
    assert not ConfigurationTemplate.objects.exists()


def test_a_wizard_of_another_administrator_is_not_shared(firm_a, web):
    from tests.factories import make_member

    colleague = make_member(firm_a.firm, "administrator")
    mine = web(firm_a.admin)
    mine.get(NEW)
    _step(mine, 1, name="Van Anna")
    theirs = web(colleague).get(f"{NEW}?step=2")
    assert theirs.context["state"]["name"] == ""


def test_step_one_requires_a_name_and_stays_on_step_one(firm_a, web):
    browser = web(firm_a.admin)
    browser.get(NEW)
    response = _step(browser, 1, name="   ", description="Iets")
    assert response.status_code == 200
    assert response.context["step"] == 1
    assert "Dit veld is verplicht." in response.text
    assert not ConfigurationTemplate.objects.exists()


def test_step_one_refuses_a_name_taken_in_another_case(firm_a, web):
    template_create(membership=firm_a.admin, name="Standaard")
    browser = web(firm_a.admin)
    browser.get(NEW)
    response = _step(browser, 1, name="standaard")
    assert response.status_code == 200
    assert response.context["step"] == 1
    assert response.context["name_form"].errors["name"]
    assert ConfigurationTemplate.objects.count() == 1


def test_the_name_of_another_firms_template_is_free(firm_a, firm_b, web):
    template_create(membership=firm_b.admin, name="Standaard")
    browser = web(firm_a.admin)
    browser.get(NEW)
    assert _step(browser, 1, name="Standaard").status_code == 302
    _step(browser, 2)
    assert _step(browser, 3, "save").status_code == 302
    assert ConfigurationTemplate.objects.filter(firm=firm_a.firm, name="Standaard").exists()


def test_invalid_integration_settings_at_the_last_step_save_nothing_and_keep_the_input(
    firm_a, web, exact
):
    browser = web(firm_a.admin)
    browser.get(NEW)
    _step(browser, 1, name="Exact")
    _step(browser, 2)
    response = _step(
        browser, 3, "save", integrations=[str(exact.pk)], **{f"setting-{exact.pk}-division": "abc"}
    )
    assert response.status_code == 200
    assert response.context["step"] == 3
    row = response.context["integrations"][0]
    assert row["checked"]
    assert row["fields"][0]["value"] == "abc"
    assert row["fields"][0]["error"]
    assert 'class="field has-error"' in response.text
    assert not ConfigurationTemplate.objects.exists()

    response = _step(
        browser, 3, "save", integrations=[str(exact.pk)], **{f"setting-{exact.pk}-division": "12"}
    )
    assert response.status_code == 302
    assert ConfigurationTemplate.objects.get().integration_links.get().settings == {
        "division": "12"
    }


def test_a_user_of_another_firm_slipped_into_step_two_is_refused_at_save(firm_a, firm_b, web):
    browser = web(firm_a.admin)
    browser.get(NEW)
    _step(browser, 1, name="Standaard")
    _step(browser, 2, users=[str(firm_a.accountant.pk), str(firm_b.accountant.pk)])
    response = _step(browser, 3, "save")
    assert response.status_code == 200
    assert response.context["general_errors"]
    assert not ConfigurationTemplate.objects.exists()


def test_another_firms_user_is_never_offered_in_step_two(firm_a, firm_b, web):
    browser = web(firm_a.admin)
    browser.get(NEW)
    _step(browser, 1, name="Standaard")
    step_2 = browser.get(f"{NEW}?step=2")
    offered = {member.pk for member in step_2.context["staff"]}
    assert offered == {firm_a.admin.pk, firm_a.manager.pk, firm_a.accountant.pk}
    assert str(firm_b.accountant.user) not in step_2.text


def test_another_firms_integration_slipped_into_step_three_is_not_linked(firm_a, firm_b, web):
    theirs = integration_install(membership=firm_b.admin, key="octopus")
    browser = web(firm_a.admin)
    browser.get(NEW)
    _step(browser, 1, name="Standaard")
    _step(browser, 2)
    _step(browser, 3, "save", integrations=[str(theirs.pk)])
    assert not TemplateIntegration.objects.filter(firm_integration=theirs).exists()


def test_jumping_to_the_last_step_without_a_name_saves_nothing(firm_a, web):
    browser = web(firm_a.admin)
    response = _step(browser, 3, "save")
    assert response.status_code == 200
    assert response.context["general_errors"]
    assert not ConfigurationTemplate.objects.exists()


# Editing goes through the same three steps


def test_editing_starts_from_the_template_and_saves_at_the_end(firm_a, web, exact):
    template = template_create(
        membership=firm_a.admin,
        name="Standaard",
        user_ids=[firm_a.accountant.pk],
        integrations=[{"integration": exact.pk, "settings": {"division": "7"}}],
    )
    edit = f"{TEMPLATES}{template.pk}/edit/"
    browser = web(firm_a.admin)
    first = browser.get(edit)
    assert 'value="Standaard"' in first.text
    step_3 = browser.get(f"{edit}?step=3")
    assert step_3.context["integrations"][0]["checked"]
    assert step_3.context["integrations"][0]["fields"][0]["value"] == "7"

    _step(browser, 1, url=edit, name="Standaard kmo")
    _step(browser, 2, url=edit, users=[str(firm_a.manager.pk)])
    template.refresh_from_db()
    assert template.name == "Standaard"
    assert list(template.users.all()) == [firm_a.accountant]

    response = _step(browser, 3, "save", url=edit)  # Exact unticked
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "Standaard kmo"
    assert list(template.users.all()) == [firm_a.manager]
    assert not template.integration_links.exists()


def test_an_edit_left_half_way_changes_nothing(firm_a, web):
    template = template_create(
        membership=firm_a.admin, name="Standaard", user_ids=[firm_a.accountant.pk]
    )
    edit = f"{TEMPLATES}{template.pk}/edit/"
    browser = web(firm_a.admin)
    browser.get(edit)
    _step(browser, 1, url=edit, name="Iets anders")
    _step(browser, 2, url=edit, users=[])
    template.refresh_from_db()
    assert template.name == "Standaard"
    assert list(template.users.all()) == [firm_a.accountant]
    # Opening the edit page again starts from the template, not the abandoned input.
    assert browser.get(edit).context["state"]["name"] == "Standaard"


def test_editing_keeps_the_template_own_name_in_another_case(firm_a, web):
    template = template_create(membership=firm_a.admin, name="standaard")
    edit = f"{TEMPLATES}{template.pk}/edit/"
    browser = web(firm_a.admin)
    browser.get(edit)
    assert _step(browser, 1, url=edit, name="Standaard").status_code == 302
    _step(browser, 2, url=edit)
    assert _step(browser, 3, "save", url=edit).status_code == 302
    template.refresh_from_db()
    assert template.name == "Standaard"
