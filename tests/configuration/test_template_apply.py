"""Applying a template to a new client: its staff and integrations, in the client's transaction."""

import pytest
from django.db import transaction

from partnerspace.clients.models import Client, ClientAssignment, ClientHistory, Contact
from partnerspace.configuration.models import ClientIntegration
from partnerspace.configuration.services import (
    integration_install,
    template_apply,
    template_create,
)
from tests.factories import make_client

pytestmark = pytest.mark.django_db

ADD = "/f/alfa/clients/new/"


@pytest.fixture
def exact(firm_a):
    return integration_install(
        membership=firm_a.admin, key="exact_online", settings={"region": "be"}
    )


@pytest.fixture
def dropbox(firm_a):
    return integration_install(membership=firm_a.admin, key="dropbox")


@pytest.fixture
def octopus(firm_a):
    return integration_install(membership=firm_a.admin, key="octopus")


@pytest.fixture
def standaard(firm_a, exact, dropbox):
    return template_create(
        membership=firm_a.admin,
        name="Standaard",
        user_ids=[firm_a.accountant.pk, firm_a.manager.pk],
        integrations=[
            {"integration": exact.pk},
            {"integration": dropbox.pk, "settings": {"folder_path": "/Klanten"}},
        ],
    )


def _links(client) -> dict[str, tuple[dict, bool]]:
    return {
        link.firm_integration.key: (link.settings, link.is_complete)
        for link in client.integration_links.select_related("firm_integration")
    }


def test_a_client_made_with_a_template_gets_its_staff_and_integrations(firm_a, standaard):
    client = make_client(firm_a.manager, template=standaard, external_reference="4711")
    assert client.template == standaard
    assert client.template_name == "Standaard"
    assert set(client.assigned.all()) == {firm_a.accountant, firm_a.manager}
    assert _links(client) == {
        "exact_online": ({"division": "4711"}, True),
        "dropbox": ({"folder_path": "/Klanten"}, True),
    }


def test_the_history_records_the_template_and_what_it_brought(firm_a, standaard):
    client = make_client(firm_a.manager, template=standaard, external_reference="4711")
    entry = ClientHistory.objects.get(client=client, action="template_applied")
    assert entry.actor == firm_a.manager.user
    assert entry.source == "staff"
    changes = {(change["field"], change["new"]) for change in entry.changes}
    assert changes == {
        ("template", "Standaard"),
        ("assigned", str(firm_a.accountant.user)),
        ("assigned", str(firm_a.manager.user)),
        ("integration", "Exact Online"),
        ("integration", "Dropbox"),
    }


def test_without_a_template_nothing_is_assigned_or_linked(firm_a, standaard):
    client = make_client(firm_a.manager)
    assert client.template is None and client.template_name == ""
    assert not client.assignments.exists()
    assert not client.integration_links.exists()
    assert not client.history.filter(action="template_applied").exists()


def test_a_required_setting_without_external_reference_leaves_the_link_incomplete(
    firm_a, standaard
):
    client = make_client(firm_a.manager, template=standaard)
    assert _links(client) == {
        "exact_online": ({}, False),
        "dropbox": ({"folder_path": "/Klanten"}, True),
    }


def test_a_required_setting_no_external_reference_can_fill_leaves_the_link_incomplete(
    firm_a, octopus
):
    template = template_create(
        membership=firm_a.admin, name="Octopus", integrations=[{"integration": octopus.pk}]
    )
    client = make_client(firm_a.manager, template=template, external_reference="4711")
    assert _links(client) == {"octopus": ({}, False)}


def test_a_setting_the_template_gives_wins_over_the_external_reference(firm_a, exact):
    template = template_create(
        membership=firm_a.admin,
        name="Vaste divisie",
        integrations=[{"integration": exact.pk, "settings": {"division": "1"}}],
    )
    client = make_client(firm_a.manager, template=template, external_reference="4711")
    assert _links(client) == {"exact_online": ({"division": "1"}, True)}


def test_an_external_reference_the_integration_cannot_use_leaves_the_link_incomplete(firm_a, exact):
    """Exact divisions are digits: a reference like KL-001 must not pass for one."""
    template = template_create(
        membership=firm_a.admin, name="Exact", integrations=[{"integration": exact.pk}]
    )
    client = make_client(firm_a.manager, template=template, external_reference="KL-001")
    settings, is_complete = _links(client)["exact_online"]
    assert not is_complete
    assert settings.get("division") != "KL-001"


def test_the_template_as_it_was_when_the_client_was_made_is_what_the_client_keeps(
    firm_a, standaard, octopus
):
    from partnerspace.configuration.services import template_update

    client = make_client(firm_a.manager, template=standaard)
    template_update(
        membership=firm_a.admin,
        template=standaard,
        name="Standaard",
        user_ids=[firm_a.admin.pk],
        integrations=[{"integration": octopus.pk}],
    )
    later = make_client(firm_a.manager, template=standaard)
    assert set(client.assigned.all()) == {firm_a.accountant, firm_a.manager}
    assert set(_links(client)) == {"exact_online", "dropbox"}
    assert set(later.assigned.all()) == {firm_a.admin}
    assert set(_links(later)) == {"octopus"}


def test_applying_to_many_clients_at_once_gives_each_its_own_links(firm_a, standaard):
    clients = [
        Client.objects.create(firm=firm_a.firm, legal_name=f"Batch {n}", external_reference=str(n))
        for n in (1, 2, 3)
    ]
    with transaction.atomic():
        template_apply(
            clients=clients, template=standaard, actor=firm_a.admin.user, source="import"
        )
    for client in clients:
        assert set(client.assigned.all()) == {firm_a.accountant, firm_a.manager}
        assert _links(client)["exact_online"] == ({"division": client.external_reference}, True)
        assert client.history.get(action="template_applied").source == "import"


@pytest.mark.django_db(transaction=True)
def test_applying_outside_the_clients_transaction_is_refused(firm_a, standaard):
    client = Client.objects.create(firm=firm_a.firm, legal_name="Los")
    with pytest.raises(RuntimeError):
        template_apply(clients=[client], template=standaard)
    assert not client.assignments.exists()
    assert not client.integration_links.exists()


# All or nothing


def _failing_on(model, monkeypatch, message, written=None):
    """Make template_apply's write of `model` rows fail, after the earlier writes went in."""
    from partnerspace.clients import history
    from partnerspace.configuration import services

    real_insert = services.insert_rows

    def insert(target, fields, rows):
        if target is model:
            raise RuntimeError(message)
        real_insert(target, fields, rows)
        if written is not None and target is ClientAssignment:
            written.extend(ClientAssignment.objects.values_list("pk", flat=True))

    monkeypatch.setattr(services, "insert_rows", insert)
    # The history rows go through clients.history, which writes every history row.
    monkeypatch.setattr(history, "insert_rows", insert)


def test_a_failure_half_way_through_applying_leaves_no_client_at_all(
    firm_a, standaard, monkeypatch
):
    written = []
    _failing_on(ClientIntegration, monkeypatch, "the database went away", written)
    with pytest.raises(RuntimeError, match="went away"):
        make_client(firm_a.manager, "Halfweg BV", template=standaard, external_reference="9")
    # The assignments had been written when the links failed...
    assert len(written) == 2
    # ...and went with everything else.
    assert not Client.objects.exists()
    assert not Contact.objects.exists()
    assert not ClientAssignment.objects.exists()
    assert not ClientIntegration.objects.exists()
    assert not ClientHistory.objects.exists()


def test_a_failure_at_the_last_write_of_applying_leaves_no_links_either(
    firm_a, standaard, monkeypatch
):
    _failing_on(ClientHistory, monkeypatch, "disk full")
    with pytest.raises(RuntimeError, match="disk full"):
        make_client(firm_a.manager, template=standaard, external_reference="9")
    assert not Client.objects.exists()
    assert not ClientAssignment.objects.exists()
    assert not ClientIntegration.objects.exists()
    assert not ClientHistory.objects.exists()


def test_an_earlier_client_survives_a_later_failed_one(firm_a, standaard, monkeypatch):
    kept = make_client(firm_a.manager, "Blijft BV", template=standaard)
    _failing_on(ClientIntegration, monkeypatch, "boom")
    with pytest.raises(RuntimeError):
        make_client(firm_a.manager, "Faalt BV", template=standaard)
    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Blijft BV"]
    assert ClientAssignment.objects.filter(client=kept).count() == 2
    assert ClientIntegration.objects.filter(client=kept).count() == 2


# Klant toevoegen


def test_the_add_client_page_offers_the_templates_with_the_default_checked(firm_a, firm_b, web):
    template_create(membership=firm_a.admin, name="Eenvoudig")
    default = template_create(membership=firm_a.admin, name="Standaard", is_default=True)
    template_create(membership=firm_b.admin, name="Van Bêta")
    response = web(firm_a.manager).get(ADD)
    assert response.status_code == 200
    assert response.context["form"].initial == {"template": str(default.pk)}
    assert f'value="{default.pk}" checked' in response.text
    assert response.text.count(" checked") == 1
    assert "Eenvoudig" in response.text
    assert "Van Bêta" not in response.text


def test_without_a_default_the_add_client_page_preselects_no_template(firm_a, web):
    template = template_create(membership=firm_a.admin, name="Eenvoudig")
    response = web(firm_a.manager).get(ADD)
    assert f'value="{template.pk}" checked' not in response.text
    assert 'value="" checked' in response.text


def test_without_templates_the_add_client_page_goes_straight_to_the_details(firm_a, web):
    response = web(firm_a.manager).get(ADD)
    assert response.status_code == 200
    assert "client_form" in response.context
    assert not response.context["has_templates"]


def _add_form(**extra):
    return {
        "legal_name": "Bakkerij Peeters",
        "country": "BE",
        "external_reference": "123",
        "contact-first_name": "Els",
        "contact-last_name": "Peeters",
        "contact-email": "els@peeters.example",
        "contact-locale": "nl-BE",
        **extra,
    }


def test_adding_a_client_through_the_page_with_the_chosen_template_applies_it(
    firm_a, web, standaard
):
    response = web(firm_a.manager).post(f"{ADD}?template={standaard.pk}", _add_form())
    assert response.status_code == 302
    client = Client.objects.get()
    assert response.url == f"/f/alfa/clients/{client.pk}/"
    assert client.template == standaard
    assert set(client.assigned.all()) == {firm_a.accountant, firm_a.manager}
    assert _links(client)["exact_online"] == ({"division": "123"}, True)


def test_adding_a_client_with_no_template_chosen_applies_none(firm_a, web, standaard):
    web(firm_a.manager).post(f"{ADD}?template=", _add_form())
    client = Client.objects.get()
    assert client.template is None
    assert not client.assignments.exists()


def test_adding_a_client_with_another_firms_template_is_refused(firm_a, firm_b, web, standaard):
    theirs = template_create(membership=firm_b.admin, name="Van Bêta")
    response = web(firm_a.manager).post(f"{ADD}?template={theirs.pk}", _add_form())
    assert response.status_code == 404
    assert not Client.objects.exists()


def test_an_accountant_cannot_add_clients(firm_a, web, standaard):
    browser = web(firm_a.accountant)
    assert browser.get(ADD).status_code == 403
    assert browser.post(f"{ADD}?template={standaard.pk}", _add_form()).status_code == 403
    assert not Client.objects.exists()


def test_a_client_is_never_made_with_another_firms_template(firm_a, firm_b):
    from django.http import Http404

    theirs_integration = integration_install(membership=firm_b.admin, key="octopus")
    theirs = template_create(
        membership=firm_b.admin,
        name="Van Bêta",
        user_ids=[firm_b.accountant.pk],
        integrations=[{"integration": theirs_integration.pk}],
    )
    with pytest.raises(Http404):
        make_client(firm_a.manager, template=theirs)
    assert not Client.objects.exists()
    assert not ClientAssignment.objects.exists()
    assert not ClientIntegration.objects.exists()
