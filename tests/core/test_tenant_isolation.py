"""Firm B's people get 404 for every page and API path of firm A: enumerated, not hand-picked.

Each URL parameter names a kind of object; OBJECTS_OF_FIRM_A says how to find one of firm A's.
A new page with a parameter not listed here fails this test until it is listed, so no page
escapes the check.
"""

import re
from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from partnerspace.clients.models import Client
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


def _client(people):
    from tests.factories import make_client

    return make_client(people.admin)


def _contact(people):
    return _client(people).contacts.get()


def _firm_integration(people):
    from partnerspace.configuration.models import FirmIntegration

    return FirmIntegration.objects.get_or_create(firm=people.firm, key="octopus")[0]


def _client_integration(people):
    from partnerspace.configuration.models import ClientIntegration

    return ClientIntegration.objects.create(
        client=_client(people), firm_integration=_firm_integration(people)
    )


def _template(people):
    from partnerspace.configuration.models import ConfigurationTemplate

    return ConfigurationTemplate.objects.create(firm=people.firm, name="Sjabloon Alfa")


def _client_invitation(people):
    from datetime import timedelta

    from django.utils import timezone

    from partnerspace.invitations.models import Invitation

    client = _client(people)
    return Invitation.objects.create(
        firm=people.firm,
        client=client,
        email="someone@client.example",
        expires_at=timezone.now() + timedelta(days=1),
    )


def _registration_link(people):
    from partnerspace.invitations.models import RegistrationLink

    return RegistrationLink.objects.create(firm=people.firm, code=f"code-{people.firm.slug}")


def _company(people):
    from partnerspace.companies.models import Company

    return Company.objects.create(legal_name="Eigen Bedrijf")


def _peppol_batch(people):
    from partnerspace.peppol.models import PeppolBatch

    return PeppolBatch.objects.create(firm=people.firm, total=1)


def _mandate_document(people, client=None):
    from partnerspace.peppol.models import MandateDocument

    # A row is enough: every path must answer 404 before the file is ever opened.
    return MandateDocument.objects.create(
        client=client or _client(people), file="mandates/none.pdf", original_name="mandate.pdf"
    )


def _import_job(people):
    import secrets

    from django.utils import timezone

    from partnerspace.imports.models import ImportJob, ImportStatus

    # A finished import: no page may reach it, nor its error report, from another firm.
    return ImportJob.objects.create(
        firm=people.firm,
        created_by=people.admin.user,
        token=secrets.token_hex(16),
        file_name="klanten-alfa.xlsx",
        status=ImportStatus.DONE,
        rows=2,
        processed=2,
        created=1,
        refused=1,
        finished_at=timezone.now(),
    )


def _api_token(people):
    from partnerspace.api.services import api_token_create

    # The administrator's own token: not even firm B's administrator may see or revoke it.
    return api_token_create(membership=people.admin, name="Alfa boekhoudpakket").token


def _register_change(people):
    from datetime import date

    from partnerspace.register.models import ChangeKind, RegisterChange

    client = _client(people)
    return RegisterChange.objects.create(
        firm=people.firm,
        client=client,
        number="0417123457",
        kind=ChangeKind.NAME,
        before=[["1", "Boulangerie Dupont"]],
        after=[["1", "Boulangerie Dupont & Fils"]],
        after_key="k",
        extract_number=141,
        snapshot_date=date(2025, 10, 5),
    )


# URL parameters that name catalog entries or public data, not a firm's objects.
NOT_FIRM_DATA = {"key", "number"}


class _Key:
    """A catalog key is not firm data: the check is that firm B cannot reach firm A's pages."""

    pk = "octopus"


class _RegisterNumber:
    """An enterprise number of the public register: no firm's object. No register is loaded
    here, so every token gets 404 for it, firm A's too."""

    pk = "0403170701"


OBJECTS_OF_FIRM_A: dict[str, Callable] = {
    "membership_id": lambda people: people.accountant,
    "staff_id": lambda people: people.accountant,
    "staff_invitation_id": _staff_invitation,
    "invitation_id": _client_invitation,
    "registration_link_id": _registration_link,
    "company_id": _company,
    "client_id": _client,
    "contact_id": _contact,
    "link_id": _client_integration,
    "integration_id": _firm_integration,
    "template_id": _template,
    "key": lambda people: _Key,
    "batch_id": _peppol_batch,
    "document_id": _mandate_document,
    "import_id": _import_job,
    "token_id": _api_token,
    "number": lambda people: _RegisterNumber,
    "change_id": _register_change,
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


def objects_of_firm(people) -> dict:
    """One of the firm's objects for every URL parameter, by the parameter's name."""
    objects = {name: find(people).pk for name, find in OBJECTS_OF_FIRM_A.items()}
    # The contact and the integration link must belong to the client in the same URL.
    client = Client.objects.get(pk=objects["client_id"])
    objects["contact_id"] = client.contacts.get().pk
    objects["link_id"] = _client_integration_of(client, people).pk
    objects["document_id"] = _mandate_document(people, client).pk
    return objects


@pytest.fixture
def objects_of_a(firm_a):
    return objects_of_firm(firm_a)


def _client_integration_of(client, people):
    from partnerspace.configuration.models import ClientIntegration

    return ClientIntegration.objects.get_or_create(
        client=client, firm_integration=_firm_integration(people)
    )[0]


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
        if not parameter_names(route) - NOT_FIRM_DATA:
            continue
        url = fill(route, {"firm_slug": "beta", **objects_of_a})
        assert client.post(url).status_code == 404, f"POST {url}"
        # A POST-only action may answer 405 to GET: that says nothing about the object.
        assert client.get(url).status_code in {404, 405}, f"GET {url}"


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
