"""Every operation of the API, fuzzed by schemathesis: whatever a client sends, the answer is
never a 5xx, and what it answers has the documented content type and shape."""

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.api.fuzzing import bearer, load_schema
from tests.factories import make_client

pytestmark = pytest.mark.django_db

SCHEMA = load_schema()

# status_code_conformance is left out: no operation documents its 401 yet.
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.fixture
def firm_a_admin(firm_a, firm_b):
    """Firm A's administrator's token, with something to find: clients of firm A, and one of
    firm B that must stay out of sight."""
    make_client(firm_a.admin, "Bakkerij Peeters BV", company_number="0403170701")
    make_client(firm_a.admin, "Slagerij Janssens", vat_number="BE0123456749")
    make_client(firm_b.admin, "Brasserie Bêta SRL")
    return bearer(firm_a.admin)


@SCHEMA.parametrize()
# One firm for all of an operation's cases: what one case creates, the next may find.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_without_a_server_error_as_documented(case, firm_a_admin):
    case.call_and_validate(headers=firm_a_admin, checks=CHECKS)
