"""A worker killed (kill -9) in the middle of a bulk Peppol registration: a second worker
registers the other clients at once, the one the dead worker held once its lease runs out,
and the batch's progress page ends.

Real parts: two `partnerspace task_worker` processes on an on-disk database, on the database
queue or on Redis (the `background` pass), the local SML (DNS) and SMP (phoss-SMP REST API),
the SMP made to hang in the middle of a registration.
"""

import time
from collections import Counter

import pytest

from tests.peppol.servers import LocalSml, LocalSmp
from tests.processes import AN_HOUR, DATABASE, fresh_process_database

__all__ = ["fresh_process_database"]  # the fixture, used by name

pytestmark = pytest.mark.background

COUNT = 4


@pytest.fixture
def network():
    sml = LocalSml().start()
    smp = LocalSmp().start()
    yield sml, smp
    smp.stop()
    sml.stop()


@pytest.fixture
def workplace(fresh_process_database, network):
    sml, _smp = network
    return fresh_process_database(
        PARTNERSPACE_DNS_RESOLVER=sml.address,
        PARTNERSPACE_SML_ZONE=sml.zone,
        PARTNERSPACE_SMP_ALLOWED_NETWORKS="127.0.0.1",
        PARTNERSPACE_SMP_TIMEOUT="60",
    )


def registered(state: dict) -> list[str]:
    return [c for c, r in state["registrations"].items() if r["status"] == "registered"]


def test_a_bulk_registration_whose_worker_was_killed_is_finished_once_by_another(
    workplace, network
):
    _sml, smp = network
    scene = workplace.step(
        "batch", smp_url=smp.url, username=smp.username, password=smp.password, count=COUNT
    )
    first_client = str(scene["clients"][0])

    # The first business card waits: the worker is killed in the middle of that call, after
    # the service group and its two metadata were answered.
    smp.hold_kind = "business_card"
    smp.hold.clear()
    first = workplace.start_worker("worker-1")
    assert smp.held.wait(60), workplace.log_of("worker-1")
    state = workplace.step("state")
    assert state["registrations"][first_client] == {
        "status": "pending",
        "steps": 3,
        "leased": True,
        "error": "",
    }
    # A second worker runs beside it; then the first dies with everything it forked.
    workplace.start_worker("worker-2")
    workplace.kill(first)
    smp.hold.set()  # the SMP still carries out the call the dead worker made

    # The second worker registers the others; the held one waits for its lease. On the
    # database queue its task stays RUNNING; on Redis, RQ fails it as abandoned.
    dead = ("RUNNING", "") if workplace.backend == DATABASE else ("FAILED", "AbandonedJobError")

    def left_by_the_dead(state):
        return [(t["task"], t["args"]) for t in state["tasks"] if (t["status"], t["error"]) == dead]

    state = workplace.wait_for(
        lambda s: len(registered(s)) == COUNT - 1 and left_by_the_dead(s),
        message="the other clients were not registered",
    )
    time.sleep(2)  # four of its looks for lost tasks
    state = workplace.step("state")
    assert state["registrations"][first_client]["status"] == "pending"
    assert state["batch_page"] == {"status": 200, "polling": True, "done": False}
    assert left_by_the_dead(state) == [("register_client", [int(first_client)])]

    # Its lease runs out: the registration is taken up again and finished.
    workplace.step("age", seconds=AN_HOUR)
    state = workplace.wait_for(
        lambda s: (
            len(registered(s)) == COUNT
            and not s["batch_page"]["polling"]
            and "RUNNING" not in {t["status"] for t in s["tasks"]}
        ),
        message="the batch never finished",
    )
    assert state["batch_page"] == {"status": 200, "polling": False, "done": True}
    assert "RUNNING" not in {t["status"] for t in state["tasks"]}
    lost = [t for t in state["tasks"] if t["error"] == "WorkerLost"]
    assert [(t["task"], t["args"]) for t in lost] == [("register_client", [int(first_client)])]
    for client, actions in state["history"].items():
        assert actions == ["peppol_registration_requested", "peppol_registered"], client

    # At the SMP: every client once, with its two document types and its business card. Only
    # the call the worker died in was made twice (the same PUT, the same state): the calls
    # answered before it were kept, and not repeated.
    assert len(smp.service_groups) == COUNT
    assert all(len(documents) == 2 for documents in smp.service_groups.values())
    assert len(smp.business_cards) == COUNT
    writes = Counter((call.participant, call.kind, call.document) for call in smp.writes())
    assert len(writes) == COUNT * 4  # service group, two metadata, business card
    repeated = {key: n for key, n in writes.items() if n > 1}
    assert list(repeated.values()) == [2]
    [(_participant, kind, _document)] = repeated
    assert kind == "business_card"
    assert smp.refused_xml == []
