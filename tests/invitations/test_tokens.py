"""The link's token: long, random, stored as a hash, single use, compared in constant time; a link
that no longer works shows one page that says the same for every reason and nothing about anyone.
"""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as Browser
from django.utils import timezone

from partnerspace.accounts.models import User
from partnerspace.clients.models import ClientHistory, ClientStatus
from partnerspace.clients.services import client_archive
from partnerspace.core import tokens
from partnerspace.invitations import services
from partnerspace.invitations.models import Invitation
from tests.invitations.helpers import (
    accept_as_new_user,
    draft_client,
    last_link,
    link_in,
    send_invitation,
)

pytestmark = pytest.mark.django_db

SECRETS = ("Bakkerij Peeters", "jan@peeters.example", "Boekhoudkantoor Alfa", "Peeters")


@pytest.fixture
def invited(firm_a, django_capture_on_commit_callbacks):
    client = draft_client(firm_a.admin, company_number="0403170701", iban="BE71096123456769")
    [invitation] = send_invitation(
        django_capture_on_commit_callbacks, firm_a.admin, client, message="Tot snel!"
    )
    invitation.refresh_from_db()
    return invitation, last_link()


def token_of(path: str) -> str:
    return path.split("/")[2]


def without_csrf(html: str) -> str:
    """The page as anyone sees it: the per-request CSRF token is the only part that varies."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_the_token_is_long_and_random_and_only_its_hash_is_stored(
    firm_a, invited, django_capture_on_commit_callbacks
):
    invitation, path = invited
    token = token_of(path)
    assert len(token) >= 50
    assert token.startswith(invitation.token_selector)
    secret = token[len(invitation.token_selector) :]
    assert len(secret) >= 43  # 256 random bits
    assert hashlib.sha256(secret.encode()).hexdigest() == invitation.token_digest
    stored = " ".join(str(v) for v in Invitation.objects.values_list().get(pk=invitation.pk))
    assert secret not in stored

    other = draft_client(firm_a.admin, "Slagerij Janssens", "piet@janssens.example")
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, other)
    assert token_of(last_link()) != token
    assert token_of(last_link())[:12] != invitation.token_selector


def test_the_secret_is_compared_in_constant_time(invited, monkeypatch):
    invitation, path = invited
    calls = []
    real = tokens.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    token = token_of(path)
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Browser().get(f"/invite/{wrong}/").status_code == 404
    assert calls and calls[-1][1] == invitation.token_digest
    calls.clear()
    assert Browser().get(path).status_code == 200
    assert calls


def test_a_working_link_shows_the_invitation(invited):
    _invitation, path = invited
    page = Browser().get(path)
    assert page.status_code == 200
    for text in SECRETS:
        assert text in page.text


def _expired(invitation, path, **_):
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    return path


def _used(invitation, path, **_):
    accept_as_new_user(path)
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is not None
    return path


def _revoked(invitation, path, firm_a, **_):
    services.invitation_revoke(membership=firm_a.admin, invitation=invitation)
    return path


def _replaced(invitation, path, firm_a, capture):
    with capture(execute=True):
        services.invitation_resend(membership=firm_a.admin, invitation=invitation)
    assert link_in(mail.outbox[-1]) != path
    return path


def _archived_by_the_firm(invitation, path, firm_a, **_):
    client_archive(membership=firm_a.admin, client=invitation.client)
    return path


def _tampered(invitation, path, **_):
    token = token_of(path)
    changed = "x" if token[-5] != "x" else "y"
    return f"/invite/{token[:-5]}{changed}{token[-4:]}/"


def _other_selector(invitation, path, **_):
    token = token_of(path)
    return f"/invite/{'0' * 12}{token[12:]}/"


def _truncated(invitation, path, **_):
    return f"/invite/{token_of(path)[:30]}/"


def _garbage(invitation, path, **_):
    return "/invite/" + "A" * 200 + "/"


BROKEN = {
    "expired": _expired,
    "used": _used,
    "revoked": _revoked,
    "replaced by resend": _replaced,
    "client archived by the firm": _archived_by_the_firm,
    "tampered": _tampered,
    "unknown selector": _other_selector,
    "truncated": _truncated,
    "garbage": _garbage,
}


def invalid_page(path: str):
    response = Browser().get(path)
    assert response.status_code == 404
    # The language switch sends the visitor back to the address they opened: that may differ.
    return without_csrf(response.text).replace(path, "/invite/<token>/")


@pytest.mark.parametrize("how", BROKEN)
def test_a_link_that_no_longer_works_shows_the_same_page_and_leaks_nothing(
    how, invited, firm_a, django_capture_on_commit_callbacks
):
    invitation, path = invited
    reference = invalid_page("/invite/" + "0" * 60 + "/")
    broken = BROKEN[how](
        invitation, path, firm_a=firm_a, capture=django_capture_on_commit_callbacks
    )
    page = invalid_page(broken)
    assert page == reference
    for text in SECRETS:
        assert text not in page
    assert "BE71" not in page and "0403" not in page
    # Posting to it creates nothing either.
    users = User.objects.count()
    response = Browser().post(
        broken,
        {"first_name": "X", "last_name": "Y", "password1": "p" * 20, "password2": "p" * 20},
    )
    assert response.status_code == 404
    assert User.objects.count() == users


def test_a_used_link_cannot_be_used_again_even_by_the_same_person(invited):
    invitation, path = invited
    browser, response = accept_as_new_user(path)
    assert response.status_code == 302
    # The same person sending it again (a double click) finds their company, as the first
    # time; nothing is accepted twice.
    again = browser.post(path)
    assert (again.status_code, again.url) == (302, "/company/")
    assert ClientHistory.objects.filter(client=invitation.client, action="accepted").count() == 1
    assert Invitation.objects.get(pk=invitation.pk).accepted_by.email == "jan@peeters.example"
    # Anyone else finds the page of any link that no longer works.
    assert Browser().post(path).status_code == 404


def test_the_old_link_stops_working_and_the_new_one_works_after_a_resend(
    firm_a, web, invited, django_capture_on_commit_callbacks
):
    invitation, old = invited
    with django_capture_on_commit_callbacks(execute=True):
        web(firm_a.admin).post(f"/f/alfa/invitations/{invitation.pk}/resend/")
    new = last_link()
    assert new != old
    assert Browser().get(old).status_code == 404
    _browser, response = accept_as_new_user(old)
    assert response.status_code == 404
    _browser, response = accept_as_new_user(new)
    assert response.status_code == 302
    assert invitation.client.__class__.objects.get(pk=invitation.client_id).status == (
        ClientStatus.ACTIVE
    )
