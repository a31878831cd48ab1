"""Firm B's people get 404 for every page and API path of firm A: enumerated, not hand-picked.

Each URL parameter names a kind of object; OBJECTS_OF_FIRM_A says how to find one of firm A's.
A new page with a parameter not listed here fails this test until it is listed, so no page
escapes the check.
"""

import re
from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from partnerspace.firms.models import StaffInvitation
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _staff_invitation(people):
    from datetime import timedelta

    from django.utils import timezone

    return StaffInvitation.objects.create(
        firm=people.firm,
        email="invitee@alfa.example",
        first_name="In",
        last_name="Vitee",
        language="nl",
        is_accountant=True,
        expires_at=timezone.now() + timedelta(days=1),
    )


OBJECTS_OF_FIRM_A: dict[str, Callable] = {
    "membership_id": lambda people: people.accountant,
    "staff_id": lambda people: people.accountant,
    "invitation_id": _staff_invitation,
}


def firm_routes(resolver=None, prefix=""):
    """Every route below /f/<firm_slug>/, as a path template with <name> placeholders."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from firm_routes(entry, pattern)
        elif isinstance(entry, URLPattern) and pattern.startswith("f/<slug:firm_slug>/"):
            yield pattern


def fill(route: str, values: dict) -> str:
    def replace(match):
        name = match.group(2)
        if name not in values:
            raise AssertionError(f"{route}: say in OBJECTS_OF_FIRM_A how to find a {name!r}")
        return str(values[name])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def parameter_names(route: str) -> set[str]:
    return {name for _converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)} - {"firm_slug"}


@pytest.fixture
def objects_of_a(firm_a):
    return {name: find(firm_a).pk for name, find in OBJECTS_OF_FIRM_A.items()}


def test_every_firm_page_is_listed():
    routes = list(firm_routes())
    assert len(routes) >= 8
    for route in routes:
        missing = parameter_names(route) - OBJECTS_OF_FIRM_A.keys()
        assert not missing, f"{route}: add {missing} to OBJECTS_OF_FIRM_A"


def test_firm_b_gets_404_for_every_page_of_firm_a(firm_a, firm_b, objects_of_a, web):
    for people in (firm_b.admin, firm_b.manager, firm_b.accountant):
        client = web(people)
        for route in firm_routes():
            url = fill(route, {"firm_slug": "alfa", **objects_of_a})
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status == 404, f"{people.user.email} {method.upper()} {url} -> {status}"


def test_firm_b_gets_404_for_firm_a_objects_under_its_own_name(firm_a, firm_b, objects_of_a, web):
    client = web(firm_b.admin)
    for route in firm_routes():
        if not parameter_names(route):
            continue
        url = fill(route, {"firm_slug": "beta", **objects_of_a})
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status in {404, 405}, f"{method.upper()} {url} -> {status}"


def test_someone_in_no_firm_gets_404_everywhere(firm_a, objects_of_a):
    from django.test import Client

    client = Client()
    client.force_login(make_user("loner@example.example"))
    for route in firm_routes():
        url = fill(route, {"firm_slug": "alfa", **objects_of_a})
        assert client.get(url).status_code == 404, url


def api_operations():
    from partnerspace.api.api import api

    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method, path.removeprefix("/api/v1")


def test_firm_b_token_gets_404_for_every_api_path_with_a_firm_a_object(
    firm_a, firm_b, objects_of_a, api
):
    client = api(firm_b.admin)
    checked = 0
    for method, path in api_operations():
        names = set(re.findall(r"{(\w+)}", path))
        if not names:
            continue
        missing = names - OBJECTS_OF_FIRM_A.keys()
        assert not missing, f"{path}: add {missing} to OBJECTS_OF_FIRM_A"
        url = re.sub(r"{(\w+)}", lambda m: str(objects_of_a[m.group(1)]), path)
        response = getattr(client, method)(url, {} if method != "get" else None)
        assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
        checked += 1
    assert checked >= 1


def test_firm_b_token_lists_nothing_of_firm_a(firm_a, firm_b, objects_of_a, api):
    client = api(firm_b.admin)
    for method, path in api_operations():
        if method != "get" or "{" in path:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        assert "alfa" not in response.text.lower(), path
