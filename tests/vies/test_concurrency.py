"""At most two calls to VIES at once in the installation, whatever the number of runs: the
slots are rows the database grants to one holder each, so the limit holds across threads,
worker processes and machines sharing the database."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from partnerspace.vies.models import VatCheck, ViesSlot, ViesState
from partnerspace.vies.services import (
    RUN_BUDGET,
    VIES_SLOTS,
    slot_acquire,
    slot_release,
    slot_renew,
    vat_checks_run,
)
from tests.factories import make_client
from tests.imports.rows import enterprise_number


@pytest.mark.django_db
def test_two_slots_are_handed_out_then_none_until_one_is_released():
    assert VIES_SLOTS == 2
    first, second = slot_acquire("a"), slot_acquire("b")

    assert {first, second} == {0, 1}
    assert slot_acquire("c") is None

    slot_release(first, "a")
    assert slot_acquire("c") == first


@pytest.mark.django_db
def test_a_slot_whose_holder_died_frees_itself_when_its_lease_runs_out():
    slot_acquire("a")
    slot_acquire("b")
    ViesSlot.objects.filter(holder="a").update(lease_until=timezone.now() - timedelta(seconds=1))

    taken = slot_acquire("c")

    assert taken is not None
    assert not slot_renew(taken, "a")  # the dead holder's renewal finds it gone
    assert slot_renew(taken, "c")


@pytest.mark.django_db
def test_a_run_with_no_slot_free_asks_nothing(firm_a, vies):
    make_client(firm_a.admin, vat_number=f"BE{enterprise_number(1)}")
    slot_acquire("a")
    slot_acquire("b")

    assert vat_checks_run() == 0
    assert vies.calls == []
    assert VatCheck.objects.get().is_queued


def _in_threads(count: int, work) -> list:
    results: list = []
    errors: list = []
    start = threading.Barrier(count)

    def body():
        try:
            start.wait()
            results.append(work())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_many_slots_asked_at_once_are_granted_twice():
    holders = iter(range(1000))
    lock = threading.Lock()

    def take():
        with lock:
            holder = f"h{next(holders)}"
        return slot_acquire(holder)

    results = _in_threads(8, take)

    assert sorted(result for result in results if result is not None) == [0, 1]


@pytest.mark.django_db(transaction=True)
def test_five_runs_at_once_never_make_more_than_two_calls_at_once(firm_a, vies, monkeypatch):
    # Queued, but no worker woken yet (the immediate backend would check each one at once).
    monkeypatch.setattr("partnerspace.vies.services._wake", lambda: None)
    numbers = [f"BE{enterprise_number(n)}" for n in range(1, 11)]
    for number in numbers:
        vies.knows(number)
        make_client(firm_a.admin, vat_number=number)
    vies.slow_down(0.2)

    done = _in_threads(5, vat_checks_run)

    assert sum(done) == len(numbers)
    assert vies.most_at_once == 2
    assert len(vies.calls) == len(numbers)  # each number asked once
    assert set(VatCheck.objects.values_list("state", flat=True)) == {ViesState.VALID}
    assert not ViesSlot.objects.exclude(holder="").exists()


@pytest.mark.django_db
def test_the_recovery_pass_wakes_a_run_for_checks_whose_wake_up_was_lost(
    firm_a, vies, django_capture_on_commit_callbacks
):
    from partnerspace.core.recovery import recoveries_run

    vies.knows(f"BE{enterprise_number(1)}")
    make_client(firm_a.admin, vat_number=f"BE{enterprise_number(1)}")  # its wake-up: lost
    check = VatCheck.objects.get()

    recoveries_run()  # queued a moment ago: its own wake-up may still come
    assert vies.calls == []

    VatCheck.objects.update(queued_at=timezone.now() - timedelta(minutes=2))
    slot_acquire("busy")
    recoveries_run()  # a run holds a slot and takes it up itself
    assert vies.calls == []

    ViesSlot.objects.update(holder="", lease_until=None)
    recoveries_run()

    check.refresh_from_db()
    assert (check.state, check.is_queued) == (ViesState.VALID, False)


@pytest.mark.django_db
def test_a_run_hands_over_to_a_fresh_task_when_its_time_is_up(firm_a, vies, monkeypatch):
    """A long batch of checks does not hold the worker: once its time is up a run queues a
    fresh task behind whatever waits (an import, an invitation) and stops."""
    woken = []
    monkeypatch.setattr("partnerspace.vies.services._wake", lambda: woken.append(True))
    numbers = [f"BE{enterprise_number(n)}" for n in range(1, 4)]
    for number in numbers:
        vies.knows(number)
        make_client(firm_a.admin, vat_number=number)
    woken.clear()
    assert RUN_BUDGET.total_seconds() <= 60
    # Each call takes 0.25 s and the run has 0.3 s: it makes one or two of the three.
    vies.slow_down(0.25)
    monkeypatch.setattr("partnerspace.vies.services.RUN_BUDGET", timedelta(seconds=0.3))

    done = vat_checks_run()

    assert 0 < done < len(numbers)
    assert woken == [True]
    assert VatCheck.objects.filter(state=ViesState.VALID).count() == done
    assert not ViesSlot.objects.exclude(holder="").exists()
