"""VIES checks made by the worker against the local VIES: the states they leave, retries with
back-off, INVALID_INPUT, the day's cache, and "unavailable" never shown as "invalid"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerspace.clients.services import client_update
from partnerspace.vies.models import VatCheck, ViesAnswer, ViesState
from partnerspace.vies.services import MAX_ATTEMPTS, vat_check_request, vat_checks_run
from tests.factories import make_client
from tests.imports.rows import enterprise_number

pytestmark = pytest.mark.django_db

NUMBER = enterprise_number(1)
VAT = f"BE{NUMBER}"


@pytest.fixture
def client_a(firm_a, vies):
    return make_client(firm_a.admin, "Bakkerij Peeters BV", vat_number=VAT)


def check_of(client) -> VatCheck:
    return VatCheck.objects.get(client=client)


def due_now() -> None:
    """The back-off has passed."""
    VatCheck.objects.exclude(next_attempt_at=None).update(next_attempt_at=timezone.now())


def test_a_new_client_waits_for_its_check_and_the_worker_finds_it_valid(vies, client_a, firm_a):
    vies.knows(VAT, "BAKKERIJ PEETERS", "Kerkstraat 1\n9000 Gent")
    assert check_of(client_a).state == ViesState.PENDING
    assert check_of(client_a).is_queued
    assert vies.calls == []  # nothing asked inside the request

    assert vat_checks_run() == 1

    check = check_of(client_a)
    assert check.state == ViesState.VALID
    assert (check.vies_name, check.vies_address) == ("BAKKERIJ PEETERS", "Kerkstraat 1 9000 Gent")
    assert check.answered_at is not None and check.checked_at is not None
    assert not check.is_queued
    assert check.consultation_number == ""  # no requester set


def test_the_firms_own_vat_number_goes_as_requester_and_the_consultation_number_is_kept(
    vies, firm_a
):
    firm_a.firm.vat_number = f"BE{enterprise_number(2)}"
    firm_a.firm.save()
    client = make_client(firm_a.admin, vat_number=VAT)
    vies.knows(VAT)

    vat_checks_run()

    assert vies.calls[-1].body["requesterNumber"] == enterprise_number(2)
    check = check_of(client)
    assert check.consultation_number.startswith("WAPIAAAAZ")
    assert check.requester == firm_a.firm.vat_number


def test_an_unknown_number_is_invalid(vies, client_a):
    vat_checks_run()

    assert check_of(client_a).state == ViesState.INVALID
    assert check_of(client_a).answer_valid is False


@pytest.mark.parametrize(
    "code",
    ["MS_UNAVAILABLE", "TIMEOUT", "GLOBAL_MAX_CONCURRENT_REQ", "MS_MAX_CONCURRENT_REQ",
     "SERVICE_UNAVAILABLE"],
)  # fmt: skip
def test_a_temporary_failure_is_unavailable_then_retried_after_its_back_off(vies, client_a, code):
    vies.knows(VAT)
    vies.trouble(code=code)

    vat_checks_run()

    check = check_of(client_a)
    assert check.state == ViesState.UNAVAILABLE
    assert check.error_code == code
    assert check.answer_valid is None  # nothing known about the number
    assert check.is_queued
    assert timedelta(seconds=50) < check.next_attempt_at - timezone.now() <= timedelta(minutes=1)

    vat_checks_run()  # not due yet: VIES is not asked again
    assert len(vies.calls) == 1

    due_now()
    vat_checks_run()

    check = check_of(client_a)
    assert (check.state, check.error_code, check.is_queued) == (ViesState.VALID, "", False)
    assert len(vies.calls) == 2


def test_the_back_off_grows_and_gives_up_after_the_last_attempt_still_unavailable(vies, client_a):
    vies.trouble(code="MS_UNAVAILABLE", count=MAX_ATTEMPTS)
    waits = []
    for _attempt in range(MAX_ATTEMPTS):
        due_now()
        vat_checks_run()
        check = check_of(client_a)
        if check.next_attempt_at:
            waits.append(check.next_attempt_at - check.checked_at)

    assert len(vies.calls) == MAX_ATTEMPTS
    assert waits == sorted(waits) and waits[0] < waits[-1]
    check = check_of(client_a)
    assert (check.state, check.is_queued, check.next_attempt_at) == (
        ViesState.UNAVAILABLE,
        False,
        None,
    )


def test_invalid_input_is_invalid_and_not_retried(vies, client_a):
    vies.trouble(code="INVALID_INPUT")

    vat_checks_run()
    due_now()
    vat_checks_run()

    check = check_of(client_a)
    assert (check.state, check.error_code, check.is_queued) == (
        ViesState.INVALID,
        "INVALID_INPUT",
        False,
    )
    assert len(vies.calls) == 1


def test_a_slow_answer_leaves_the_check_unavailable_and_queued(vies, client_a, settings):
    settings.PARTNERSPACE_VIES_TIMEOUT = 0.3
    vies.trouble(delay=2.0)

    vat_checks_run()

    check = check_of(client_a)
    assert (check.state, check.error_code, check.is_queued) == (
        ViesState.UNAVAILABLE,
        "NO_ANSWER",
        True,
    )


def test_a_malformed_answer_leaves_the_check_unavailable_and_queued(vies, client_a):
    vies.trouble(raw=b"<html>Oops</html>")

    vat_checks_run()

    check = check_of(client_a)
    assert (check.state, check.error_code, check.is_queued) == (
        ViesState.UNAVAILABLE,
        "BAD_ANSWER",
        True,
    )


def test_unavailable_after_a_valid_answer_keeps_that_answer_and_never_says_invalid(
    vies, client_a, firm_a
):
    vies.knows(VAT, "BAKKERIJ PEETERS")
    vat_checks_run()
    ViesAnswer.objects.update(answered_at=timezone.now() - timedelta(hours=25))
    vies.trouble(code="MS_UNAVAILABLE")

    vat_check_request(membership=firm_a.manager, client=client_a)
    vat_checks_run()

    check = check_of(client_a)
    assert check.state == ViesState.UNAVAILABLE
    assert (check.answer_valid, check.vies_name) == (True, "BAKKERIJ PEETERS")


def test_a_number_answered_today_is_not_asked_again(vies, client_a, firm_a):
    vies.knows(VAT)
    vat_checks_run()

    vat_check_request(membership=firm_a.manager, client=client_a)
    vat_checks_run()

    assert len(vies.calls) == 1
    check = check_of(client_a)
    assert (check.state, check.is_queued) == (ViesState.VALID, False)


def test_an_answer_from_the_days_cache_keeps_the_time_vies_gave_it(vies, client_a, firm_a):
    # The consultation number is the firm's proof of its check: the check shows it beside
    # the time VIES gave it, not the time it was read again from the cache.
    firm_a.firm.vat_number = f"BE{enterprise_number(50)}"
    firm_a.firm.save()
    vies.knows(VAT)
    vat_checks_run()
    first = check_of(client_a)
    answered = timezone.now() - timedelta(hours=20)
    ViesAnswer.objects.update(answered_at=answered)

    vat_check_request(membership=firm_a.manager, client=client_a)
    vat_checks_run()

    check = check_of(client_a)
    assert len(vies.calls) == 1
    assert check.consultation_number == first.consultation_number
    assert check.answered_at == answered


def test_a_day_later_the_number_is_asked_again(vies, client_a, firm_a):
    vies.knows(VAT)
    vat_checks_run()
    ViesAnswer.objects.update(answered_at=timezone.now() - timedelta(hours=24, minutes=1))

    vat_check_request(membership=firm_a.manager, client=client_a)
    vat_checks_run()

    assert len(vies.calls) == 2


def test_the_days_answer_is_shared_only_under_the_same_requester(vies, firm_a, firm_b):
    """Another firm's client with the same number gets its own consultation number."""
    firm_a.firm.vat_number = f"BE{enterprise_number(2)}"
    firm_a.firm.save()
    firm_b.firm.vat_number = f"BE{enterprise_number(3)}"
    firm_b.firm.save()
    vies.knows(VAT)
    of_a = make_client(firm_a.admin, vat_number=VAT)
    vat_checks_run()
    of_b = make_client(firm_b.admin, vat_number=VAT)
    vat_checks_run()

    assert len(vies.calls) == 2
    assert check_of(of_a).consultation_number != check_of(of_b).consultation_number
    assert vies.calls[1].body["requesterNumber"] == enterprise_number(3)


def test_a_firm_that_gives_another_firms_vat_number_as_its_own_gets_no_answer_of_that_firm(
    vies, firm_a, firm_b
):
    """The requester is what a firm types in its settings: firm B naming firm A's number must
    not receive the answer, and the consultation number, that firm A obtained that day."""
    firm_a.firm.vat_number = f"BE{enterprise_number(2)}"
    firm_a.firm.save()
    firm_b.firm.vat_number = firm_a.firm.vat_number
    firm_b.firm.save()
    vies.knows(VAT)
    of_a = make_client(firm_a.admin, vat_number=VAT)
    vat_checks_run()
    of_b = make_client(firm_b.admin, vat_number=VAT)
    vat_checks_run()

    assert len(vies.calls) == 2
    assert check_of(of_a).consultation_number != check_of(of_b).consultation_number


def test_a_new_vat_number_starts_over_and_is_checked(vies, client_a, firm_a):
    vies.knows(VAT, "OLD")
    vat_checks_run()
    other = f"BE{enterprise_number(4)}"
    vies.knows(other, "NEW")

    client_update(
        membership=firm_a.manager,
        client=client_a,
        data={"vat_number": other, "company_number": enterprise_number(4)},
    )

    check = check_of(client_a)
    assert (check.state, check.vat, check.vies_name, check.is_queued) == (
        ViesState.PENDING,
        other,
        "",
        True,
    )
    vat_checks_run()
    assert (check_of(client_a).state, check_of(client_a).vies_name) == (ViesState.VALID, "NEW")


def test_removing_the_vat_number_removes_the_vies_state(vies, client_a, firm_a):
    client_update(membership=firm_a.manager, client=client_a, data={"vat_number": ""})

    assert not VatCheck.objects.filter(client=client_a).exists()


def test_a_vat_number_vies_does_not_know_is_not_checked(vies, firm_a):
    client = make_client(firm_a.admin, country="CH", vat_number="CHE-123.456.788")

    assert not VatCheck.objects.filter(client=client).exists()


def test_without_a_vies_address_nothing_is_queued(firm_a, settings):
    settings.PARTNERSPACE_VIES_URL = ""

    client = make_client(firm_a.admin, vat_number=VAT)

    assert not VatCheck.objects.filter(client=client).exists()


def test_a_result_for_a_number_changed_during_the_call_is_dropped(vies, client_a, firm_a):
    from partnerspace.vies import services

    vies.knows(VAT)
    claimed = services._claim_next()
    other = f"BE{enterprise_number(4)}"
    client_update(
        membership=firm_a.manager,
        client=client_a,
        data={"vat_number": other, "company_number": enterprise_number(4)},
    )

    assert services.vat_check_make(claimed) == "superseded"

    check = check_of(client_a)
    assert (check.state, check.vat, check.is_queued) == (ViesState.PENDING, other, True)
