"""Helpers shared by the invitation tests: invited clients, sent links, the contact's side.

Contacts get the locale en-BE, so the accept page and the e-mail speak English (source text).
"""

import re

from django.core import mail
from django.test import Client as Browser

from partnerspace.invitations import services
from tests.factories import make_client

LINK = re.compile(r"http://testserver(/invite/[^/\s\"<>]+/)")
CONFIRM_LINK = re.compile(r"http://testserver(/register/confirm/[^/\s\"<>]+/)")
NEW_PASSWORD = "a-long-new-passphrase"


def contact(email: str, locale: str = "en-BE", first_name: str = "Jan", last_name: str = "Peeters"):
    return {"first_name": first_name, "last_name": last_name, "email": email, "locale": locale}


def draft_client(membership, name="Bakkerij Peeters BV", email="jan@peeters.example", **data):
    """A Draft client of the membership's firm whose primary contact speaks English."""
    locale = data.pop("locale", "en-BE")
    return make_client(membership, name, contact=contact(email, locale), **data)


def send_invitation(capture, membership, client, **kwargs):
    """Invite through the service and let the after-commit task send the mail."""
    with capture(execute=True):
        return services.client_invite(membership=membership, client=client, **kwargs)


def link_in(message) -> str:
    """The accept path in a sent e-mail's plain-text body."""
    match = LINK.search(message.body)
    assert match, f"no invitation link in: {message.body}"
    return match.group(1)


def last_link() -> str:
    return link_in(mail.outbox[-1])


def accept_as_new_user(path: str, browser: Browser | None = None):
    """Open the link anonymously, make the account and accept: the contact's whole side."""
    browser = browser or Browser()
    response = browser.post(
        path,
        {
            "first_name": "Jan",
            "last_name": "Peeters",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    return browser, response


def sign_up(capture, code: str, data: dict, browser: Browser | None = None):
    """Send the registration form and let the after-commit task mail the confirmation link."""
    browser = browser or english_browser()
    with capture(execute=True):
        response = browser.post(f"/register/{code}/", data)
    return browser, response


def confirm_link_in(message) -> str:
    """The confirmation path in a registration e-mail's plain-text body."""
    match = CONFIRM_LINK.search(message.body)
    assert match, f"no confirmation link in: {message.body}"
    return match.group(1)


def english_browser() -> Browser:
    """An anonymous visitor who chose English, as the messages here are checked in English."""
    browser = Browser()
    browser.cookies["partnerspace_language"] = "en"
    return browser
