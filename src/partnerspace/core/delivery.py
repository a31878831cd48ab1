"""Sending a link by e-mail at most once, without holding the database while the mail goes out.

The row is claimed in a short transaction (its token issued, `sending_since` set), the mail is
sent with no transaction open, and the outcome is written in a second short one. Holding a
row lock through an SMTP conversation would block every other write on SQLite for as long
as the mail server takes to answer.

A claim younger than CLAIM_LEASE keeps a second worker (a redelivered job, a double click)
from sending the same mail; an older one belongs to a worker that died mid-send, and the row
may be claimed again. A run that finds the row claimed comes back when the claim runs out
(on a backend that can defer), so a worker that died mid-send does not leave the mail unsent;
its task itself is queued again by core.recovery, which is why the sending tasks are `leased`
for CLAIM_LEASE. The mail backend's timeout (EMAIL_TIMEOUT) keeps a living sender well
inside the lease.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks.base import Task

from partnerspace.core.retry import backoff_delay, enqueue_after
from partnerspace.core.tokens import IssuedToken, token_issue

log = logging.getLogger(__name__)

# The rows sent here are of several models that share their columns (token, sent_at,
# sending_since; send_attempts, last_error, next_attempt_at, failed_at) but no base class:
# they are typed Any.
SendTask = Task[..., Any]

CLAIM_LEASE = timedelta(minutes=10)
# Over about a day (see core.retry.BACKOFF), then the row is failed and says why.
MAX_SEND_ATTEMPTS = 8


def link_mail_send_once(
    *,
    sendable: models.QuerySet[Any],
    pk: int,
    send: Callable[[Any, IssuedToken], None],
    when_sent: dict[str, object] | None = None,
    task: SendTask | None = None,
) -> bool:
    """Issue the row's token and send it; False when it is sent, closed or being sent already.

    `sendable` holds the rows that may still be sent (not accepted, revoked, ...). On success
    the row gets `sent_at` and the `when_sent` values; on failure its token is withdrawn, so
    no usable link is left behind, and the error is raised for the caller to record. `task`
    (called with `pk`) is queued again for when another run's claim runs out.
    """
    now = timezone.now()
    with transaction.atomic():
        row = (
            # of=("self",): PostgreSQL cannot lock the nullable side of an outer join.
            sendable.select_for_update(of=("self",)).filter(pk=pk).first()
        )
        if row is None or row.sent_at is not None:
            return False
        if row.sending_since is not None and row.sending_since > now - CLAIM_LEASE:
            if task is not None and task.get_backend().supports_defer:
                # Its holder may have died mid-send: look again when the claim runs out.
                wait = row.sending_since + CLAIM_LEASE - now + timedelta(seconds=1)
                transaction.on_commit(lambda: enqueue_after(task, wait, pk))
            return False
        token = token_issue()
        row.token_selector = token.selector
        row.token_digest = token.digest
        row.sending_since = now
        row.save(update_fields=["token_selector", "token_digest", "sending_since"])

    mine = type(row).objects.filter(pk=pk, token_selector=token.selector)
    try:
        send(row, token)
    except Exception:
        mine.update(token_selector=None, token_digest="", sending_since=None)
        raise
    mine.update(sent_at=timezone.now(), sending_since=None, **(when_sent or {}))
    return True


def link_mail_failure_record(*, model: type[Any], pk: int, error: Exception, task: SendTask) -> str:
    """After a failed send: the next attempt with back-off, or, after the last, failed.

    `model` has send_attempts, last_error, next_attempt_at and failed_at; `task` sends it again.
    """
    now = timezone.now()
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None:  # deleted meanwhile; a replaced or closed row is skipped on retry
            return "skipped"
        row.send_attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:2000]
        if row.send_attempts >= MAX_SEND_ATTEMPTS:
            row.failed_at = now
            row.next_attempt_at = None
            row.save(update_fields=["send_attempts", "last_error", "failed_at", "next_attempt_at"])
            log.error(
                "%s %s not sent after %s attempts: %s", model.__name__, pk, row.send_attempts, error
            )
            return "failed"
        delay = backoff_delay(row.send_attempts)
        row.next_attempt_at = now + delay
        row.save(update_fields=["send_attempts", "last_error", "next_attempt_at"])
    log.warning("%s %s not sent (%s); next attempt in %s", model.__name__, pk, error, delay)
    transaction.on_commit(lambda: enqueue_after(task, delay, pk))
    return "retrying"


def link_mail_deliver(
    *,
    sendable: models.QuerySet[Any],
    pk: int,
    send: Callable[[Any, IssuedToken], None],
    task: SendTask,
) -> str:
    """Send once, counting attempts; on failure, the next attempt with back-off ("sent",
    "skipped", "retrying" or "failed"). For rows with send_attempts, last_error,
    next_attempt_at and failed_at; `task` is the one that called this, to run again."""
    try:
        sent = link_mail_send_once(
            sendable=sendable,
            pk=pk,
            send=send,
            task=task,
            when_sent={
                "send_attempts": F("send_attempts") + 1,
                "last_error": "",
                "next_attempt_at": None,
            },
        )
    except Exception as error:
        return link_mail_failure_record(model=sendable.model, pk=pk, error=error, task=task)
    return "sent" if sent else "skipped"
