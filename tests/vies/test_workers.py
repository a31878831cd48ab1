"""The limit of two calls at once holds across real worker processes: three `partnerspace
task_worker` processes on the test database, each taking VIES runs from the queue."""

import pytest

from partnerspace.vies.models import VatCheck, ViesState
from tests.factories import make_client
from tests.imports.rows import enterprise_number

pytestmark = pytest.mark.background


def test_three_workers_never_make_more_than_two_calls_at_once(
    task_workers, vies, firm_a, monkeypatch
):
    monkeypatch.setenv("PARTNERSPACE_TEST_VIES_URL", vies.url)  # the workers' VIES
    vies.slow_down(0.5)
    pool = task_workers(3)
    numbers = [f"BE{enterprise_number(n)}" for n in range(1, 11)]
    for number in numbers:
        vies.knows(number)
        make_client(firm_a.admin, vat_number=number)  # each commit queues a run

    pool.wait_for(
        lambda: set(VatCheck.objects.values_list("state", flat=True)) == {ViesState.VALID},
        timeout=180,
        what="every number to be checked",
    )

    assert VatCheck.objects.count() == len(numbers)
    assert vies.most_at_once == 2
    assert sorted(call.path.rsplit("/", 1)[-1] for call in vies.calls) == sorted(
        number[2:] for number in numbers
    )  # each asked once
