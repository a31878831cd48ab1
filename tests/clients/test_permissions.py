"""Who sees which client: an accountant only their own (404 for the others), managers and
administrators all of the firm's, another firm's people nothing."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from partnerspace.clients.models import Client, ClientHistory, ClientStatus, Contact
from partnerspace.clients.selectors import ClientFilters, client_get_for_user, client_page
from partnerspace.clients.services import client_assignments_set, contact_add
from partnerspace.configuration.models import ClientIntegration
from partnerspace.configuration.services import client_integration_link, integration_install
from tests.factories import make_client

pytestmark = pytest.mark.django_db

ELS = {"first_name": "Els", "last_name": "Maes", "email": "els@alfa.example", "locale": "nl-BE"}
FORM = {"legal_name": "Overgenomen", "country": "BE", "first_name": "X", "last_name": "Y"}


@pytest.fixture
def world(firm_a):
    """A client of firm A with two contacts and a linked integration, plus one assigned
    to the accountant (to show the same requests do work for a client of their own)."""
    integration = integration_install(
        membership=firm_a.admin, key="exact_online", settings={"region": "be"}
    )
    objects = {"integration": integration}
    for name in ("theirs", "mine"):
        client = make_client(firm_a.admin, f"Klant {name}", external_reference=f"{len(name)}0")
        contact_add(membership=firm_a.admin, client=client, data=ELS)
        client_integration_link(
            membership=firm_a.admin, client=client, integration_id=integration.pk
        )
        objects[name] = client
    client_assignments_set(
        membership=firm_a.admin, client=objects["mine"], membership_ids=[firm_a.accountant.pk]
    )
    return objects


def requests_on(client, integration):
    """Every page and action on one client: (method, path, data)."""
    slug = client.firm.slug
    contact = client.contacts.get(is_primary=False)
    link = client.integration_links.get()

    def path(name, *args):
        return reverse(f"clients:{name}", args=[slug, client.pk, *args])

    return [
        ("get", path("detail"), None),
        ("get", path("edit"), None),
        ("post", path("edit"), FORM),
        ("post", path("contact_add"), {"new-" + k: v for k, v in ELS.items()}),
        ("get", path("contact_edit", contact.pk), None),
        ("post", path("contact_edit", contact.pk), ELS),
        ("post", path("contact_primary", contact.pk), None),
        ("post", path("contact_remove", contact.pk), None),
        ("post", path("integration_link"), {"integration": integration.pk}),
        ("get", path("integration_new") + f"?integration={integration.pk}", None),
        ("get", path("integration_edit", link.pk), None),
        ("post", path("integration_edit", link.pk), {"division": "1"}),
        ("post", path("integration_unlink", link.pk), None),
    ]


# Actions the accountant's role does not allow at all: 403 on their own client, 404 on others.
ROLE_ACTIONS = ("delete", "archive", "staff")


def state_of(client) -> tuple:
    client = Client.objects.get(pk=client.pk)
    return (
        client.legal_name,
        client.status,
        sorted(Contact.objects.filter(client=client).values_list("email", "is_primary")),
        sorted(ClientIntegration.objects.filter(client=client).values_list("pk", "settings")),
        ClientHistory.objects.filter(client=client).count(),
    )


REQUEST_IDS = [
    "detail",
    "edit",
    "edit-post",
    "contact_add",
    "contact_edit",
    "contact_edit-post",
    "contact_primary",
    "contact_remove",
    "integration_link",
    "integration_new",
    "integration_edit",
    "integration_edit-post",
    "integration_unlink",
]


@pytest.mark.parametrize("index", range(len(REQUEST_IDS)), ids=REQUEST_IDS)
def test_an_accountant_gets_404_on_every_page_of_a_client_not_assigned_to_them(
    firm_a, web, world, index
):
    method, path, data = requests_on(world["theirs"], world["integration"])[index]
    before = state_of(world["theirs"])
    response = getattr(web(firm_a.accountant), method)(path, data or {})
    assert response.status_code == 404
    assert state_of(world["theirs"]) == before


@pytest.mark.parametrize("index", range(len(REQUEST_IDS)), ids=REQUEST_IDS)
def test_the_same_requests_reach_a_client_assigned_to_the_accountant(firm_a, web, world, index):
    method, path, data = requests_on(world["mine"], world["integration"])[index]
    response = getattr(web(firm_a.accountant), method)(path, data or {})
    assert response.status_code in {200, 302, 422}


@pytest.mark.parametrize("action", ROLE_ACTIONS)
def test_an_accountant_is_refused_actions_of_other_roles_on_any_client(firm_a, web, world, action):
    for name, status in (("theirs", 404), ("mine", 403)):
        client = world[name]
        before = state_of(client)
        path = reverse(f"clients:{action}", args=["alfa", client.pk])
        response = web(firm_a.accountant).post(path, {"staff": [firm_a.accountant.pk]})
        assert response.status_code == status
        assert state_of(client) == before


def test_an_accountant_lists_only_the_clients_assigned_to_them(firm_a, web, world):
    response = web(firm_a.accountant).get(
        reverse("clients:list", args=["alfa"]), {"tab": "inactive"}
    )
    assert [c.legal_name for c in response.context["page"].rows] == ["Klant mine"]
    assert "Klant theirs" not in response.text
    assert response.context["counts"]["inactive"] == 1


def test_an_accountant_cannot_widen_the_list_with_the_assigned_filter(firm_a, web, world):
    client_assignments_set(
        membership=firm_a.admin, client=world["theirs"], membership_ids=[firm_a.manager.pk]
    )
    response = web(firm_a.accountant).get(
        reverse("clients:list", args=["alfa"]), {"tab": "inactive", "assigned": firm_a.manager.pk}
    )
    assert response.context["page"].rows == []


def test_the_selector_refuses_an_unassigned_client_to_an_accountant(firm_a, world):
    from django.http import Http404

    assert client_get_for_user(firm_a.accountant, world["mine"].pk) == world["mine"]
    with pytest.raises(Http404):
        client_get_for_user(firm_a.accountant, world["theirs"].pk)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_administrators_see_every_client(firm_a, web, world, role):
    membership = getattr(firm_a, role)
    page = client_page(membership, ClientFilters(tab="inactive"))
    assert {c.legal_name for c in page.rows} == {"Klant mine", "Klant theirs"}
    for name in ("mine", "theirs"):
        path = reverse("clients:detail", args=["alfa", world[name].pk])
        assert web(membership).get(path).status_code == 200


@pytest.mark.parametrize("role", ["admin", "manager", "accountant"])
def test_another_firms_people_get_404_on_our_client(firm_a, firm_b, web, world, role):
    browser = web(getattr(firm_b, role))
    client = world["mine"]
    for path in (
        reverse("clients:detail", args=["alfa", client.pk]),
        reverse("clients:edit", args=["alfa", client.pk]),
        reverse("clients:list", args=["alfa"]),
    ):
        assert browser.get(path).status_code == 404
    assert browser.post(reverse("clients:delete", args=["alfa", client.pk])).status_code == 404
    # Through their own firm's address, the client is not found either.
    assert browser.get(reverse("clients:detail", args=["beta", client.pk])).status_code == 404
    assert Client.objects.filter(pk=client.pk, status=ClientStatus.DRAFT).exists()


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(world):
    path = reverse("clients:detail", args=["alfa", world["mine"].pk])
    response = Browser().get(path)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_post_without_the_csrf_token_is_refused(firm_a, world):
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(firm_a.manager.user)
    client = world["mine"]
    response = browser.post(reverse("clients:delete", args=["alfa", client.pk]))
    assert response.status_code == 403
    assert Client.objects.filter(pk=client.pk).exists()
