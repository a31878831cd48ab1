"""Sending an invitation reliably: after commit, retried with back-off, never lost, never twice."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend
from django.core.management import call_command
from django.db import connection
from django.test import Client as Browser
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from partnerspace.clients.models import ClientStatus
from partnerspace.core.delivery import CLAIM_LEASE, MAX_SEND_ATTEMPTS
from partnerspace.core.retry import BACKOFF, backoff_delay
from partnerspace.invitations import services
from partnerspace.invitations.models import Invitation, InvitationState
from partnerspace.invitations.tasks import deliver_invitation
from tests.invitations.helpers import accept_as_new_user, draft_client, link_in, send_invitation

pytestmark = pytest.mark.django_db

BACKEND = "tests.invitations.test_delivery.FlakyBackend"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class FlakyBackend(BaseEmailBackend):
    """A mail server that refuses the next `failures` messages, then delivers to mail.outbox."""

    failures = 0
    attempts = 0

    def send_messages(self, messages):
        FlakyBackend.attempts += 1
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return MemoryBackend().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = BACKEND
    FlakyBackend.failures = 0
    FlakyBackend.attempts = 0
    yield FlakyBackend
    FlakyBackend.failures = 0


@pytest.fixture
def database_tasks(settings, transactional_db):
    """The production task backend: deferred work waits in the database for the worker.

    Real commits: the worker checks its connection between tasks, which a test wrapped in one
    long transaction would not survive on PostgreSQL.
    """
    settings.TASKS = DATABASE_TASKS
    assert deliver_invitation.get_backend().supports_defer


def run_worker(capture):
    # The retry is queued after the failed attempt's transaction commits.
    with capture(execute=True):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")


def test_the_waits_grow_from_a_minute_to_half_a_day():
    waits = [backoff_delay(attempt) for attempt in range(1, MAX_SEND_ATTEMPTS + 3)]
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)]
    assert waits == sorted(waits)
    assert waits[-1] == BACKOFF[-1] == timedelta(hours=12)


def test_a_failed_send_is_retried_and_the_mail_goes_out_once(
    firm_a, flaky, django_capture_on_commit_callbacks
):
    flaky.failures = 2
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    invitation.refresh_from_db()
    assert flaky.attempts == 3
    assert invitation.state == InvitationState.SENT
    assert invitation.send_attempts == 3
    assert invitation.last_error == ""
    assert invitation.next_attempt_at is None
    assert len(mail.outbox) == 1


def test_the_retry_waits_in_the_database_with_back_off_and_the_worker_sends_it(
    firm_a, flaky, database_tasks, django_capture_on_commit_callbacks
):
    flaky.failures = 1
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    # Queued after commit, not sent inside the request.
    assert flaky.attempts == 0
    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs == {"args": [invitation.pk], "kwargs": {}}

    before = timezone.now()
    run_worker(django_capture_on_commit_callbacks)
    invitation.refresh_from_db()
    assert flaky.attempts == 1
    assert invitation.state == InvitationState.RETRYING
    assert invitation.send_attempts == 1
    assert "SMTPServerDisconnected" in invitation.last_error
    assert invitation.token_selector is None  # a failed attempt leaves no usable link
    retry = DBTaskResult.objects.exclude(pk=queued.pk).get()
    assert retry.status == "READY"
    assert retry.args_kwargs == {"args": [invitation.pk], "kwargs": {}}
    # One minute after the first failure, and the client page says when.
    assert before + timedelta(seconds=55) < retry.run_after < timezone.now() + timedelta(minutes=1)
    assert abs(retry.run_after - invitation.next_attempt_at) < timedelta(seconds=2)

    # The worker leaves it alone until then.
    run_worker(django_capture_on_commit_callbacks)
    assert flaky.attempts == 1
    assert mail.outbox == []

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(seconds=1))
    run_worker(django_capture_on_commit_callbacks)
    invitation.refresh_from_db()
    assert flaky.attempts == 2
    assert invitation.state == InvitationState.SENT
    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2

    # A stray second run of the task (a redelivered job, a double click) sends nothing.
    assert deliver_invitation.call(invitation.pk) == "skipped"
    run_worker(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_each_failure_waits_longer(
    firm_a, flaky, database_tasks, django_capture_on_commit_callbacks
):
    flaky.failures = 3
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    waits = []
    for _attempt in range(3):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        started = timezone.now()
        run_worker(django_capture_on_commit_callbacks)
        invitation.refresh_from_db()
        waits.append(invitation.next_attempt_at - started)
    assert [round(wait.total_seconds() / 60) for wait in waits] == [1, 5, 15]
    assert invitation.send_attempts == 3
    assert mail.outbox == []


def test_after_the_last_attempt_it_is_failed_not_lost_and_the_client_page_shows_the_error(
    firm_a, web, flaky, django_capture_on_commit_callbacks
):
    flaky.failures = 10_000
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    invitation.refresh_from_db()
    assert flaky.attempts == MAX_SEND_ATTEMPTS
    assert invitation.state == InvitationState.FAILED
    assert invitation.failed_at is not None
    assert invitation.token_selector is None and invitation.token_digest == ""
    assert mail.outbox == []

    browser = web(firm_a.admin)
    page = browser.get(f"/f/alfa/clients/{client.pk}/").text
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert "Could not be sent" in page
    assert f"/f/alfa/invitations/{invitation.pk}/retry/" in page

    # The administrator fixed the mail server: "Try again" sends the same invitation.
    flaky.failures = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/f/alfa/invitations/{invitation.pk}/retry/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SENT
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1
    assert "SMTPServerDisconnected" not in browser.get(f"/f/alfa/clients/{client.pk}/").text


def test_the_client_page_shows_a_send_that_is_being_retried_with_its_error(
    firm_a, web, flaky, database_tasks, django_capture_on_commit_callbacks
):
    flaky.failures = 1
    client = draft_client(firm_a.admin)
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    run_worker(django_capture_on_commit_callbacks)
    page = web(firm_a.admin).get(f"/f/alfa/clients/{client.pk}/").text
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert "Sending failed, trying again" in page


def test_delivering_twice_sends_once_and_keeps_the_first_link(
    firm_a, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    invitation.refresh_from_db()
    selector = invitation.token_selector
    assert services.invitation_deliver(invitation_id=invitation.pk) == "skipped"
    assert deliver_invitation.call(invitation.pk) == "skipped"
    invitation.refresh_from_db()
    assert invitation.token_selector == selector
    assert invitation.send_attempts == 1
    assert len(mail.outbox) == 1


def test_a_queued_invitation_withdrawn_or_replaced_before_sending_is_never_sent(
    firm_a, database_tasks, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [withdrawn] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    services.invitation_revoke(membership=firm_a.admin, invitation=withdrawn)
    [replaced] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    [latest] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    assert DBTaskResult.objects.count() == 3

    run_worker(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["jan@peeters.example"]]
    for invitation in (withdrawn, replaced, latest):
        invitation.refresh_from_db()
    assert withdrawn.state == InvitationState.REVOKED and withdrawn.sent_at is None
    assert replaced.state == InvitationState.REPLACED and replaced.sent_at is None
    assert latest.state == InvitationState.SENT
    assert link_in(mail.outbox[0])


class WatchingBackend(BaseEmailBackend):
    """Notes whether a transaction was open while the mail server was being talked to."""

    in_transaction: list[bool] = []

    def send_messages(self, messages):
        WatchingBackend.in_transaction.append(connection.in_atomic_block)
        return MemoryBackend().send_messages(messages)


def test_no_transaction_is_open_while_the_mail_goes_out(
    firm_a, settings, transactional_db, django_capture_on_commit_callbacks
):
    # Real commits (transactional_db): an outer test transaction would hide the answer.
    settings.EMAIL_BACKEND = "tests.invitations.test_delivery.WatchingBackend"
    WatchingBackend.in_transaction = []
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    assert WatchingBackend.in_transaction == [False]
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SENT
    assert invitation.sending_since is None
    assert len(mail.outbox) == 1


def test_an_invitation_another_worker_is_sending_is_left_to_it(
    firm_a, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS  # queued, not sent, so the claim can be staged first
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    claimed_at = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(sending_since=claimed_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitation_deliver(invitation_id=invitation.pk) == "skipped"
    assert mail.outbox == []
    # Its holder may be dead: the task comes back when the claim runs out, not before.
    comes_back = DBTaskResult.objects.filter(run_after__lt=timezone.now() + timedelta(days=1))
    [later] = comes_back.exclude(run_after__lte=timezone.now())
    assert later.args_kwargs == {"args": [invitation.pk], "kwargs": {}}
    expected = claimed_at + CLAIM_LEASE
    assert expected < later.run_after < expected + timedelta(seconds=5)

    # A claim older than the lease belongs to a worker that died mid-send: sent again.
    stale = timezone.now() - CLAIM_LEASE - timedelta(seconds=1)
    Invitation.objects.filter(pk=invitation.pk).update(sending_since=stale)
    assert services.invitation_deliver(invitation_id=invitation.pk) == "sent"
    assert len(mail.outbox) == 1
    assert link_in(mail.outbox[0])


def test_a_link_mailed_by_a_worker_that_died_before_recording_it_still_opens(
    firm_a, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=None, sending_since=timezone.now())
    path = link_in(mail.outbox[0])
    assert "Bakkerij Peeters BV" in Browser().get(path).text
    accept_as_new_user(path)
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
