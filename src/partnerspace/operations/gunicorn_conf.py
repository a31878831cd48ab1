"""gunicorn's configuration for Partner Space:

    gunicorn -c python:partnerspace.operations.gunicorn_conf partnerspace.wsgi

Every value can be changed from the environment (gunicorn also reads
GUNICORN_CMD_ARGS).

Synchronous workers, (2 × cores) + 1 of them: a request is short and mostly CPU (rendering)
and database time; a worker waiting for PostgreSQL leaves the core to another. A buffering
reverse proxy (nginx, Caddy) in front terminates TLS and absorbs slow clients, which would
otherwise hold a synchronous worker each.
"""

import gc
import multiprocessing
import os

from partnerspace.operations import logs

bind = os.environ.get("PARTNERSPACE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
# A request that takes longer is stopped (the import runs in the background above 1,000 rows).
timeout = int(os.environ.get("PARTNERSPACE_REQUEST_TIMEOUT", "60"))
graceful_timeout = 30
# Each worker is replaced after about ten thousand requests: memory cannot creep up for ever.
# Not much sooner: a new worker spends about a second of CPU importing the application and
# its URLs, which after only a thousand requests is a millisecond of every request (measured
# at 100 requests a second, 4 workers, one restart a worker every 40 s).
max_requests = 10_000
max_requests_jitter = 1_000
# Our own request line (operations.middleware) replaces the access log: it has the request
# id, the firm and the URL pattern, and never a path's token or a search's words.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
_formatter = logs.console_formatter if os.environ.get("LOG_FORMAT") == logs.CONSOLE else None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"partnerspace": {"()": _formatter or logs.json_formatter}},
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "partnerspace",
            "stream": "ext://sys.stderr",
        },
        "nowhere": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["error_console"], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {
            "handlers": ["error_console"],
            "level": loglevel.upper(),
            "propagate": False,
        },
        # With a logging configuration gunicorn writes its access log to this logger whatever
        # `accesslog` says: its lines quote whole URLs (tokens, search words). Nowhere.
        "gunicorn.access": {"handlers": ["nowhere"], "level": "CRITICAL", "propagate": False},
    },
}


def post_worker_init(worker) -> None:
    """The application is loaded: load the URL patterns too (and with them the views, forms
    and template tags, which Django would import on the first request), collect what start-up
    left over, and freeze the rest. It stays for the worker's life, so the garbage collector
    stops walking it on every collection during requests (a third of its time per request)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the URL configuration)
    gc.collect()
    gc.freeze()


def child_exit(server, worker) -> None:
    """A worker that is gone leaves its live values out of the metrics' sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
