"""A sign-up through a registration link proves its e-mail address before anything exists: the
form keeps a pending registration and mails a link; only following that link (a POST, once, in
time, while the firm still offers the sign-up) creates the account, the company and the client.
"""

import hashlib
import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend
from django.test import Client as DjangoClient
from django.utils import timezone

from partnerspace.accounts.models import User
from partnerspace.clients.models import Client
from partnerspace.companies.models import Company
from partnerspace.core.errors import ValidationFailed
from partnerspace.invitations.models import PendingRegistration, RegistrationLink
from partnerspace.invitations.registration import (
    SIGN_UPS_PER_ADDRESS_HOUR,
    company_register,
    registration_request,
)
from tests.factories import make_user
from tests.invitations.helpers import (
    NEW_PASSWORD,
    confirm_link_in,
    draft_client,
    english_browser,
    sign_up,
)
from tests.invitations.test_registration import SIGN_UP

pytestmark = pytest.mark.django_db

SECRETS = ("Bakkerij Peeters", "jan@peeters.example", "Boekhoudkantoor Alfa", "Jan")


@pytest.fixture
def link(firm_a):
    return RegistrationLink.objects.create(firm=firm_a.firm, code="alfa-signup-code-0123456789")


@pytest.fixture
def signed_up(link, django_capture_on_commit_callbacks):
    """Jan signed up through firm A's link; the path of the link mailed to him."""
    response = sign_up(django_capture_on_commit_callbacks, link.code, SIGN_UP)[1]
    assert response.status_code == 200
    return confirm_link_in(mail.outbox[-1])


def a_minute_ago() -> None:
    """The sign-ups so far were made over a minute ago: the next one is not throttled."""
    PendingRegistration.objects.update(created_at=timezone.now() - timedelta(seconds=61))


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def nothing_created():
    return (
        not User.objects.filter(email="jan@peeters.example").exists()
        and not Client.objects.exists()
        and not Company.objects.exists()
    )


def test_nothing_is_created_before_the_address_is_confirmed(
    link, django_capture_on_commit_callbacks
):
    browser = english_browser()
    with django_capture_on_commit_callbacks() as callbacks:
        response = browser.post(f"/register/{link.code}/", SIGN_UP)
    assert response.status_code == 200
    assert "Check your mailbox" in response.text
    # The mail leaves after the commit, from the task: never for a sign-up rolled back.
    assert not mail.outbox
    assert len(callbacks) == 1
    callbacks[0]()
    assert [message.to for message in mail.outbox] == [["jan@peeters.example"]]

    assert nothing_created()
    assert "_auth_user_id" not in browser.session
    pending = PendingRegistration.objects.get()
    assert (pending.link, pending.email, pending.language) == (link, "jan@peeters.example", "en")
    assert pending.company["legal_name"] == "Bakkerij Peeters BV"
    assert pending.person["first_name"] == "Jan"
    assert timedelta(hours=47) < pending.expires_at - pending.created_at <= timedelta(hours=48)


def test_the_password_and_the_token_are_kept_only_as_hashes(signed_up):
    pending = PendingRegistration.objects.get()
    stored = " ".join(str(value) for value in PendingRegistration.objects.values_list().get())
    assert NEW_PASSWORD not in stored
    assert pending.password_hash.startswith("md5$")  # the tests' hasher; Argon2 in production
    assert User(password=pending.password_hash).check_password(NEW_PASSWORD)

    token = token_of(signed_up)
    assert token.startswith(pending.token_selector)
    secret = token[len(pending.token_selector) :]
    assert len(secret) >= 43  # 256 random bits
    assert hashlib.sha256(secret.encode()).hexdigest() == pending.token_digest
    assert secret not in stored


@pytest.mark.parametrize(
    ("locale", "subject", "button"),
    [
        ("nl-BE", "Bevestig je registratie bij", "Mijn registratie bevestigen"),
        ("fr-BE", "Confirmez votre inscription auprès de", "Confirmer mon inscription"),
        ("de-BE", "Bestätigen Sie Ihre Registrierung bei", "Meine Registrierung bestätigen"),
        ("en-BE", "Confirm your registration with", "Confirm my registration"),
    ],
)
def test_the_mail_and_the_confirm_page_speak_the_persons_language(
    link, django_capture_on_commit_callbacks, locale, subject, button
):
    sign_up(django_capture_on_commit_callbacks, link.code, {**SIGN_UP, "locale": locale})
    [message] = mail.outbox
    assert message.subject == f"{subject} Boekhoudkantoor Alfa"
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    path = confirm_link_in(message)
    assert f"http://testserver{path}" in html
    assert button in html
    for part in (message.body, html):
        assert "Bakkerij Peeters BV" in part
        assert "48" in part

    page = english_browser().get(path)
    assert page.status_code == 200
    assert page["Content-Language"] == locale[:2]
    assert button in page.text


def test_opening_the_link_confirms_nothing(signed_up):
    browser = english_browser()
    for _ in range(2):
        page = browser.get(signed_up)
        assert page.status_code == 200
        assert "Bakkerij Peeters BV" in page.text
        assert 'method="post"' in page.text
    assert nothing_created()
    assert PendingRegistration.objects.exists()


def test_confirming_needs_the_pages_csrf_token(signed_up):
    guarded = DjangoClient(enforce_csrf_checks=True)
    assert guarded.post(signed_up).status_code == 403
    assert nothing_created()

    page = guarded.get(signed_up)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    assert guarded.post(signed_up, {"csrfmiddlewaretoken": token}).status_code == 302
    assert Client.objects.count() == 1


def test_the_link_works_once(signed_up):
    browser = english_browser()
    response = browser.post(signed_up)
    assert response.status_code == 302
    assert response.url == "/company/"
    assert not PendingRegistration.objects.exists()

    for again in (browser, english_browser()):
        assert again.get(signed_up).status_code == 404
        assert again.post(signed_up).status_code == 404
    assert User.objects.filter(email="jan@peeters.example").count() == 1
    assert Client.objects.count() == 1


def _expired(path, **_):
    PendingRegistration.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    return path


def _used(path, **_):
    assert english_browser().post(path).status_code == 302
    return path


def _replaced(path, capture, link, **_):
    a_minute_ago()
    sign_up(capture, link.code, {**SIGN_UP, "legal_name": "Bakkerij Peeters NV"})
    assert confirm_link_in(mail.outbox[-1]) != path
    return path


def _registration_link_switched_off(path, firm_a, link, web, **_):
    url = f"/f/alfa/invitations/registration-links/{link.pk}/disable/"
    assert web(firm_a.admin).post(url).status_code == 302
    return path


def _tampered(path, **_):
    token = token_of(path)
    changed = "x" if token[-5] != "x" else "y"
    return f"/register/confirm/{token[:-5]}{changed}{token[-4:]}/"


def _unknown_selector(path, **_):
    return f"/register/confirm/{'0' * 12}{token_of(path)[12:]}/"


def _truncated(path, **_):
    return f"/register/confirm/{token_of(path)[:30]}/"


BROKEN = {
    "expired": _expired,
    "used": _used,
    "replaced by a new sign-up": _replaced,
    "registration link switched off": _registration_link_switched_off,
    "tampered": _tampered,
    "unknown selector": _unknown_selector,
    "truncated": _truncated,
}


def without_csrf(html: str) -> str:
    """The page as anyone sees it: the per-request CSRF token is the only part that varies."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def invalid_page(path: str) -> str:
    response = english_browser().get(path)
    assert response.status_code == 404
    assert "This link no longer works" in response.text
    # The language switch sends the visitor back to the address they opened: that may differ.
    return without_csrf(response.text).replace(path, "/register/confirm/<token>/")


@pytest.mark.parametrize("how", BROKEN)
def test_a_link_that_no_longer_works_shows_the_same_page_and_creates_nothing(
    how, signed_up, link, firm_a, web, django_capture_on_commit_callbacks
):
    reference = invalid_page("/register/confirm/" + "0" * 60 + "/")
    users, clients = User.objects.count(), Client.objects.count()
    broken = BROKEN[how](
        signed_up, capture=django_capture_on_commit_callbacks, link=link, firm_a=firm_a, web=web
    )
    if how == "used":
        users, clients = users + 1, clients + 1
    page = invalid_page(broken)
    assert page == reference
    for text in SECRETS:
        assert text not in page
    assert english_browser().post(broken).status_code == 404
    assert (User.objects.count(), Client.objects.count()) == (users, clients)


def test_a_second_sign_up_with_the_same_address_replaces_the_first(
    link, firm_b, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    sign_up(capture, link.code, SIGN_UP)
    first = confirm_link_in(mail.outbox[-1])
    a_minute_ago()
    theirs = RegistrationLink.objects.create(firm=firm_b.firm, code="beta-signup-code-0123456789")
    # Another firm's link, the address typed in other capitals: still the same person.
    again = {**SIGN_UP, "email": "JAN@peeters.example", "legal_name": "Bakkerij Peeters NV"}
    sign_up(capture, theirs.code, again)
    second = confirm_link_in(mail.outbox[-1])
    assert PendingRegistration.objects.get(replaced_at=None).link == theirs
    replaced = PendingRegistration.objects.get(link=link)
    assert (replaced.password_hash, replaced.person, replaced.token_digest) == ("", {}, "")

    assert english_browser().post(first).status_code == 404
    assert nothing_created()
    assert english_browser().post(second).status_code == 302
    client = Client.objects.get()
    assert (client.firm, client.legal_name) == (firm_b.firm, "Bakkerij Peeters NV")


def test_expired_sign_ups_are_cleared_by_the_next_one(link, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    sign_up(capture, link.code, SIGN_UP)
    sign_up(capture, link.code, {**SIGN_UP, "email": "piet@peeters.example"})
    PendingRegistration.objects.filter(email="jan@peeters.example").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    other = {**SIGN_UP, "email": "an@janssens.example", "company_number": "0203.201.340"}
    sign_up(capture, link.code, other)
    assert set(PendingRegistration.objects.values_list("email", flat=True)) == {
        "piet@peeters.example",
        "an@janssens.example",
    }


def test_an_address_that_got_an_account_meanwhile_is_refused_on_confirmation(signed_up):
    make_user("jan@peeters.example")
    response = english_browser().post(signed_up)
    assert response.status_code == 200
    assert "An account with this e-mail address exists" in response.text
    assert not Client.objects.exists()
    assert not Company.objects.exists()


def test_a_company_registered_meanwhile_is_refused_on_confirmation(
    signed_up, link, django_capture_on_commit_callbacks
):
    other = {**SIGN_UP, "email": "marie@peeters.example"}
    sign_up(django_capture_on_commit_callbacks, link.code, other)
    assert english_browser().post(confirm_link_in(mail.outbox[-1])).status_code == 302

    response = english_browser().post(signed_up)
    assert response.status_code == 200
    assert "registered already" in response.text
    assert Company.objects.count() == 1
    assert not User.objects.filter(email="jan@peeters.example").exists()


def test_a_company_the_firm_added_meanwhile_is_refused_on_confirmation(firm_a, signed_up):
    known = draft_client(firm_a.admin, company_number="0403170701", email="boss@peeters.example")
    response = english_browser().post(signed_up)
    assert response.status_code == 200
    assert "added this company already" in response.text
    known.refresh_from_db()
    assert known.company is None
    assert not User.objects.filter(email="jan@peeters.example").exists()


class RefusingOnce(BaseEmailBackend):
    """A mail server that refuses the first message, then delivers to mail.outbox."""

    refused = 0

    def send_messages(self, messages):
        if not RefusingOnce.refused:
            RefusingOnce.refused += 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return MemoryBackend().send_messages(messages)


def test_a_failed_send_leaves_no_working_link_and_is_tried_again(
    link, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingOnce"
    RefusingOnce.refused = 0
    # The immediate task backend in tests cannot defer: the retry runs at once.
    sign_up(django_capture_on_commit_callbacks, link.code, SIGN_UP)
    assert RefusingOnce.refused == 1
    [message] = mail.outbox
    pending = PendingRegistration.objects.get()
    assert pending.send_attempts == 2
    assert pending.last_error == ""
    assert english_browser().post(confirm_link_in(message)).status_code == 302


def test_the_service_refuses_what_the_confirmation_would_refuse(link):
    """Whoever calls it, a sign-up that could never be confirmed is not kept nor mailed."""
    person = {"first_name": "Jan", "last_name": "", "email": "jan@peeters.example"}
    with pytest.raises(ValidationFailed) as refused:
        registration_request(
            link=link,
            company={"legal_name": "Bakkerij Peeters BV", "country": "BE"},
            person={**person, "locale": "en-BE"},
            password=NEW_PASSWORD,
        )
    assert {error.field for error in refused.value.errors} == {"last_name"}
    assert not PendingRegistration.objects.exists()
    assert not mail.outbox


def test_registering_refuses_a_password_in_clear(link):
    with pytest.raises(ValueError, match="not a password") as refused:
        company_register(
            link=link,
            company={"legal_name": "Bakkerij Peeters BV", "country": "BE"},
            person={**SIGN_UP, "email": "jan@peeters.example"},
            password_hash=NEW_PASSWORD,
        )
    assert NEW_PASSWORD not in str(refused.value)  # the error may end up in a log
    assert refused.value.__context__ is None or refused.value.__suppress_context__
    assert nothing_created()


def test_the_same_address_gets_one_mail_a_minute(link, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    sign_up(capture, link.code, SIGN_UP)
    response = sign_up(capture, link.code, SIGN_UP)[1]
    assert response.status_code == 200
    assert "sent to this address a moment ago" in response.text
    assert len(mail.outbox) == 1
    assert PendingRegistration.objects.count() == 1


def test_one_network_may_sign_up_only_so_many_times_an_hour(
    link, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for n in range(SIGN_UPS_PER_ADDRESS_HOUR):
        other = {**SIGN_UP, "email": f"jan{n}@peeters.example", "company_number": ""}
        other["legal_name"] = f"Bakkerij {n}"
        sign_up(capture, link.code, other)
    sent = len(mail.outbox)
    refused = sign_up(capture, link.code, {**SIGN_UP, "email": "laatste@peeters.example"})[1]
    assert "Too many sign-ups from your network" in refused.text
    assert len(mail.outbox) == sent == SIGN_UPS_PER_ADDRESS_HOUR


def test_the_addresses_of_one_ipv6_network_are_one_network_and_a_socket_is_none(
    link, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks

    def from_address(address: str):
        browser = DjangoClient(REMOTE_ADDR=address)
        browser.cookies["partnerspace_language"] = "en"
        return browser

    for n in range(SIGN_UPS_PER_ADDRESS_HOUR):
        other = {**SIGN_UP, "email": f"jan{n}@peeters.example", "company_number": ""}
        other["legal_name"] = f"Bakkerij {n}"
        sign_up(capture, link.code, other, from_address(f"2001:db8:9:9::{n + 1:x}"))
    last = {**SIGN_UP, "email": "laatste@peeters.example"}
    refused = sign_up(capture, link.code, last, from_address("2001:db8:9:9:a:b:c:d"))[1]
    assert "Too many sign-ups from your network" in refused.text
    # behind a proxy on a Unix socket the server sees no address: no ceiling, and no error
    socket = sign_up(capture, link.code, last, from_address("unix:/run/partnerspace.sock"))[1]
    assert socket.status_code == 200 and "Too many" not in socket.text
    assert PendingRegistration.objects.get(email="laatste@peeters.example").requested_from is None


def test_switching_a_registration_link_off_deletes_its_pending_sign_ups(
    firm_a, web, link, signed_up
):
    other = RegistrationLink.objects.create(firm=firm_a.firm, code="alfa-other-code-0123456789")
    kept = PendingRegistration.objects.create(
        link=other,
        email="an@janssens.example",
        company={},
        person={},
        expires_at=timezone.now() + timedelta(hours=1),
    )
    url = f"/f/alfa/invitations/registration-links/{link.pk}/disable/"
    assert web(firm_a.admin).post(url).status_code == 302
    assert list(PendingRegistration.objects.all()) == [kept]


def test_replacing_sign_ups_for_one_address_does_not_escape_the_hourly_ceiling(
    link, django_capture_on_commit_callbacks
):
    """Each new sign-up for an address replaces the last: the replaced ones still count."""
    capture = django_capture_on_commit_callbacks
    for _attempt in range(SIGN_UPS_PER_ADDRESS_HOUR):
        sign_up(capture, link.code, SIGN_UP)
        a_minute_ago()
    refused = sign_up(capture, link.code, SIGN_UP)[1]
    assert "Too many sign-ups from your network" in refused.text
    assert len(mail.outbox) == SIGN_UPS_PER_ADDRESS_HOUR
