"""A worker killed (kill -9) while it hands an invitation to the mail server: a second worker
leaves the mail alone while the first one's claim holds, then sends it, once.

Real parts: two `partnerspace task_worker` processes on an on-disk database, on the database
queue or on Redis (the `background` pass), a real SMTP server (aiosmtpd) that is made to hang
in the middle of the conversation.
"""

import asyncio
import threading
import time

import pytest

from tests.processes import AN_HOUR, DATABASE, fresh_process_database
from tests.smtp import smtp_server

__all__ = ["fresh_process_database"]  # the fixture, used by name

pytestmark = pytest.mark.background


class HangingMailbox:
    """Delivers what it accepts; the first message it is handed it holds, without answering,
    until `release` (by then the sender is dead: its message was never accepted)."""

    def __init__(self):
        self.delivered: list[tuple[list[str], bytes]] = []
        self.hang_next = True
        self.receiving = threading.Event()
        self.release = threading.Event()
        self.held_by = None

    def sender_gone(self) -> bool:
        """Whether the connection of the message held was closed (its sender died)."""
        transport = self.held_by.transport if self.held_by else None
        return transport is None or transport.is_closing()

    async def handle_DATA(self, server, session, envelope):
        if self.hang_next:
            self.hang_next = False
            self.held_by = server
            self.receiving.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        if server.transport is None or server.transport.is_closing():
            return "421 The sender is gone"
        self.delivered.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox():
    handler = HangingMailbox()
    with smtp_server(handler) as port:
        yield handler, port
        handler.release.set()


@pytest.fixture
def workplace(fresh_process_database, mailbox):
    _handler, port = mailbox
    return fresh_process_database(EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=60")


def invitation_of(state: dict) -> dict:
    [invitation] = state["invitations"]
    return invitation


def test_an_invitation_whose_worker_was_killed_mid_send_is_sent_once_by_another(workplace, mailbox):
    handler, _port = mailbox
    workplace.step("invitation")

    first = workplace.start_worker("worker-1")
    assert handler.receiving.wait(60), workplace.log_of("worker-1")
    state = workplace.step("state")
    assert invitation_of(state)["claimed"] and not invitation_of(state)["sent"]
    assert [t["status"] for t in state["tasks"]] == ["RUNNING"]
    # A second worker runs beside it; then the first dies with everything it forked.
    workplace.start_worker("worker-2")
    workplace.kill(first)
    # Released once the server has seen the connection close, as a real one would by then.
    deadline = time.monotonic() + 30
    while not handler.sender_gone() and time.monotonic() < deadline:
        time.sleep(0.05)
    handler.release.set()

    # The second worker sees the task left by a dead worker: on the database queue it stays
    # RUNNING, on Redis RQ fails it as abandoned. Either way the claim still holds: nothing is
    # sent, since the dead worker may have handed the mail over already.
    if workplace.backend == DATABASE:
        time.sleep(3)  # six of its looks for lost tasks
        left = ("RUNNING", "")
    else:
        workplace.wait_for(
            lambda s: s["tasks"][0]["status"] == "FAILED", message="RQ never noticed the death"
        )
        time.sleep(2)  # four of its looks for lost tasks
        left = ("FAILED", "AbandonedJobError")
    state = workplace.step("state")
    assert handler.delivered == []
    assert [(t["status"], t["error"]) for t in state["tasks"]] == [left]
    assert invitation_of(state)["claimed"] and not invitation_of(state)["sent"]

    # The lease runs out: the task is taken up again and the mail goes out, once.
    workplace.step("age", seconds=AN_HOUR)
    state = workplace.wait_for(
        lambda s: invitation_of(s)["sent"], message="the invitation was never sent"
    )
    state = workplace.wait_for(
        lambda s: "RUNNING" not in {t["status"] for t in s["tasks"]},
        message="the second run never ended",
    )
    assert [(t["task"], t["status"], t["error"]) for t in state["tasks"]] == [
        ("deliver_invitation", "FAILED", "WorkerLost"),
        ("deliver_invitation", "SUCCESSFUL", ""),
    ]
    assert invitation_of(state)["state"] == "sent"
    assert invitation_of(state)["claimed"] is False
    assert [recipients for recipients, _content in handler.delivered] == [["jan@peeters.example"]]
    assert b"/invite/" in handler.delivered[0][1]

    time.sleep(2)  # and never again
    assert len(handler.delivered) == 1
    assert "RUNNING" not in {t["status"] for t in workplace.step("state")["tasks"]}
