"""/api/v1/templates and /api/v1/integrations: read by everyone, templates changed by admins."""

import pytest

from partnerspace.accounts.models import User
from partnerspace.configuration.catalog import INTEGRATIONS
from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.configuration.services import integration_install, template_create
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def octopus(firm_a):
    return integration_install(membership=firm_a.admin, key="octopus")


@pytest.fixture
def standard(firm_a, octopus):
    return template_create(
        membership=firm_a.admin,
        name="Standaard",
        description="Voor de meeste klanten",
        user_ids=[firm_a.accountant.pk],
        integrations=[{"integration": "octopus", "settings": {"dossier_mailbox": "in@oct.be"}}],
        is_default=True,
    )


def errors_of(response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.content
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


# Reading


def test_everyone_in_the_firm_lists_the_templates_with_their_client_count(
    firm_a, api, standard, octopus
):
    make_client(firm_a.admin, template=standard)
    make_client(firm_a.admin, template=standard)

    for membership in (firm_a.admin, firm_a.manager, firm_a.accountant):
        response = api(membership).get("/templates")
        assert response.status_code == 200
        [template] = response.json()
        assert template["id"] == standard.pk
        assert (template["name"], template["description"]) == (
            "Standaard",
            "Voor de meeste klanten",
        )
        assert (template["is_default"], template["client_count"]) == (True, 2)
        assert template["users"] == [firm_a.accountant.pk]
        assert template["integrations"] == [
            {
                "id": octopus.pk,
                "key": "octopus",
                "name": "Octopus",
                "settings": {"dossier_mailbox": "in@oct.be"},
            }
        ]


def test_one_template_and_another_firms_is_404(firm_a, firm_b, api, standard):
    theirs = ConfigurationTemplate.objects.create(firm=firm_b.firm, name="Sjabloon Bêta")
    manager = api(firm_a.manager)

    assert manager.get(f"/templates/{standard.pk}").json()["name"] == "Standaard"
    assert manager.get(f"/templates/{theirs.pk}").status_code == 404


# Writing


def test_an_administrator_creates_a_template(firm_a, api, octopus):
    response = api(firm_a.admin).post(
        "/templates",
        {
            "name": "Vrije beroepen",
            "users": [firm_a.manager.pk],
            "integrations": [{"integration": octopus.pk}],
            "is_default": True,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    template = ConfigurationTemplate.objects.get(pk=body["id"])
    assert (template.firm, template.name, template.is_default) == (
        firm_a.firm,
        "Vrije beroepen",
        True,
    )
    assert body["users"] == [firm_a.manager.pk]
    assert [link["key"] for link in body["integrations"]] == ["octopus"]
    assert body["client_count"] == 0


def test_template_errors_answer_422_all_at_once(firm_a, firm_b, api, standard):
    response = api(firm_a.admin).post(
        "/templates",
        {
            "name": "STANDAARD",
            "users": [firm_b.accountant.pk],
            "integrations": [{"integration": "yuki"}],
        },
    )

    assert errors_of(response) == {
        ("name", "already_exists"),
        ("users", "unknown_user"),
        ("integrations.0.integration", "unknown_integration"),
    }
    assert ConfigurationTemplate.objects.count() == 1


def test_a_template_needs_a_name(firm_a, api):
    assert errors_of(api(firm_a.admin).post("/templates", {})) == {("name", "required")}


def test_patch_changes_only_the_fields_sent(firm_a, api, standard, octopus):
    response = api(firm_a.admin).patch(f"/templates/{standard.pk}", {"description": "Nieuw"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["description"], body["is_default"]) == ("Standaard", "Nieuw", True)
    assert body["users"] == [firm_a.accountant.pk]
    assert body["integrations"][0]["settings"] == {"dossier_mailbox": "in@oct.be"}


def test_patch_replaces_users_and_integrations_when_sent(firm_a, api, standard):
    response = api(firm_a.admin).patch(
        f"/templates/{standard.pk}", {"users": [firm_a.manager.pk], "integrations": []}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["users"], response.json()["integrations"]) == ([firm_a.manager.pk], [])


def test_a_new_default_template_replaces_the_old_one(firm_a, api, standard):
    other = template_create(membership=firm_a.admin, name="Vrije beroepen")

    response = api(firm_a.admin).patch(f"/templates/{other.pk}", {"is_default": True})

    assert response.json()["is_default"] is True
    assert list(ConfigurationTemplate.objects.filter(is_default=True)) == [other]


def test_delete_a_template_answers_204_and_its_clients_keep_its_name(firm_a, api, standard):
    client = make_client(firm_a.admin, template=standard)

    response = api(firm_a.admin).delete(f"/templates/{standard.pk}")

    assert response.status_code == 204
    assert not ConfigurationTemplate.objects.exists()
    client.refresh_from_db()
    assert (client.template, client.template_name) == (None, "Standaard")


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_only_administrators_change_templates(firm_a, api, standard, role):
    other = api(getattr(firm_a, role))

    created = other.post("/templates", {"name": "Nieuw"})
    changed = other.patch(f"/templates/{standard.pk}", {"name": "Anders"})
    deleted = other.delete(f"/templates/{standard.pk}")

    assert (created.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert created.json()["code"] == "not_allowed"
    assert list(ConfigurationTemplate.objects.values_list("name", flat=True)) == ["Standaard"]


# The integration catalog


def test_the_catalog_says_which_integrations_the_firm_installed(firm_a, firm_b, api, octopus):
    integration_install(membership=firm_b.admin, key="yuki")
    User.objects.filter(pk=firm_a.accountant.user_id).update(language="en")

    response = api(firm_a.accountant).get("/integrations")

    assert response.status_code == 200
    entries = {entry["key"]: entry for entry in response.json()}
    assert list(entries) == [spec.key for spec in INTEGRATIONS]
    assert (entries["octopus"]["installed"], entries["octopus"]["id"]) == (True, octopus.pk)
    # Another firm's installation is not this firm's.
    assert (entries["yuki"]["installed"], entries["yuki"]["id"]) == (False, None)
    assert entries["octopus"]["client_fields"] == [
        {
            "key": "dossier_mailbox",
            "label": "Dossier mailbox address",
            "required": True,
            "kind": "email",
        }
    ]
    assert entries["exact_online"]["firm_fields"][0]["key"] == "region"
    assert entries["exact_online"]["category"] == "accounting"
    assert entries["dropbox"]["description"]
