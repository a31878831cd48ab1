"""What each operation of the API answers, as its OpenAPI document declares it: every refusal in
one shape per status, and every status an operation can answer declared, with nothing more.

The walk over the document keeps new operations honest: an operation added without its 401,
its 422 or its 400 is named here. Which operations refuse a role (403) or a state (409) is a
matter of the services they call, so those are tables below, each row sent by a request that
really gets the refusal.
"""

import functools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.test.client import MULTIPART_CONTENT

from partnerspace.api.api import api as ninja_api
from partnerspace.clients.models import Client, ClientAssignment
from partnerspace.configuration.services import template_create
from partnerspace.imports.models import ImportJob, ImportStatus
from partnerspace.invitations.services import client_invite
from partnerspace.peppol.models import PeppolBatch
from tests.factories import make_client
from tests.imports.test_views import row, workbook

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1"
SHAPES = {
    # status: the keys its body always has
    400: {"code", "message"},
    401: {"detail"},
    403: {"code", "message"},
    404: {"detail"},
    409: {"code", "message"},
    413: {"code", "message"},
    422: {"errors"},
}
SUCCESSES = {200, 201, 202, 204}


@functools.cache
def _document() -> dict:
    return ninja_api.get_openapi_schema()


def _operations():
    for path, operations in _document()["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path.removeprefix(PREFIX), operation


def _statuses(operation) -> set[int]:
    return {int(status) for status in operation["responses"]}


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref", "")
    if ref:
        return _document()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _documented(method: str, path: str) -> set[int]:
    operation = _document()["paths"][PREFIX + path][method.lower()]
    return _statuses(operation)


def test_every_operation_declares_the_401_of_a_missing_or_unknown_token():
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations()
        if operation.get("security") and 401 not in _statuses(operation)
    ]
    assert missing == []


def test_every_operation_that_reads_a_parameter_or_a_body_declares_422():
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations()
        if (operation.get("parameters") or operation.get("requestBody"))
        and 422 not in _statuses(operation)
    ]
    assert missing == []


def test_every_operation_that_reads_a_body_declares_400_and_413_and_no_other_does():
    wrong = [
        f"{method} {path}"
        for method, path, operation in _operations()
        if bool(operation.get("requestBody")) != ({400, 413} <= _statuses(operation))
        or bool(operation.get("requestBody")) != bool({400, 413} & _statuses(operation))
    ]
    assert wrong == []


def test_every_operation_that_looks_an_object_up_declares_404():
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations()
        if "{" in path and 404 not in _statuses(operation)
    ]
    assert missing == []


def test_no_operation_declares_a_status_the_api_does_not_answer():
    strange = [
        f"{method} {path} {status}"
        for method, path, operation in _operations()
        for status in _statuses(operation) - SUCCESSES - set(SHAPES)
    ]
    assert strange == []


def test_each_refusal_is_declared_in_the_one_shape_of_its_status():
    """400, 403, 409 and 413: {code, message}; 401 and 404: {detail}; 422: {errors}."""
    wrong = []
    for method, path, operation in _operations():
        for status, response in operation["responses"].items():
            if int(status) not in SHAPES:
                continue
            schema = _resolve(response["content"]["application/json"]["schema"])
            if not SHAPES[int(status)] <= set(schema.get("required", ())):
                wrong.append(f"{method} {path} {status}: {sorted(schema.get('required', ()))}")
    assert wrong == []


# The roles: every operation whose service (or handler) refuses a role, with a role it refuses
# and a request that gets that far. Any other operation must not declare a 403.

ROLE_REFUSALS = {
    ("POST", "/clients"): ("accountant", {"legal_name": "Alfa Bouw BV"}),
    ("PATCH", "/clients/{client_id}"): ("accountant", {"assigned_users": []}),
    ("DELETE", "/clients/{client_id}"): ("accountant", None),
    ("POST", "/clients/{client_id}/invitations"): ("accountant", {}),
    ("DELETE", "/invitations/{invitation_id}"): ("accountant", None),
    ("POST", "/clients/{client_id}/mandate"): ("accountant", {"confirmed": True}),
    ("POST", "/clients/{client_id}/peppol/registration"): ("accountant", None),
    ("DELETE", "/clients/{client_id}/peppol/registration"): ("accountant", None),
    ("GET", "/peppol/batches/{batch_id}"): ("accountant", None),
    ("POST", "/clients/{client_id}/vat-check"): ("accountant", None),
    ("POST", "/templates"): ("manager", {"name": "Nieuw sjabloon"}),
    ("PATCH", "/templates/{template_id}"): ("manager", {"name": "Nieuw sjabloon"}),
    ("DELETE", "/templates/{template_id}"): ("manager", None),
    ("POST", "/imports"): ("accountant", "multipart"),
    ("GET", "/imports/{import_id}"): ("accountant", None),
    ("POST", "/imports/{import_id}/resume"): ("accountant", None),
    ("GET", "/imports/{import_id}/report"): ("accountant", None),
    ("GET", "/imports"): ("accountant", None),
    ("POST", "/imports/{import_id}/undo"): ("accountant", {"dry_run": True}),
    ("GET", "/imports/{import_id}/undo"): ("accountant", None),
}


@pytest.fixture
def objects(firm_a):
    """One of each object an operation looks up, in firm A, within the accountant's view."""
    client = make_client(firm_a.admin, "Bakkerij Peeters BV", company_number="0403170701")
    ClientAssignment.objects.create(client=client, membership=firm_a.accountant)
    [invitation] = client_invite(membership=firm_a.admin, client=client)
    template = template_create(membership=firm_a.admin, name="Standaard")
    job = ImportJob.objects.create(
        firm=firm_a.firm,
        created_by=firm_a.admin.user,
        token="f" * 32,
        file_name="klanten.xlsx",
        status=ImportStatus.DONE,
    )
    batch = PeppolBatch.objects.create(firm=firm_a.firm, created_by=firm_a.admin.user)
    return {
        "client_id": client.pk,
        "invitation_id": invitation.pk,
        "template_id": template.pk,
        "import_id": job.pk,
        "batch_id": batch.pk,
    }


def send(api, membership, method: str, path: str, body):
    client = api(membership)
    if body == "multipart":
        upload = SimpleUploadedFile("klanten.csv", b"legal_name\nAlfa Bouw BV\n")
        return client.post(path, {"file": upload}, content_type=MULTIPART_CONTENT)
    return getattr(client, method.lower())(path, body)


def test_an_operation_declares_403_exactly_where_a_role_can_be_refused():
    declared = {
        (method, path) for method, path, operation in _operations() if 403 in operation["responses"]
    }
    assert declared == set(ROLE_REFUSALS)


@pytest.mark.parametrize(("method", "path"), sorted(ROLE_REFUSALS))
def test_a_refused_role_gets_403_with_a_code_and_a_message(firm_a, api, objects, method, path):
    role, body = ROLE_REFUSALS[(method, path)]
    response = send(api, getattr(firm_a, role), method, path.format(**objects), body)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_allowed"
    assert response.json()["message"]


# Conflicts the document did not declare, each reproduced.

ALFA = {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "nl-BE"}


@pytest.fixture
def two_clients_without_numbers(firm_a):
    """Two clients of one name told apart by their primary contact alone."""
    first = make_client(firm_a.admin, "Alfa Bouw BV", contact=ALFA)
    second = make_client(
        firm_a.admin, "Alfa Bouw BV", contact={**ALFA, "email": "els@alfa.example"}
    )
    return first, second


def test_a_new_primary_contact_that_makes_a_client_a_duplicate_is_a_declared_409(
    firm_a, api, two_clients_without_numbers
):
    _first, second = two_clients_without_numbers
    path = "/clients/{client_id}/contacts"

    response = api(firm_a.admin).post(
        path.format(client_id=second.pk), {**ALFA, "is_primary": True}
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "already_exists"
    assert 409 in _documented("POST", path)


def test_a_contact_change_that_makes_a_client_a_duplicate_is_a_declared_409(
    firm_a, api, two_clients_without_numbers
):
    _first, second = two_clients_without_numbers
    contact = second.contacts.get()
    path = "/clients/{client_id}/contacts/{contact_id}"

    response = api(firm_a.admin).patch(
        path.format(client_id=second.pk, contact_id=contact.pk), {"email": "jan@alfa.example"}
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "already_exists"
    assert 409 in _documented("PATCH", path)


def test_confirming_a_mandate_with_an_unreadable_value_is_a_declared_422(firm_a, api, objects):
    path = "/clients/{client_id}/mandate"
    response = api(firm_a.admin).post(path.format(**objects), {"confirmed": "misschien"})
    assert response.status_code == 422, response.content
    assert 422 in _documented("POST", path)


def test_an_import_whose_upload_is_forgotten_between_check_and_import_is_a_declared_409(
    firm_a, api, settings, tmp_path, monkeypatch
):
    """A worker's sweep (imports.retention) may forget a checked upload before its import
    begins, as it does once the firm keeps more uploads than its cap: the answer is 409
    `file_not_kept`, declared, and nothing is imported."""
    from partnerspace.imports import retention, services

    settings.MEDIA_ROOT = tmp_path
    checked = services.import_preview

    def check_then_sweep(*, job):
        outcome = checked(job=job)
        job.refresh_from_db()
        retention.upload_forget(job)  # as the sweep does, from another process
        return outcome

    monkeypatch.setattr(services, "import_preview", check_then_sweep)
    upload = SimpleUploadedFile("klanten.xlsx", workbook([row(1)]))

    response = api(firm_a.admin).post("/imports", {"file": upload}, content_type=MULTIPART_CONTENT)

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "file_not_kept"
    assert 409 in _documented("POST", "/imports")
    assert not Client.objects.filter(firm=firm_a.firm).exists()


# Bodies that cannot be read.


@pytest.mark.parametrize("debug", [False, True])
def test_a_body_that_is_not_json_is_a_400_with_a_code_in_the_owners_language(firm_a, api, debug):
    with override_settings(DEBUG=debug):
        response = api(firm_a.admin).client.generic(
            "POST", f"{PREFIX}/clients", b"{legal_name: Alfa", content_type="application/json"
        )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body == {"code": "unreadable_body", "message": body["message"]}
    # Dutch, the owner's language; and nothing of the parser's own words, even under DEBUG.
    assert "JSON" in body["message"] and "Expecting" not in body["message"]
    assert body["message"] != "The request body cannot be read as JSON."


def test_a_json_body_over_the_servers_limit_is_a_413_in_the_apis_shape(firm_a, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"legal_name": "' + b"A" * 2000 + b'"}'

    response = api(firm_a.admin).client.generic(
        "POST", f"{PREFIX}/clients", body, content_type="application/json"
    )

    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "body_too_large"
    assert response.json()["message"]


def test_a_multipart_body_of_too_many_fields_is_a_400_in_the_apis_shape(firm_a, api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    parts = b"".join(
        b'--x\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % number
        for number in range(20)
    )

    response = api(firm_a.admin).client.generic(
        "POST",
        f"{PREFIX}/imports",
        parts + b"--x--\r\n",
        content_type="multipart/form-data; boundary=x",
    )

    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unreadable_body"


def test_a_misspelt_key_in_a_template_is_refused_not_dropped(firm_a, api, objects):
    created = api(firm_a.admin).post("/templates", {"name": "Kwartaal", "is_defualt": True})
    changed = api(firm_a.admin).patch(
        "/templates/{template_id}".format(**objects), {"nmae": "Kwartaal"}
    )

    for response in (created, changed):
        assert response.status_code == 422, response.content
        assert [e["code"] for e in response.json()["errors"]] == ["unknown_field"]
