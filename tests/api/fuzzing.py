"""Schemathesis over the whole JSON API, in process: shared by every test that fuzzes it.

The schema is the one `/api/v1/openapi.json` serves, fetched through Django's own WSGI handler,
and every generated request goes through that handler too: no server, no network, the test's
database transaction. The run is bounded and repeatable (a fixed seed, derandomized, a few
examples per operation), so it belongs in the ordinary suite.

A test asks for `api_schema` through `schemathesis.pytest.from_fixture` or uses `SCHEMA`
(loaded once, at import) with `@SCHEMA.parametrize()`, and sends each case with
`case.call_and_validate(headers=bearer(membership), checks=...)`.
"""

from contextlib import contextmanager

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.factories import make_token

SCHEMA_PATH = "/api/v1/openapi.json"

# Fixed seed and derandomized: the same cases every run, on every machine. The coverage phase
# sends each parameter's boundaries (huge integers, wrong types, missing fields) once; the
# fuzzing phase adds a few generated cases per operation (max-examples), which keeps the 29
# operations to well under a minute on the project's 2-core machine.
CONFIG = """
seed = 20251107

[generation]
deterministic = true
max-examples = 12
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


def bearer(membership) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(membership)}"}
