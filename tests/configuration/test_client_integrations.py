"""A client's own integration links, and where the client now differs from its template."""

import pytest
from django.contrib.messages import get_messages
from django.utils import translation

from partnerspace.clients.models import ClientHistory, HistorySource
from partnerspace.clients.services import client_assignments_set
from partnerspace.configuration.catalog import setting_history_label
from partnerspace.configuration.models import ClientIntegration
from partnerspace.configuration.selectors import client_template_differences
from partnerspace.configuration.services import (
    client_integration_link,
    client_integration_unlink,
    client_integration_update,
    integration_install,
    template_create,
    template_delete,
)
from partnerspace.core.errors import Conflict, ValidationFailed
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _codes(failed: ValidationFailed) -> dict[str, str]:
    return {error.field: error.code for error in failed.errors}


def _page(client) -> str:
    return f"/f/alfa/clients/{client.pk}/"


@pytest.fixture
def exact(firm_a):
    return integration_install(membership=firm_a.admin, key="exact_online")


@pytest.fixture
def octopus(firm_a):
    return integration_install(membership=firm_a.admin, key="octopus")


@pytest.fixture
def dropbox(firm_a):
    return integration_install(membership=firm_a.admin, key="dropbox")


# Linking by hand


def test_linking_takes_the_clients_external_reference_where_the_integration_keys_by_it(
    firm_a, exact
):
    client = make_client(firm_a.admin, external_reference="4711")
    link = client_integration_link(
        membership=firm_a.manager, client=client, integration_id=exact.pk
    )
    assert link.settings == {"division": "4711"}
    assert link.is_complete
    entry = ClientHistory.objects.get(client=client, action="integration_linked")
    assert entry.changes == [{"field": "integration", "old": None, "new": "Exact Online"}]
    assert entry.actor == firm_a.manager.user


def test_a_setting_given_when_linking_wins_over_the_external_reference(firm_a, exact):
    client = make_client(firm_a.admin, external_reference="4711")
    link = client_integration_link(
        membership=firm_a.admin, client=client, integration_id=exact.pk, settings={"division": "8"}
    )
    assert link.settings == {"division": "8"}


@pytest.mark.parametrize("reference", ["KL-001", "12a", "12345678901"])
def test_an_external_reference_that_is_no_valid_value_there_is_not_copied_when_linking(
    firm_a, exact, reference
):
    client = make_client(firm_a.admin, external_reference=reference)
    with pytest.raises(ValidationFailed) as refused:
        client_integration_link(membership=firm_a.admin, client=client, integration_id=exact.pk)
    # Asked for the division, not told off about a value nobody typed there.
    assert [(e.field, e.code, e.value) for e in refused.value.errors] == [
        ("settings.division", "required", None)
    ]
    assert not ClientIntegration.objects.exists()


def test_an_invalid_external_reference_does_not_stand_in_the_way_of_a_given_setting(firm_a, exact):
    client = make_client(firm_a.admin, external_reference="KL-001")
    link = client_integration_link(
        membership=firm_a.admin, client=client, integration_id=exact.pk, settings={"division": "7"}
    )
    assert (link.settings, link.is_complete) == ({"division": "7"}, True)


def test_an_external_reference_valid_for_the_integration_is_still_copied(firm_a):
    winbooks = integration_install(membership=firm_a.admin, key="winbooks")
    client = make_client(firm_a.admin, external_reference="KL-001")
    link = client_integration_link(
        membership=firm_a.admin, client=client, integration_id=winbooks.pk
    )
    assert link.settings == {"dossier": "KL-001"}


def test_linking_without_the_required_setting_is_refused(firm_a, exact):
    client = make_client(firm_a.admin)
    with pytest.raises(ValidationFailed) as refused:
        client_integration_link(membership=firm_a.admin, client=client, integration_id=exact.pk)
    assert _codes(refused.value) == {"settings.division": "required"}
    assert not ClientIntegration.objects.exists()


@pytest.mark.parametrize(
    ("key", "settings", "field", "code"),
    [
        ("exact_online", {"division": "12a"}, "settings.division", "invalid_setting"),
        ("octopus", {"dossier_mailbox": "dossier42"}, "settings.dossier_mailbox", "invalid_email"),
        ("dropbox", {"folder_path": "Klanten/Peeters"}, "settings.folder_path", "invalid_setting"),
    ],
)
def test_per_client_settings_are_validated_when_linking(firm_a, key, settings, field, code):
    integration = integration_install(membership=firm_a.admin, key=key)
    client = make_client(firm_a.admin)
    with pytest.raises(ValidationFailed) as refused:
        client_integration_link(
            membership=firm_a.admin, client=client, integration_id=integration.pk, settings=settings
        )
    assert _codes(refused.value) == {field: code}
    assert not ClientIntegration.objects.exists()


def test_an_integration_is_linked_to_a_client_once(firm_a, octopus):
    client = make_client(firm_a.admin)
    mailbox = {"dossier_mailbox": "d@octopus.be"}
    client_integration_link(
        membership=firm_a.admin, client=client, integration_id=octopus.pk, settings=mailbox
    )
    with pytest.raises(Conflict) as refused:
        client_integration_link(
            membership=firm_a.admin, client=client, integration_id=octopus.pk, settings=mailbox
        )
    assert refused.value.code == "already_linked"
    assert ClientIntegration.objects.count() == 1


@pytest.mark.parametrize("integration_id", ["not-a-number", None, 999_999])
def test_linking_an_integration_that_does_not_exist_is_refused(firm_a, integration_id):
    client = make_client(firm_a.admin)
    with pytest.raises(ValidationFailed) as refused:
        client_integration_link(
            membership=firm_a.admin, client=client, integration_id=integration_id
        )
    assert _codes(refused.value) == {"integration": "unknown_integration"}


def test_linking_another_firms_integration_is_refused(firm_a, firm_b):
    theirs = integration_install(membership=firm_b.admin, key="octopus")
    client = make_client(firm_a.admin)
    with pytest.raises(ValidationFailed) as refused:
        client_integration_link(
            membership=firm_a.admin,
            client=client,
            integration_id=theirs.pk,
            settings={"dossier_mailbox": "d@octopus.be"},
        )
    assert _codes(refused.value) == {"integration": "unknown_integration"}
    assert not ClientIntegration.objects.exists()


# Changing and unlinking


def test_updating_a_link_validates_in_full_and_completes_it(firm_a, exact):
    template = template_create(
        membership=firm_a.admin, name="Exact", integrations=[{"integration": exact.pk}]
    )
    client = make_client(firm_a.admin, template=template)
    link = client.integration_links.get()
    assert not link.is_complete
    with pytest.raises(ValidationFailed):
        client_integration_update(membership=firm_a.admin, link=link, settings={"division": ""})
    with pytest.raises(ValidationFailed):
        client_integration_update(membership=firm_a.admin, link=link, settings={"division": "x"})
    link.refresh_from_db()
    assert (link.settings, link.is_complete) == ({}, False)

    client_integration_update(membership=firm_a.admin, link=link, settings={"division": "77"})
    link.refresh_from_db()
    assert (link.settings, link.is_complete) == ({"division": "77"}, True)
    entry = ClientHistory.objects.get(client=client, action="integration_updated")
    assert entry.changes == [{"field": "exact_online.division", "old": None, "new": "77"}]


def test_saving_unchanged_settings_records_no_history(firm_a, octopus):
    client = make_client(firm_a.admin)
    settings = {"dossier_mailbox": "d@octopus.be"}
    link = client_integration_link(
        membership=firm_a.admin, client=client, integration_id=octopus.pk, settings=settings
    )
    client_integration_update(membership=firm_a.admin, link=link, settings=settings)
    assert not ClientHistory.objects.filter(action="integration_updated").exists()


def test_unlinking_removes_the_link_and_says_so_in_the_history(firm_a, octopus):
    client = make_client(firm_a.admin)
    link = client_integration_link(
        membership=firm_a.admin,
        client=client,
        integration_id=octopus.pk,
        settings={"dossier_mailbox": "d@octopus.be"},
    )
    client_integration_unlink(membership=firm_a.admin, link=link)
    assert not ClientIntegration.objects.exists()
    entry = ClientHistory.objects.get(client=client, action="integration_unlinked")
    assert entry.changes == [{"field": "integration", "old": "Octopus", "new": None}]


# Which door, and how the history names a setting


def test_the_history_of_a_link_names_the_door_it_came_through(firm_a, octopus):
    client = make_client(firm_a.admin)
    link = client_integration_link(
        membership=firm_a.admin,
        client=client,
        integration_id=octopus.pk,
        settings={"dossier_mailbox": "d@octopus.be"},
        source=HistorySource.API,
    )
    client_integration_update(
        membership=firm_a.admin,
        link=link,
        settings={"dossier_mailbox": "e@octopus.be"},
        source=HistorySource.CLIENT,
    )
    client_integration_unlink(membership=firm_a.admin, link=link, source=HistorySource.API)
    sources = dict(
        ClientHistory.objects.filter(client=client, action__startswith="integration_").values_list(
            "action", "source"
        )
    )
    assert sources == {
        "integration_linked": HistorySource.API,
        "integration_updated": HistorySource.CLIENT,
        "integration_unlinked": HistorySource.API,
    }


def test_the_history_of_a_link_made_by_staff_says_staff(firm_a, octopus):
    client = make_client(firm_a.admin)
    link = client_integration_link(
        membership=firm_a.admin,
        client=client,
        integration_id=octopus.pk,
        settings={"dossier_mailbox": "d@octopus.be"},
    )
    client_integration_update(
        membership=firm_a.admin, link=link, settings={"dossier_mailbox": "e@octopus.be"}
    )
    client_integration_unlink(membership=firm_a.admin, link=link)
    sources = ClientHistory.objects.filter(client=client, action__startswith="integration_")
    assert set(sources.values_list("source", flat=True)) == {HistorySource.STAFF}


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("nl", "Exact Online · Divisie (bedrijfscode)"),
        ("fr", "Exact Online · Division (code de l'entreprise)"),
        ("en", "Exact Online · Division (company code)"),
    ],
)
def test_a_changed_setting_is_stored_by_key_and_labelled_in_the_readers_language(
    firm_a, exact, language, label
):
    client = make_client(firm_a.admin, external_reference="111")
    link = client_integration_link(membership=firm_a.admin, client=client, integration_id=exact.pk)
    client_integration_update(membership=firm_a.admin, link=link, settings={"division": "222"})
    change = ClientHistory.objects.get(client=client, action="integration_updated").changes[0]
    assert change == {"field": "exact_online.division", "old": "111", "new": "222"}
    with translation.override(language):
        assert setting_history_label(change["field"]) == label


@pytest.mark.parametrize(
    "field", ["legal_name", "Exact Online: division", "exact_online.region", "unknown.division"]
)
def test_only_a_per_client_setting_of_the_catalog_gets_a_setting_label(field):
    assert setting_history_label(field) is None


# The client page


def test_the_client_page_shows_linked_integrations_their_settings_and_incomplete_ones(
    firm_a, web, exact, dropbox
):
    template = template_create(
        membership=firm_a.admin,
        name="Standaard",
        integrations=[
            {"integration": exact.pk},
            {"integration": dropbox.pk, "settings": {"folder_path": "/Klanten"}},
        ],
    )
    client = make_client(firm_a.admin, template=template)
    response = web(firm_a.admin).get(_page(client))
    assert response.status_code == 200
    assert [link.firm_integration.key for link in response.context["links"]] == [
        "dropbox",
        "exact_online",
    ]
    assert 'data-integration="exact_online"' in response.text
    assert '<span data-setting="folder_path">/Klanten</span>' in response.text
    # One link is incomplete: Exact's division is still missing.
    assert response.text.count("badge-warning") == 1
    # Both installed integrations are linked: nothing left to offer.
    assert response.context["installable"] == []


def test_linking_by_hand_through_the_page(firm_a, web, exact, octopus):
    client = make_client(firm_a.admin, external_reference="4711")
    browser = web(firm_a.admin)
    response = browser.post(f"{_page(client)}integrations/link/", {"integration": exact.pk})
    assert response.status_code == 302
    assert response.url == f"{_page(client)}#integrations"
    assert client.integration_links.get().settings == {"division": "4711"}
    offered = browser.get(_page(client)).context["installable"]
    assert [integration.key for integration in offered] == ["octopus"]


def test_linking_through_the_page_asks_for_the_missing_settings(firm_a, web, octopus):
    client = make_client(firm_a.admin)
    browser = web(firm_a.admin)
    response = browser.post(f"{_page(client)}integrations/link/", {"integration": octopus.pk})
    new = f"{_page(client)}integrations/new/?integration={octopus.pk}"
    assert response.status_code == 302 and response.url == new
    assert not ClientIntegration.objects.exists()
    assert browser.get(new).status_code == 200

    refused = browser.post(
        f"{_page(client)}integrations/new/",
        {"integration": octopus.pk, "dossier_mailbox": "geen-adres"},
    )
    assert refused.status_code == 200
    assert refused.context["fields"][0]["error"]
    assert not ClientIntegration.objects.exists()

    response = browser.post(
        f"{_page(client)}integrations/new/",
        {"integration": octopus.pk, "dossier_mailbox": "dossier@octopus.be"},
    )
    assert response.status_code == 302
    assert client.integration_links.get().settings == {"dossier_mailbox": "dossier@octopus.be"}


def test_linking_through_the_page_asks_for_a_division_the_reference_cannot_be(firm_a, web, exact):
    client = make_client(firm_a.admin, external_reference="KL-001")
    response = web(firm_a.admin).post(
        f"{_page(client)}integrations/link/", {"integration": exact.pk}
    )
    assert response.url == f"{_page(client)}integrations/new/?integration={exact.pk}"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Dit veld is verplicht."]


def test_the_link_form_starts_from_the_external_reference(firm_a, web, exact):
    client = make_client(firm_a.admin, external_reference="4711")
    response = web(firm_a.admin).get(f"{_page(client)}integrations/new/?integration={exact.pk}")
    assert response.context["fields"][0]["value"] == "4711"
    assert 'value="4711"' in response.text


def test_the_link_form_leaves_out_a_reference_that_is_no_valid_value_there(firm_a, web, exact):
    client = make_client(firm_a.admin, external_reference="KL-001")
    response = web(firm_a.admin).get(f"{_page(client)}integrations/new/?integration={exact.pk}")
    assert response.context["fields"][0]["value"] == ""
    assert 'value="KL-001"' not in response.text


def test_editing_a_links_settings_through_the_page(firm_a, web, dropbox):
    client = make_client(firm_a.admin)
    link = client_integration_link(
        membership=firm_a.admin,
        client=client,
        integration_id=dropbox.pk,
        settings={"folder_path": "/Klanten"},
    )
    url = f"{_page(client)}integrations/{link.pk}/"
    browser = web(firm_a.admin)
    refused = browser.post(url, {"folder_path": "Klanten/Peeters"})
    assert refused.status_code == 200
    link.refresh_from_db()
    assert link.settings == {"folder_path": "/Klanten"}
    assert browser.post(url, {"folder_path": "/Klanten/Peeters"}).status_code == 302
    link.refresh_from_db()
    assert link.settings == {"folder_path": "/Klanten/Peeters"}


def test_unlinking_through_the_page(firm_a, web, dropbox):
    client = make_client(firm_a.admin)
    link = client_integration_link(
        membership=firm_a.admin,
        client=client,
        integration_id=dropbox.pk,
        settings={"folder_path": "/Klanten"},
    )
    url = f"{_page(client)}integrations/{link.pk}/unlink/"
    assert web(firm_a.admin).get(url).status_code == 405
    assert web(firm_a.admin).post(url).status_code == 302
    assert not ClientIntegration.objects.exists()


def test_another_firms_integration_or_link_is_404_on_the_client_pages(firm_a, firm_b, web):
    theirs = integration_install(membership=firm_b.admin, key="octopus")
    their_client = make_client(firm_b.admin)
    their_link = ClientIntegration.objects.create(
        client=their_client, firm_integration=theirs, settings={"dossier_mailbox": "x@y.be"}
    )
    client = make_client(firm_a.admin)
    browser = web(firm_a.admin)
    new = f"{_page(client)}integrations/new/"
    assert browser.get(f"{new}?integration={theirs.pk}").status_code == 404
    response = browser.post(new, {"integration": theirs.pk, "dossier_mailbox": "a@b.be"})
    assert response.status_code == 404
    assert browser.get(f"{_page(client)}integrations/{their_link.pk}/").status_code == 404
    assert browser.post(f"{_page(client)}integrations/{their_link.pk}/unlink/").status_code == 404
    browser.post(f"{_page(client)}integrations/link/", {"integration": theirs.pk})
    assert not client.integration_links.exists()
    assert ClientIntegration.objects.filter(pk=their_link.pk).exists()


# Where a client now differs from its template


@pytest.fixture
def standaard(firm_a, exact, dropbox):
    return template_create(
        membership=firm_a.admin,
        name="Standaard",
        user_ids=[firm_a.accountant.pk],
        integrations=[
            {"integration": exact.pk},
            {"integration": dropbox.pk, "settings": {"folder_path": "/Klanten"}},
        ],
    )


def _differences(client) -> set[tuple[str, str]]:
    return {(d.kind, d.label) for d in client_template_differences(client)}


def test_a_client_just_made_from_a_template_does_not_differ_from_it(firm_a, standaard, web):
    client = make_client(firm_a.admin, template=standaard, external_reference="4711")
    assert _differences(client) == set()
    response = web(firm_a.admin).get(_page(client))
    assert "Standaard" in response.text
    assert 'data-testid="template-differences"' not in response.text


def test_a_client_without_template_has_no_differences(firm_a, standaard):
    assert client_template_differences(make_client(firm_a.admin)) == []


def test_staff_changes_show_as_differences(firm_a, standaard):
    client = make_client(firm_a.admin, template=standaard, external_reference="4711")
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.manager.pk]
    )
    assert _differences(client) == {
        ("user_added", str(firm_a.manager.user)),
        ("user_removed", str(firm_a.accountant.user)),
    }


def test_integration_changes_show_as_differences(firm_a, standaard, octopus):
    client = make_client(firm_a.admin, template=standaard, external_reference="4711")
    client_integration_unlink(
        membership=firm_a.admin, link=client.integration_links.get(firm_integration__key="dropbox")
    )
    client_integration_link(
        membership=firm_a.admin,
        client=client,
        integration_id=octopus.pk,
        settings={"dossier_mailbox": "d@octopus.be"},
    )
    assert _differences(client) == {
        ("integration_removed", "Dropbox"),
        ("integration_added", "Octopus"),
    }


def test_own_settings_where_the_template_set_one_show_as_a_difference(firm_a, standaard):
    client = make_client(firm_a.admin, template=standaard, external_reference="4711")
    dropbox_link = client.integration_links.get(firm_integration__key="dropbox")
    client_integration_update(
        membership=firm_a.admin, link=dropbox_link, settings={"folder_path": "/Anders"}
    )
    # The division came from the client, not the template: filling it in is no difference.
    exact_link = client.integration_links.get(firm_integration__key="exact_online")
    client_integration_update(membership=firm_a.admin, link=exact_link, settings={"division": "5"})
    assert _differences(client) == {("settings", "Dropbox")}


def test_the_client_page_names_the_template_and_lists_the_differences(firm_a, standaard, web):
    client = make_client(firm_a.admin, template=standaard, external_reference="4711")
    client_assignments_set(
        membership=firm_a.admin,
        client=client,
        membership_ids=[firm_a.accountant.pk, firm_a.manager.pk],
    )
    response = web(firm_a.admin).get(_page(client))
    assert response.status_code == 200
    assert [(d.kind, d.label) for d in response.context["template_differences"]] == [
        ("user_added", str(firm_a.manager.user))
    ]
    notice = response.text.split('data-testid="template-differences"', 1)[1].split("</div>", 1)[0]
    assert "Standaard" in notice
    assert str(firm_a.manager.user) in notice


def test_after_its_template_is_deleted_a_client_shows_no_differences(firm_a, standaard, web):
    client = make_client(firm_a.admin, template=standaard, external_reference="4711")
    client_assignments_set(membership=firm_a.admin, client=client, membership_ids=[])
    template_delete(membership=firm_a.admin, template=standaard)
    client.refresh_from_db()
    assert client_template_differences(client) == []
    response = web(firm_a.admin).get(_page(client))
    assert 'data-testid="template-differences"' not in response.text
    assert "Standaard" in response.text
