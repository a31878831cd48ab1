"""Log lines: one JSON object each, the request's id and route, and no personal data."""

import json
import logging
import re
import socket

import pytest
import structlog
from django.test import RequestFactory

from partnerspace.operations.logs import console_formatter, json_formatter, scrub

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to jan.peeters@bakkerij.example failed", "to [email] failed"),
        (
            "{'Els.De-Smet+fac@x.be': (550, b'<Els.De-Smet+fac@x.be>')}",
            "{'[email]': (550, b'<[email]>')}",
        ),
        ("iban BE68539007547034 set", "iban [iban] set"),
        ("iban BE68 5390 0754 7034 set", "iban [iban] set"),
        ("iban be68 5390 0754 7034", "iban [iban]"),
        ("NL91ABNA0417164300 and FR1420041010050500013M02606", "[iban] and [iban]"),
        (
            'duplicate key value violates unique constraint "u"\nDETAIL:  Key (email)=(x y) '
            "already exists.",
            'duplicate key value violates unique constraint "u"\nDETAIL:  Key (email)=(…) '
            "already exists.",
        ),
    ],
)
def test_addresses_ibans_and_key_values_are_masked(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "VAT BE0403019261 and enterprise number 0403.019.261",
        "client 4213 of firm alfa, task 3f2b9c0e-7a1d-4c55-9f0e-2b8c1d4e5f60",
        "2026-12-07T02:00:00Z took 12.5 ms",
    ],
)
def test_what_is_not_personal_stays_readable(text):
    assert scrub(text) == text


def format_record(formatter, logger_name: str, message: str, *args, **extra):
    record = logging.LogRecord(logger_name, logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return formatter.format(record)


def test_a_library_line_about_a_request_names_its_url_pattern_not_its_path():
    request = RequestFactory().get("/invite/abc123secret456/", {"q": "Peeters"})
    line = format_record(
        json_formatter(),
        "django.request",
        "Not Found: %s",
        request.path,
        request=request,
        status_code=404,
    )
    record = json.loads(line)
    assert record["event"] == "Not Found: invite/<str:token>/"
    assert record["status"] == 404
    assert "abc123secret456" not in line


def test_a_path_that_matches_no_url_is_not_repeated():
    request = RequestFactory().get("/invite/abc123secret456/and/more")
    line = format_record(
        json_formatter(), "django.request", "Not Found: %s", request.path, request=request
    )
    assert json.loads(line)["event"] == "Not Found: [unmatched path]"


def test_the_development_servers_request_line_loses_its_path_and_query_string():
    # runserver attaches its socket as the "request": the path is only in the message.
    with socket.socket() as connection:
        line = format_record(
            console_formatter(),
            "django.server",
            '"%s" %s %s',
            "GET /invite/abc123secret456/?next=/f/alfa/clients/%3Fq%3DPeeters HTTP/1.1",
            "404",
            "512",
            request=connection,
            status_code=404,
        )
    assert '"GET invite/<str:token>/ HTTP/1.1" 404 512' in line
    assert "abc123secret456" not in line and "Peeters" not in line


def test_every_line_is_one_json_object_with_time_level_logger_and_context(logs):
    structlog.contextvars.bind_contextvars(request_id="r-1234567890")
    try:
        logging.getLogger("partnerspace.somewhere").warning("mail to %s bounced", "an@x.example")
        try:
            raise ValueError("no mailbox for an@x.example")
        except ValueError:
            logging.getLogger("partnerspace.somewhere").exception("sending failed")
    finally:
        structlog.contextvars.clear_contextvars()
    assert all("\n" not in line for line in logs.lines)
    first, second = logs.records
    assert list(first)[:5] == ["time", "level", "logger", "event", "request_id"]
    assert first["event"] == "mail to [email] bounced"
    assert first["level"] == "warning" and first["request_id"] == "r-1234567890"
    assert "ValueError: no mailbox for [email]" in second["exception"]
    assert "an@x.example" not in "".join(logs.lines)


def test_the_development_format_is_text_for_people():
    line = format_record(console_formatter(), "partnerspace.x", "hello %s", "world")
    assert "hello world" in line
    assert not line.startswith("{")
    assert re.search(r"warn", line)


def test_static_files_and_the_probes_keep_their_path():
    for path in ("/static/core/app.3f2b9c0e7a1d.css", "/healthz", "/readyz"):
        request = RequestFactory().get(path)
        line = format_record(
            json_formatter(), "django.request", "Not Found: %s", request.path, request=request
        )
        assert json.loads(line)["event"] == f"Not Found: {path}"
