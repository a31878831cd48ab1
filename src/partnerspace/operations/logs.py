"""Log lines a log system can read: one JSON object a line in production, readable text in
development, and no personal data in either.

Every record, ours (structlog) and everyone else's (Django, gunicorn, RQ, through the standard
logging module), goes through one chain of processors: the request or task it belongs to
(from context variables), then the scrubbing, then the renderer. The scrubbing is the safety
net, not the plan: our own lines carry only ids, and these rules catch what a library or an
exception message may add:

- a request's path is replaced by the URL pattern it matched (a link's token, a search's
  words in the query string never reach the log);
- e-mail addresses and IBANs anywhere in a line are masked;
- PostgreSQL's "Key (column)=(value)" details lose their value.

This module is imported by the settings (and gunicorn's configuration) before Django is set
up: it imports nothing of the project.
"""

import logging
import re
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

JSON = "json"
CONSOLE = "console"

# The local part's rarer characters (quotes, braces) are left out: they surround addresses in
# the messages that quote them far more often than they occur inside one.
EMAIL = re.compile(r"[\w.!#$%&*+/=?^`|~-]+@[\w-]+(?:\.[\w-]+)+")
# Two letters, two check digits, then 11 to 30 capitals or digits, run together or in groups
# of four (as people write them). A Belgian VAT or enterprise number is too short to match.
IBAN = re.compile(
    r"\b[A-Za-z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)\b"
)
# PostgreSQL's unique-violation detail: Key (email)=(jan@x.be) already exists.
PG_KEY_DETAIL = re.compile(r"(Key \([^)]*\)=\()(.*?)(\) (?:already exists|is not present))")
UNMATCHED = "[unmatched path]"
# Paths answered before URL resolution (operations.middleware), safe to name as they are.
OPERATIONS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# The first keys of a line, in this order; the others follow as they came.
LEADING_KEYS = ("time", "level", "logger", "event", "request_id")


def scrub(text: str) -> str:
    """The text with e-mail addresses, IBANs and PostgreSQL key values masked."""
    text = PG_KEY_DETAIL.sub(r"\1…\3", text)
    text = EMAIL.sub("[email]", text)
    return IBAN.sub("[iban]", text)


def route_of(path: str) -> str:
    """The URL pattern a path matches ("f/<slug:firm_slug>/clients/"), never the path itself."""
    from django.conf import settings
    from django.urls import Resolver404, resolve

    path = path.split("?", 1)[0]
    try:
        # The probes, and static files (named by the project, not by people), keep their path.
        if path in OPERATIONS_PATHS or path.startswith(settings.STATIC_URL or "/static/"):
            return path
        return resolve(path).route or UNMATCHED
    except Resolver404:
        return UNMATCHED
    except Exception:  # unconfigured settings or URLconf, a path that is not text: say nothing
        return UNMATCHED


# The request line runserver quotes in its messages: "GET /path?query HTTP/1.1".
_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) (HTTP/[\d.]+)"')


def _request_paths(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Replace the path of the request a library's record is about by its URL pattern.

    Django's request and security loggers attach the request to the record and quote its
    path; runserver (django.server) quotes the whole request line, query string included.
    """
    record = event.get("_record")
    message = event.get("event")
    if record is None or not isinstance(message, str):
        return event
    if record.name == "django.server":
        message = _REQUEST_LINE.sub(
            lambda line: f'"{line[1]} {route_of(line[2])} {line[3]}"', message
        )
    request = getattr(record, "request", None)
    if isinstance(request_path := getattr(request, "path", None), str):
        paths = {request_path}
        if callable(get_full_path := getattr(request, "get_full_path", None)):
            paths.add(get_full_path())
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else route_of(request_path)
        for path in sorted(filter(None, paths), key=len, reverse=True):
            message = message.replace(path, route)
    event["event"] = message
    if status := getattr(record, "status_code", None):
        event.setdefault("status", status)
    return event


def _scrub_values(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_values(item) for item in value]
    return value


def _scrub(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    return {
        key: value if key.startswith("_") else _scrub_values(value) for key, value in event.items()
    }


def _leading_keys_first(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    ordered = {key: event[key] for key in LEADING_KEYS if key in event}
    ordered.update(event)
    return ordered


# What every line gets, whoever logged it: its level, logger, time, and the request or task
# it belongs to (bound as context variables by the request middleware and the task signals).
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
]


def _formatter(renderer: Processor) -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, _request_paths],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _scrub,
            _leading_keys_first,
            renderer,
        ],
    )


def json_formatter() -> logging.Formatter:
    return _formatter(structlog.processors.JSONRenderer(ensure_ascii=False, default=str))


def console_formatter() -> logging.Formatter:
    return _formatter(structlog.dev.ConsoleRenderer(colors=False, sort_keys=False))


def configure_structlog() -> None:
    """Our own log calls (structlog.get_logger) hand their event to the standard logging
    handlers, so they share the formatter, the level and the scrubbing with everyone else's."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(log_format: str, level: str) -> dict:
    """The LOGGING setting: one handler on stderr, JSON or readable, for every logger."""
    if log_format not in {JSON, CONSOLE}:
        raise ValueError(f"LOG_FORMAT must be {JSON!r} or {CONSOLE!r}, not {log_format!r}")
    factory = json_formatter if log_format == JSON else console_formatter
    handler = {"class": "logging.StreamHandler", "formatter": log_format}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {log_format: {"()": f"{__name__}.{factory.__name__}"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # Django's own handlers print without our processors: its loggers hand their
            # records to the root handler instead.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"level": "WARNING"},
            # django-tasks says "Task ... state=..." as a task starts and ends; our own line
            # per task (operations.taskqueue) says more. Its errors still come through.
            "django_tasks": {"level": "WARNING"},
            # RQ's worker prints its own banner lines; its records go the same way.
            "rq": {"handlers": [], "level": level, "propagate": True},
        },
    }
