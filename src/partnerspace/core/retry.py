"""Retrying background work with back-off, on any django-tasks backend."""

from datetime import timedelta
from typing import TypeVar

from django.utils import timezone
from django_tasks import TaskResult
from django_tasks.base import Task

T = TypeVar("T")

# Waits between attempts: a mail server that is down for an hour still gets the message.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
)


def backoff_delay(attempt: int) -> timedelta:
    """The wait after the `attempt`-th failure (1-based)."""
    return BACKOFF[min(attempt, len(BACKOFF)) - 1]


def enqueue_after(task: Task[..., T], delay: timedelta, *args: object) -> TaskResult[T]:
    """Enqueue to run after `delay`; a backend that cannot defer (the immediate one, in tests)
    runs it now."""
    if task.get_backend().supports_defer:
        return task.using(run_after=timezone.now() + delay).enqueue(*args)
    return task.enqueue(*args)
