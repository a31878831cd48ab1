"""Instellingen → Integraties: an Administrator installs an integration once for the firm."""

import pytest

from partnerspace.configuration.models import ClientIntegration, FirmIntegration
from partnerspace.configuration.services import (
    integration_install,
    integration_remove,
    integration_update,
    template_create,
)
from partnerspace.core.errors import Conflict, NotAllowed, ValidationFailed
from partnerspace.firms.models import AuditEvent
from tests.factories import make_client

pytestmark = pytest.mark.django_db

LIST = "/f/alfa/configuration/integrations/"


def _install_url(key: str) -> str:
    return f"/f/alfa/configuration/integrations/install/{key}/"


def _codes(failed: ValidationFailed) -> dict[str, str]:
    return {error.field: error.code for error in failed.errors}


# The service


def test_administrator_installs_an_integration_with_its_firm_settings(firm_a):
    integration = integration_install(
        membership=firm_a.admin, key="exact_online", settings={"region": "be"}
    )
    assert integration.firm == firm_a.firm
    assert integration.settings == {"region": "be"}
    assert integration.installed_by == firm_a.admin.user
    event = AuditEvent.objects.get(action="integration.installed")
    assert event.firm == firm_a.firm and event.target_id == str(integration.pk)


def test_exact_online_region_outside_be_and_nl_is_refused_and_nothing_installed(firm_a):
    with pytest.raises(ValidationFailed) as refused:
        integration_install(membership=firm_a.admin, key="exact_online", settings={"region": "de"})
    assert _codes(refused.value) == {"settings.region": "invalid_setting"}
    assert not FirmIntegration.objects.exists()


def test_an_integration_outside_the_catalog_is_refused(firm_a):
    with pytest.raises(ValidationFailed) as refused:
        integration_install(membership=firm_a.admin, key="sap")
    assert _codes(refused.value) == {"key": "unknown_integration"}
    assert not FirmIntegration.objects.exists()


def test_the_same_integration_is_installed_once_per_firm(firm_a, firm_b):
    integration_install(membership=firm_a.admin, key="octopus")
    with pytest.raises(Conflict) as refused:
        integration_install(membership=firm_a.admin, key="octopus")
    assert refused.value.code == "already_installed"
    # Another firm installs its own.
    integration_install(membership=firm_b.admin, key="octopus")
    assert FirmIntegration.objects.filter(key="octopus").count() == 2


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_only_an_administrator_installs_updates_or_removes(firm_a, role):
    someone = getattr(firm_a, role)
    with pytest.raises(NotAllowed):
        integration_install(membership=someone, key="octopus")
    integration = integration_install(membership=firm_a.admin, key="exact_online")
    with pytest.raises(NotAllowed):
        integration_update(membership=someone, integration=integration, settings={"region": "nl"})
    with pytest.raises(NotAllowed):
        integration_remove(membership=someone, integration=integration)
    integration.refresh_from_db()
    assert integration.settings == {}


def test_updating_validates_the_firm_settings_again(firm_a):
    integration = integration_install(
        membership=firm_a.admin, key="exact_online", settings={"region": "be"}
    )
    with pytest.raises(ValidationFailed):
        integration_update(
            membership=firm_a.admin, integration=integration, settings={"region": "x"}
        )
    integration.refresh_from_db()
    assert integration.settings == {"region": "be"}
    integration_update(membership=firm_a.admin, integration=integration, settings={"region": "nl"})
    integration.refresh_from_db()
    assert integration.settings == {"region": "nl"}


def test_removing_an_integration_no_client_uses_deletes_it(firm_a):
    integration = integration_install(membership=firm_a.admin, key="octopus")
    integration_remove(membership=firm_a.admin, integration=integration)
    assert not FirmIntegration.objects.exists()
    assert AuditEvent.objects.filter(action="integration.removed").count() == 1


def test_removing_an_integration_clients_still_use_is_refused_with_their_count(firm_a):
    integration = integration_install(membership=firm_a.admin, key="dropbox")
    template = template_create(
        membership=firm_a.admin,
        name="Dropbox",
        integrations=[{"integration": integration.pk, "settings": {"folder_path": "/Klanten"}}],
    )
    make_client(firm_a.admin, template=template)
    make_client(firm_a.admin, template=template)
    make_client(firm_a.admin)  # not linked: not counted
    with pytest.raises(Conflict) as refused:
        integration_remove(membership=firm_a.admin, integration=integration)
    assert refused.value.code == "in_use"
    assert refused.value.extra == {"client_count": 2}
    assert FirmIntegration.objects.filter(pk=integration.pk).exists()
    assert ClientIntegration.objects.filter(firm_integration=integration).count() == 2


def test_the_database_keeps_a_firm_integration_that_clients_use(firm_a):
    from django.db import transaction
    from django.db.models import ProtectedError

    integration = integration_install(membership=firm_a.admin, key="octopus")
    client = make_client(firm_a.admin)
    ClientIntegration.objects.create(client=client, firm_integration=integration)
    with pytest.raises(ProtectedError), transaction.atomic():
        integration.delete()


# The pages


def test_integrations_page_lists_the_whole_catalog_and_marks_what_is_installed(firm_a, web):
    from partnerspace.configuration.catalog import INTEGRATIONS

    integration_install(membership=firm_a.admin, key="yuki")
    response = web(firm_a.admin).get(LIST)
    assert response.status_code == 200
    for spec in INTEGRATIONS:
        assert f'data-integration="{spec.key}"' in response.text
    # The installed one offers removal, the others installing.
    assert f"/integrations/{FirmIntegration.objects.get().pk}/remove/" in response.text
    assert _install_url("octopus") in response.text
    assert _install_url("yuki") not in response.text


def test_installing_through_the_page_stores_the_settings(firm_a, web):
    response = web(firm_a.admin).post(_install_url("exact_online"), {"region": "nl"})
    assert response.status_code == 302
    assert response.url == LIST
    assert FirmIntegration.objects.get(firm=firm_a.firm).settings == {"region": "nl"}


def test_the_firm_settings_are_stored_as_cleaned_not_as_typed(firm_a, web):
    web(firm_a.admin).post(_install_url("exact_online"), {"region": ""})
    web(firm_a.admin).post(_install_url("dropbox"), {"account": " Docs@Alfa.BE "})
    stored = dict(FirmIntegration.objects.values_list("key", "settings"))
    assert stored == {"exact_online": {}, "dropbox": {"account": "Docs@alfa.be"}}


def test_installing_with_a_wrong_region_shows_the_form_again_and_installs_nothing(firm_a, web):
    response = web(firm_a.admin).post(_install_url("exact_online"), {"region": "de"})
    assert response.status_code == 200
    assert 'class="field has-error"' in response.text
    assert 'value="de"' in response.text
    assert not FirmIntegration.objects.exists()


def test_an_integration_without_firm_settings_installs_in_one_click(firm_a, web):
    response = web(firm_a.admin).post(_install_url("octopus"))
    assert response.status_code == 302
    assert FirmIntegration.objects.get().key == "octopus"


def test_the_install_page_of_an_unknown_integration_installs_nothing(firm_a, web):
    response = web(firm_a.admin).post(_install_url("sap"))
    assert response.status_code == 302
    assert not FirmIntegration.objects.exists()


def test_editing_the_firm_settings_through_the_page(firm_a, web):
    integration = integration_install(membership=firm_a.admin, key="exact_online")
    url = f"/f/alfa/configuration/integrations/{integration.pk}/"
    assert web(firm_a.admin).get(url).status_code == 200
    refused = web(firm_a.admin).post(url, {"region": "fr"})
    assert refused.status_code == 200
    integration.refresh_from_db()
    assert integration.settings == {}
    assert web(firm_a.admin).post(url, {"region": "be"}).status_code == 302
    integration.refresh_from_db()
    assert integration.settings == {"region": "be"}


def test_removing_through_the_page_is_refused_while_clients_use_it(firm_a, web):
    integration = integration_install(membership=firm_a.admin, key="octopus")
    client = make_client(firm_a.admin)
    ClientIntegration.objects.create(
        client=client, firm_integration=integration, settings={"dossier_mailbox": "a@b.be"}
    )
    url = f"/f/alfa/configuration/integrations/{integration.pk}/remove/"
    response = web(firm_a.admin).post(url, follow=True)
    assert response.status_code == 200
    assert FirmIntegration.objects.filter(pk=integration.pk).exists()
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 1 and "1" in messages[0]


def test_removing_through_the_page(firm_a, web):
    integration = integration_install(membership=firm_a.admin, key="octopus")
    url = f"/f/alfa/configuration/integrations/{integration.pk}/remove/"
    assert web(firm_a.admin).post(url).status_code == 302
    assert not FirmIntegration.objects.exists()


def test_removing_needs_a_post(firm_a, web):
    integration = integration_install(membership=firm_a.admin, key="octopus")
    url = f"/f/alfa/configuration/integrations/{integration.pk}/remove/"
    assert web(firm_a.admin).get(url).status_code == 405
    assert FirmIntegration.objects.exists()


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_client_manager_and_accountant_get_403_on_every_integration_page(firm_a, web, role):
    integration = integration_install(membership=firm_a.admin, key="exact_online")
    browser = web(getattr(firm_a, role))
    base = "/f/alfa/configuration/integrations"
    for url in (
        f"{base}/",
        f"{base}/install/octopus/",
        f"{base}/install/sap/",
        f"{base}/{integration.pk}/",
    ):
        assert browser.get(url).status_code == 403, url
    for url in (
        f"{base}/install/octopus/",
        f"{base}/{integration.pk}/",
        f"{base}/{integration.pk}/remove/",
    ):
        assert browser.post(url, {"region": "nl"}).status_code == 403, url
    assert list(FirmIntegration.objects.values_list("key", "settings")) == [("exact_online", {})]


def test_another_firms_integration_is_404_for_an_administrator(firm_a, firm_b, web):
    theirs = integration_install(membership=firm_b.admin, key="exact_online")
    browser = web(firm_a.admin)
    assert browser.get(f"/f/alfa/configuration/integrations/{theirs.pk}/").status_code == 404
    assert (
        browser.post(f"/f/alfa/configuration/integrations/{theirs.pk}/", {"region": "nl"})
    ).status_code == 404
    assert (
        browser.post(f"/f/alfa/configuration/integrations/{theirs.pk}/remove/")
    ).status_code == 404
    theirs.refresh_from_db()
    assert theirs.settings == {}


def test_the_integration_services_refuse_another_firms_integration_as_not_found(firm_a, firm_b):
    from django.http import Http404

    theirs = integration_install(
        membership=firm_b.admin, key="exact_online", settings={"region": "nl"}
    )
    with pytest.raises(Http404):
        integration_update(membership=firm_a.admin, integration=theirs, settings={"region": "be"})
    with pytest.raises(Http404):
        integration_remove(membership=firm_a.admin, integration=theirs)
    theirs.refresh_from_db()
    assert theirs.settings == {"region": "nl"}
