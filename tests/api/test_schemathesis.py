"""Every operation of the API, fuzzed by schemathesis: whatever a client sends, the answer is
never a 5xx, and its status, content type and shape are among those the document declares.

Each operation's cases act as an administrator (every answer beyond the role) and as an
accountant (the role refusals, and the clients they do not see), with a valid token unless
the case is about the token itself."""

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.fuzzing import load_schema, world_build

pytestmark = pytest.mark.django_db

SCHEMA = load_schema()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(params=["admin", "accountant"])
def world(request, firm_a, firm_b, settings, tmp_path):
    # Uploads go to the test's own folder, not the installation's; the SMP is a local address.
    settings.MEDIA_ROOT = tmp_path
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = ["127.0.0.1"]
    return world_build(firm_a, firm_b, actor=getattr(firm_a, request.param))


@SCHEMA.parametrize()
# One world for all of an operation's cases: what one case creates, the next may find.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented_and_never_with_a_server_error(case, world):
    world.send(case, checks=CHECKS)
