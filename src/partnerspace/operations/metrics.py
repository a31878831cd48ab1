"""Prometheus metrics: what happened in this machine's processes, and what the database says.

Events (requests, tasks, mails) are counted in the process they happen in. Under gunicorn
and beside a task worker there are several such processes; with PROMETHEUS_MULTIPROC_DIR set
(as `make serve` and the systemd units do) each writes its values to that directory and
/metrics adds them up, whichever process answers the scrape.

States (Peppol registrations by state, imported rows, tasks waiting) are counted in the
database or the queue when scraped, so every web machine reports the same figures.

Labels name views, tasks and templates, never a firm or a person.
"""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

REQUEST_SECONDS = Histogram(
    "partnerspace_request_duration_seconds",
    "Time from the request's arrival to its response, per view.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10),
)
REQUESTS = Counter(
    "partnerspace_requests", "Requests answered, per view and status.", ["view", "method", "status"]
)
TASKS = Counter("partnerspace_tasks", "Background tasks ended, by outcome.", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "partnerspace_task_duration_seconds",
    "How long background tasks ran, by outcome.",
    ["task", "outcome"],
    buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
MAILS = Counter(
    "partnerspace_mails",
    "E-mails handed to the mail server (sent) or refused on the way (failed), per template.",
    ["template", "outcome"],
)


# The methods counted by name; any other (a client may send any word) is "other", so that
# nobody can add series to the metrics at will.
COUNTED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_finished(*, view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in COUNTED_METHODS else "other"
    REQUEST_SECONDS.labels(view, method).observe(seconds)
    REQUESTS.labels(view, method, str(status)).inc()


def task_finished(*, name: str, outcome: str, seconds: float | None) -> None:
    TASKS.labels(name, outcome).inc()
    if seconds is not None:
        TASK_SECONDS.labels(name, outcome).observe(seconds)


def mail_counted(*, template: str, sent: bool) -> None:
    MAILS.labels(template, "sent" if sent else "failed").inc()


class DatabaseCollector:
    """The figures read from the database (and the task queue) at each scrape."""

    def collect(self):
        from django.db.models import Count, Sum

        from partnerspace.imports.models import ImportJob, ImportStatus
        from partnerspace.operations.taskqueue import queue_state
        from partnerspace.peppol.models import ClientPeppol, RegistrationStatus

        per_state = dict(
            ClientPeppol.objects.order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        registrations = GaugeMetricFamily(
            "partnerspace_peppol_registrations",
            "Clients' Peppol registrations, by state.",
            labels=["state"],
        )
        for state in RegistrationStatus.values:
            registrations.add_metric([state], per_state.get(state, 0))
        yield registrations

        totals = ImportJob.objects.filter(status=ImportStatus.DONE).aggregate(
            created=Sum("created"),
            updated=Sum("updated"),
            unchanged=Sum("unchanged"),
            refused=Sum("refused"),
        )
        rows = CounterMetricFamily(
            "partnerspace_imported_rows",
            "Rows of finished imports (kept import jobs), by what became of them.",
            labels=["outcome"],
        )
        for outcome, value in totals.items():
            rows.add_metric([outcome], value or 0)
        yield rows

        try:
            queue = queue_state()
        except Exception:  # the queue is down: /readyz says so; the other figures still count
            return
        yield GaugeMetricFamily(
            "partnerspace_tasks_waiting", "Background tasks due and not started.", queue.waiting
        )
        yield GaugeMetricFamily(
            "partnerspace_task_oldest_wait_seconds",
            "How long the oldest waiting background task has waited.",
            queue.oldest_wait_seconds,
        )


class _ThisProcess:
    """The default registry's metrics, for a scrape registry of its own."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition() -> tuple[bytes, str]:
    """The scrape's body and content type."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
