"""No personal data in the logs: a whole flow (add a client, search, import, invite, accept)
with production's log format, every record of every logger captured and scanned for the
e-mail addresses, names, IBANs, password and link tokens the flow used.

The flow includes the moments where libraries speak up: a mail server that refuses the first
delivery (its answer quotes the address), a mistyped invitation link and a used one (Django
logs "Not Found: <path>", and the path holds the token).
"""

import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.imports.models import ImportJob
from tests.imports.builders import HEADERS_NL, KEYS, xlsx
from tests.smtp import django_smtp_server

pytestmark = pytest.mark.django_db

PASSWORD = "een-lang-nieuw-wachtwoord"
ADDED = {
    "legal_name": "Bakkerij Verhaegen BV",
    "country": "BE",
    "vat_number": "BE0403019261",
    "iban": "BE68 5390 0754 7034",
    "contact-first_name": "Lieve",
    "contact-last_name": "Verhaegen",
    "contact-email": "lieve.verhaegen@bakkerij-verhaegen.example",
    "contact-locale": "nl-BE",
}
IMPORTED = [
    {
        "legal_name": "Schrijnwerkerij Wouters BV",
        "country": "BE",
        "contact_email": "koen.wouters@wouters-hout.example",
        "contact_first_name": "Koen",
        "contact_last_name": "Wouters",
        "contact_locale": "nl-BE",
        "company_number": "0202239951",
        "iban": "BE71 0961 2345 6769",
        "city": "Mechelen",
    },
    {
        "legal_name": "Garage Lemaire SRL",
        "country": "BE",
        "contact_email": "helene.lemaire@garage-lemaire.example",
        "contact_first_name": "Hélène",
        "contact_last_name": "Lemaire",
        "contact_locale": "fr-BE",
        "company_number": "0207446772",
        "iban": "BE43 0689 9999 9501",
        "city": "Namur",
    },
]


class RefusingOnceMailbox:
    """An SMTP server that refuses the first recipient, as a full mailbox would, quoting the
    address in its answer; then accepts."""

    def __init__(self):
        self.refused = 0
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.refused:
            self.refused += 1
            return f"552 5.2.2 <{address}>: mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    with django_smtp_server(settings, RefusingOnceMailbox()) as mailbox:
        yield mailbox


class Captured(logging.Handler):
    """Every record, formatted by the formatter production's handler uses; but the test's own
    SMTP server's (aiosmtpd, logger "mail.log"), which quotes whole conversations."""

    def __init__(self, formatter: logging.Formatter):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record):
        if not record.name.startswith("mail.log"):
            self.lines.append(self.format(record))


@pytest.fixture
def captured_logs():
    root = logging.getLogger()
    [production] = [handler for handler in root.handlers if handler.get_name() == "default"]
    handler = Captured(production.formatter)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def import_file() -> bytes:
    return xlsx([HEADERS_NL, *([row.get(key, "") for key in KEYS] for row in IMPORTED)])


def personal_values(token: str) -> set[str]:
    """What may not appear in any log line: every way the flow's people can be recognised."""
    values = {ADDED[key] for key in ("contact-first_name", "contact-last_name", "contact-email")}
    values |= {"Verhaegen", ADDED["iban"], ADDED["iban"].replace(" ", ""), PASSWORD}
    for row in IMPORTED:
        values |= {row["contact_email"], row["contact_first_name"], row["contact_last_name"]}
        values |= {row["iban"], row["iban"].replace(" ", ""), row["legal_name"]}
    values |= {ADDED["legal_name"], "admin@alfa.example", token, token[12:], token[:-4]}
    return values


def test_a_whole_flow_leaves_no_personal_data_in_any_log_line(
    firm_a, web, smtp_server, captured_logs, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    staff = web(firm_a.admin)

    # Add a client through the form, and find it again by its name.
    response = staff.post("/f/alfa/clients/new/", ADDED)
    assert response.status_code == 302, response.content[:2000]
    client = Client.objects.get(legal_name=ADDED["legal_name"])
    assert staff.get("/f/alfa/clients/", {"q": "Verhaegen"}).status_code == 200

    # Import two more from a spreadsheet: preview, then import.
    upload = SimpleUploadedFile("klanten.xlsx", import_file())
    response = staff.post("/f/alfa/imports/", {"file": upload, "mode": "create"})
    assert response.status_code == 302, response.content[:2000]
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/f/alfa/imports/{job.pk}/import/")
    assert Client.objects.filter(legal_name__in=[r["legal_name"] for r in IMPORTED]).count() == 2

    # Invite the added client: the mail server refuses once, the retry delivers.
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/f/alfa/invitations/clients/{client.pk}/invite/", {"message": ""})
    assert response.status_code == 302
    assert smtp_server.refused == 1
    [message] = smtp_server.messages
    token = re.search(r"http://testserver/invite/([^/\s\"<>]+)/", message).group(1)

    # A mistyped link, then the contact accepts, then opens the used link once more.
    visitor = Browser()
    assert visitor.get(f"/invite/{token[:-4]}/").status_code == 404
    response = visitor.post(
        f"/invite/{token}/",
        {
            "first_name": ADDED["contact-first_name"],
            "last_name": ADDED["contact-last_name"],
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    assert Browser().get(f"/invite/{token}/").status_code == 404

    # No line names anyone...
    leaks = [
        (value, line)
        for line in captured_logs
        for value in personal_values(token)
        if value.lower() in line.lower()
    ]
    assert not leaks, "\n".join(f"{value!r} in {line}" for value, line in leaks)
    # ...though the flow was logged: the requests, the refused delivery, the 404s.
    assert any('"event": "request"' in line for line in captured_logs)
    assert any("not sent" in line for line in captured_logs)
    assert any("Not Found" in line for line in captured_logs)
