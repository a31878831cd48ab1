"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1, a free port), and Django's mail
settings pointed at it: the tests that need a whole SMTP conversation, not the memory backend."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """An SMTP server answering through `handler` (aiosmtpd's `handle_DATA` and the like) while
    the block runs; yields its port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@contextmanager
def django_smtp_server(settings: Any, handler: Any) -> Iterator[Any]:
    """`smtp_server`, with Django's SMTP backend sending to it (pytest-django's `settings`);
    yields the handler."""
    with smtp_server(handler) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10
        yield handler
