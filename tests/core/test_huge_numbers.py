"""A number too large for any id (beyond 64 bits) in a page's path, filter or form never
answers 500: the databases cannot even compare it, so it must not reach them."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make_client

pytestmark = pytest.mark.django_db

HUGE = "999999999999999999999"  # > 2**64


@pytest.fixture
def people(firm_a):
    make_client(firm_a.admin, "Bakkerij Peeters BV")
    return firm_a


def _routes(resolver: URLResolver, prefix: str = ""):
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            yield from _routes(item, prefix + str(item.pattern))
        elif isinstance(item, URLPattern):
            yield prefix + str(item.pattern)


def _page_routes_with_an_int() -> list[str]:
    return sorted(
        {
            route
            for route in _routes(get_resolver())
            if "<int:" in route and not route.startswith("api/")
        }
    )


def _filled(route: str, slug: str) -> str:
    path = re.sub(r"<int:\w+>", HUGE, route)
    path = re.sub(r"<slug:firm_slug>", slug, path)
    path = re.sub(r"<(?:str|slug):\w+>", "x", path)
    return "/" + path


def test_every_page_route_with_an_id_is_covered_below():
    # The sweep below would silently shrink if the resolver walk found nothing.
    assert len(_page_routes_with_an_int()) > 20


@pytest.mark.parametrize("route", _page_routes_with_an_int())
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_huge_id_in_a_page_path_is_not_a_server_error(people, web, route, method):
    response = getattr(web(people.admin), method)(_filled(route, people.firm.slug))
    assert response.status_code < 500


@pytest.mark.parametrize(
    "query",
    [
        f"assigned={HUGE}",
        f"assigned_to={HUGE}",
        f"template={HUGE}",
        f"page={HUGE}",
        f"size={HUGE}",
        f"page=-{HUGE}",
        f"tab=inactive&template={HUGE}&assigned={HUGE}&page={HUGE}",
    ],
)
def test_a_huge_number_in_the_client_lists_filters_shows_the_list(people, web, query):
    response = web(people.admin).get(f"/f/{people.firm.slug}/clients/?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("clients/selection/", {"visible": HUGE, "selected": HUGE}),
        ("clients/selection/", {"all": "1", "template": HUGE, "assigned": HUGE}),
        ("clients/bulk/", {"action": "assign", "staff": HUGE}),
        ("clients/{client}/staff/", {"staff": HUGE}),
        ("clients/{client}/integrations/link/", {"integration": HUGE}),
        ("clients/{client}/integrations/new/?integration=" + HUGE, {}),
        ("configuration/templates/new/", {"step": "2", "users": HUGE}),
        ("invitations/registration-links/", {"template": HUGE}),
    ],
)
def test_a_huge_id_in_a_page_form_is_not_a_server_error(people, web, path, data):
    client = people.firm.clients.get()
    url = f"/f/{people.firm.slug}/" + path.format(client=client.pk)
    response = web(people.admin).post(url, data)
    assert response.status_code < 500


def test_a_huge_staff_id_in_the_template_wizard_is_not_a_server_error(people, web):
    browser = web(people.admin)
    url = f"/f/{people.firm.slug}/configuration/templates/new/"
    browser.post(url, {"step": "1", "name": "Standaard"})
    browser.post(url, {"step": "2", "users": HUGE})
    response = browser.post(url, {"step": "3"})
    assert response.status_code < 500
    assert people.firm.templates.filter(name="Standaard").exists()
