"""Integers the API reads are bounded: an id beyond 64 bits, or a page past any list, is a 422
in the usual shape, never a 500 from a database that cannot hold the number; a body that
cannot be read at all is a 400 in the API's shape."""

import pytest
from django.test import override_settings

from partnerspace.api.api import api as ninja_api
from tests.factories import make_client

pytestmark = pytest.mark.django_db

HUGE = 999999999999999999999  # > 2**64


def errors_of(response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.content
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


@pytest.mark.parametrize("name", ["assigned_to", "template", "page"])
def test_a_huge_number_in_a_list_filter_is_refused(firm_a, api, name):
    make_client(firm_a.admin, "Bakkerij Peeters BV")
    response = api(firm_a.admin).get(f"/clients?{name}={HUGE}")
    assert errors_of(response) == {(name, "invalid")}


def test_a_huge_staff_id_in_a_new_client_is_refused_and_nothing_is_created(firm_a, api):
    body = {"legal_name": "Alfa Bouw BV", "template": None, "assigned_users": [HUGE]}
    response = api(firm_a.admin).post("/clients", body)
    assert errors_of(response) == {("assigned_users.0", "invalid")}
    assert not firm_a.firm.clients.exists()


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("patch", "/clients/{client}", {"assigned_users": [HUGE]}, "assigned_users.0"),
        ("post", "/templates", {"name": "Standaard", "users": [HUGE]}, "users.0"),
        ("post", "/clients/{client}/invitations", {"contacts": [HUGE]}, "contacts.0"),
        (
            "post",
            "/templates",
            {"name": "Standaard", "integrations": [{"integration": HUGE}]},
            "integrations.0.integration",
        ),
    ],
)
def test_a_huge_id_in_a_body_is_refused(firm_a, api, method, path, body, field):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    response = getattr(api(firm_a.admin), method)(path.format(client=client.pk), body)
    assert field in {field for field, _code in errors_of(response)}


def _api_paths_with_an_id():
    schema = ninja_api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            if "{" in path:
                yield method, path


@pytest.mark.parametrize(("method", "path"), sorted(_api_paths_with_an_id()))
def test_a_huge_id_in_an_api_path_is_refused(firm_a, api, method, path):
    import re

    url = re.sub(r"\{\w+\}", str(HUGE), path.removeprefix("/api/v1"))
    response = getattr(api(firm_a.admin), method)(url, {} if method in {"post", "patch"} else None)
    assert 400 <= response.status_code < 500, response.content


def _integer_schemas(node, where=""):
    """Every integer schema a request may carry, with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            yield from _integer_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integer_schemas(value, f"{where}/{index}")


def test_every_integer_a_request_may_carry_is_bounded():
    """The rule, for operations still to come: a new `int` in a path, a query or a body must use
    the bounded types of api.schemas, or this test names it."""
    schema = ninja_api.get_openapi_schema()
    components = schema["components"]["schemas"]
    inputs = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                inputs.append((f"{label} {parameter['name']}", parameter["schema"]))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                inputs.append((f"{label} body", content["schema"]))
    unbounded, seen = [], set()

    def visit(label, node):
        for where, integer in _integer_schemas(node):
            if "maximum" not in integer or "minimum" not in integer:
                unbounded.append(f"{label}{where}")
        for ref in _refs(node):
            if ref not in seen:
                seen.add(ref)
                visit(f"{ref}:", components[ref])

    for label, node in inputs:
        visit(label, node)
    assert unbounded == []


def _refs(node):
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/imports", "/clients", "/templates"])
def test_a_multipart_body_without_a_boundary_answers_400_in_the_apis_shape(
    firm_a, api, path, debug
):
    with override_settings(DEBUG=debug):
        response = api(firm_a.admin).client.generic(
            "POST", f"/api/v1{path}", b"--x\r\nnot a part", content_type="multipart/form-data"
        )
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unreadable_body"
    assert response.json()["message"]
