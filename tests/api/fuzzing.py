"""Schemathesis over the whole JSON API, in process: shared by every test that fuzzes it.

The schema is the one `/api/v1/openapi.json` serves, fetched through Django's own WSGI handler,
and every generated request goes through that handler too: no server, no network, the test's
database transaction. The run is bounded and repeatable (a fixed seed, derandomized, a few
examples per operation), so it belongs in the ordinary suite.

A test loads the schema once, at import (`load_schema()`), parametrizes over its operations
(`@SCHEMA.parametrize()`), builds a `World` for each operation and sends each case with
`world.send(case, checks=...)`.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from partnerspace.api.models import ApiToken
from partnerspace.api.services import api_token_create
from partnerspace.clients.models import ClientAssignment
from partnerspace.clients.services import contact_add
from partnerspace.configuration.services import template_create
from partnerspace.firms.models import Membership
from partnerspace.imports import services as imports
from partnerspace.imports.models import ImportJob, ImportStatus
from partnerspace.invitations.services import client_invite
from partnerspace.peppol.models import PeppolBatch
from tests.factories import make_client
from tests.imports.builders import csv_bytes
from tests.imports.test_views import BAD_NUMBER, HEADERS_NL, row
from tests.peppol.builders import configure

SCHEMA_PATH = "/api/v1/openapi.json"

# Fixed seed and derandomized: the same cases every run, on every machine. The coverage phase
# sends each parameter's boundaries (huge integers, wrong types, missing fields, no token)
# once; the fuzzing phase adds a few generated cases per operation (max-examples).
CONFIG = """
seed = 20251107

[generation]
deterministic = true
max-examples = 10
mode = "all"
database = "none"

[phases]
examples.enabled = true
coverage.enabled = true
fuzzing.enabled = true
stateful.enabled = false
"""


class TestWsgiApp:
    """Django's WSGI handler, minus what a test transaction cannot survive.

    A real server closes stale database connections when a request starts and ends; inside a
    test that would close the connection holding the test's own transaction (Django's test
    client leaves them out the same way).
    """

    __test__ = False  # not a test class, whatever its name

    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        with _connections_kept():
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()


@contextmanager
def _connections_kept():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def load_schema():
    """The served OpenAPI document, bound to the in-process app."""
    return schemathesis.openapi.from_wsgi(
        SCHEMA_PATH, TestWsgiApp(), config=schemathesis.Config.from_str(CONFIG)
    )


# An SMP that is configured but never reached: a registration is queued after the commit that
# a test transaction never makes.
QUIET_SMP = SimpleNamespace(url="http://127.0.0.1:9/", username="alfa", password="geheim")


@dataclass
class World:
    """One firm with something behind every path id, and the token a case is sent with.

    `ids[name]` lists the objects a path parameter may name: a generated 1 names the first,
    2 the second, as on a fresh database; so the same cases reach the same objects on SQLite
    and on PostgreSQL, whose sequences a rolled-back test does not reset. Any other value is
    sent as generated (and answers 404 or 422).
    """

    actor: Membership  # the token acts as it
    ids: dict[str, list[int]] = field(default_factory=dict)
    _token: ApiToken | None = None
    _raw: str = ""

    def send(self, case, *, checks):
        """Send the case with a valid token, its path ids naming this world's objects."""
        for name, value in (case.path_parameters or {}).items():
            known = self.ids.get(name, [])
            if type(value) is int and 1 <= value <= len(known):
                case.path_parameters[name] = known[value - 1]
        return case.call_and_validate(headers=self._bearer(), checks=checks)

    def _bearer(self) -> dict[str, str]:
        # Made again when a case revoked the one in use (DELETE /tokens/{token_id} may name
        # it), so that every later case is answered beyond the 401.
        token = self._token
        if token is None or ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=False).exists():
            created = api_token_create(membership=self.actor, name="fuzzing")
            self._token, self._raw = created.token, created.raw
        return {"Authorization": f"Bearer {self._raw}"}


def world_build(firm_a, firm_b, *, actor) -> World:
    """Firm A with a client of each kind the operations tell apart, a template, imports that
    finished and stopped, a Peppol batch, the SMP configured; and a client of firm B, which
    must stay out of sight. The accountant is assigned to the first client only."""
    admin = firm_a.admin
    configure(admin, QUIET_SMP)
    # Draft, a confirmed mandate and an enterprise number: registrable; two contacts.
    peeters = make_client(
        admin, "Bakkerij Peeters BV", company_number="0403170701", peppol_mandate=True
    )
    contact_add(
        membership=admin,
        client=peeters,
        data={
            "first_name": "Els",
            "last_name": "Maes",
            "email": "els@peeters.example",
            "locale": "nl-BE",
        },
    )
    ClientAssignment.objects.create(client=peeters, membership=firm_a.accountant)
    # Invited: it has an open invitation.
    janssens = make_client(admin, "Slagerij Janssens", vat_number="BE0123456749")
    [invitation] = client_invite(membership=admin, client=janssens)
    make_client(firm_b.admin, "Brasserie Bêta SRL")
    template = template_create(membership=admin, name="Standaard", user_ids=[admin.pk])
    batch = PeppolBatch.objects.create(firm=firm_a.firm, created_by=admin.user, total=1)
    return World(
        actor=actor,
        ids={
            "client_id": [peeters.pk, janssens.pk],
            "contact_id": [
                *peeters.contacts.order_by("-is_primary", "pk").values_list("pk", flat=True),
                *janssens.contacts.values_list("pk", flat=True),
            ],
            "invitation_id": [invitation.pk],
            "template_id": [template.pk],
            "import_id": _imports(admin),
            "batch_id": [batch.pk],
            "staff_id": [firm_a.admin.pk, firm_a.manager.pk, firm_a.accountant.pk],
            "token_id": [api_token_create(membership=actor, name="spare").token.pk],
        },
    )


def _imports(admin) -> list[int]:
    """A finished import with a refused row (it has a report), and one that stopped halfway
    (it can be resumed)."""
    content = csv_bytes([HEADERS_NL, row(1), row(2, company_number=BAD_NUMBER)])
    done = imports.import_job_create(membership=admin, file_name="klanten.csv", content=content)
    imports.import_preview(job=done)
    imports.import_start(membership=admin, job=done)
    stopped = imports.import_job_create(membership=admin, file_name="rest.csv", content=content)
    ImportJob.objects.filter(pk=stopped.pk).update(
        status=ImportStatus.INTERRUPTED, import_started_at=stopped.created_at
    )
    return [done.pk, stopped.pk]
