"""The VIES client against the local VIES: both calls, each error code in both of VIES's
shapes, a slow answer and malformed ones. No database."""

import time

import pytest

from partnerspace.vies.rest import RETRYABLE, result_from_answer, vies_ask

RETRIED_CODES = [
    "MS_UNAVAILABLE",
    "TIMEOUT",
    "GLOBAL_MAX_CONCURRENT_REQ",
    "MS_MAX_CONCURRENT_REQ",
    "SERVICE_UNAVAILABLE",
]


def test_a_valid_number_with_a_requester_is_asked_by_post_and_carries_a_consultation_number(vies):
    vies.knows("BE0403019261", "NV Brouwerij De Klok", "Veldstraat 12\n9000 Gent")

    result = vies_ask("BE", "0403019261", requester=("BE", "0417497106"))

    assert result.valid is True
    assert result.consultation_number.startswith("WAPIAAAAZ")
    assert result.name == "NV Brouwerij De Klok"
    assert result.address == "Veldstraat 12 9000 Gent"  # one line
    assert result.request_date == "2026-12-07T09:15:02.123Z"
    call = vies.calls[-1]
    assert (call.method, call.path.rsplit("/", 1)[-1]) == ("POST", "check-vat-number")
    assert call.body == {
        "countryCode": "BE",
        "vatNumber": "0403019261",
        "requesterMemberStateCode": "BE",
        "requesterNumber": "0417497106",
    }


def test_without_a_requester_the_number_is_asked_by_get_on_its_member_state(vies):
    vies.knows("EL094259216", "ΕΤΑΙΡΕΙΑ Α.Ε.")

    result = vies_ask("EL", "094259216")

    assert (result.valid, result.name, result.consultation_number) == (True, "ΕΤΑΙΡΕΙΑ Α.Ε.", "")
    call = vies.calls[-1]
    assert call.method == "GET"
    assert call.path.endswith("/ms/EL/vat/094259216")


@pytest.mark.parametrize("requester", [None, ("BE", "0417497106")])
def test_an_unknown_number_is_not_valid_and_its_dashes_are_no_name(vies, requester):
    result = vies_ask("BE", "0999999904", requester=requester)

    assert result.valid is False
    assert (result.error_code, result.name, result.address) == ("", "", "")
    assert not result.retryable


@pytest.mark.parametrize("requester", [None, ("BE", "0417497106")])
@pytest.mark.parametrize("code", RETRIED_CODES)
def test_each_temporary_failure_is_unavailable_and_retried_never_invalid(vies, code, requester):
    vies.knows("BE0403019261")
    vies.trouble(code=code)

    result = vies_ask("BE", "0403019261", requester=requester)

    assert result.valid is None
    assert result.error_code == code
    assert result.retryable
    assert code in RETRYABLE


@pytest.mark.parametrize("requester", [None, ("BE", "0417497106")])
def test_invalid_input_is_an_answer_not_valid_and_not_retried(vies, requester):
    vies.trouble(code="INVALID_INPUT")

    result = vies_ask("BE", "0403019261", requester=requester)

    assert (result.valid, result.error_code, result.retryable) == (False, "INVALID_INPUT", False)


def test_a_refused_requester_is_unavailable_and_not_retried(vies):
    vies.trouble(code="INVALID_REQUESTER_INFO", status=400)

    result = vies_ask("BE", "0403019261", requester=("BE", "0000000000"))

    assert (result.valid, result.error_code, result.retryable) == (
        None,
        "INVALID_REQUESTER_INFO",
        False,
    )


def test_a_slow_answer_is_given_up_at_the_timeout_and_retried(vies, settings):
    settings.PARTNERSPACE_VIES_TIMEOUT = 0.5
    vies.knows("BE0403019261")
    vies.trouble(delay=3.0)

    started = time.monotonic()
    result = vies_ask("BE", "0403019261")

    assert time.monotonic() - started < 2.0
    assert (result.valid, result.error_code, result.retryable) == (None, "NO_ANSWER", True)


@pytest.mark.parametrize(
    ("status", "raw"),
    [
        (200, b"<html>Service temporarily down</html>"),
        (200, b'{"isValid": "yes"}'),
        (200, b"[1, 2]"),
        (200, b'{"valid": true'),
        (502, b""),
        (503, b'{"message": "maintenance"}'),
        (200, b'{"actionSucceed": false}'),
    ],
)
def test_a_malformed_answer_is_unavailable_and_retried(vies, status, raw):
    vies.trouble(raw=raw, status=status)

    result = vies_ask("BE", "0403019261")

    assert result.valid is None
    assert result.error_code in {"BAD_ANSWER", "NO_ANSWER"}
    assert result.retryable


def test_nothing_listening_is_no_answer(settings):
    settings.PARTNERSPACE_VIES_URL = "http://127.0.0.1:9/rest-api"
    settings.PARTNERSPACE_VIES_TIMEOUT = 1.0

    result = vies_ask("BE", "0403019261")

    assert (result.valid, result.error_code) == (None, "NO_ANSWER")


def test_a_success_code_outside_the_answer_is_read_as_the_documented_fields():
    body = b'{"isValid": false, "userError": "INVALID", "name": "---", "address": "---"}'
    assert result_from_answer(200, body).valid is False
    body = b'{"actionSucceed": false, "errorWrappers": [{"error": "ms_unavailable"}]}'
    assert result_from_answer(500, body).error_code == "MS_UNAVAILABLE"
    body = b'{"actionSucceed": false, "errorWrappers": [{"error": "<script>"}]}'
    assert result_from_answer(500, body).error_code == "BAD_ANSWER"
