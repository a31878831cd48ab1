"""Accepting is one step, done once: the account is made and the company linked in one
transaction, so a refusal leaves no account behind and nobody logged in; a second submit of
the same acceptance, after the first or at the same moment, answers as the first did (logged
in, to the company) when its password opens the account that accepted, else with the page of
a link that no longer works, never a 500."""

import contextlib
import threading

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client as Browser

from partnerspace.accounts.models import User
from partnerspace.clients.models import ClientHistory, ClientStatus
from partnerspace.companies.models import CompanyUser
from partnerspace.invitations.models import Invitation, RegistrationLink
from partnerspace.invitations.registration import company_register
from tests.factories import PASSWORD, make_user
from tests.invitations.helpers import (
    NEW_PASSWORD,
    accept_as_new_user,
    draft_client,
    english_browser,
    last_link,
    send_invitation,
)

NUMBER = "0403170701"
SIGN_UP = {
    "first_name": "Jan",
    "last_name": "Peeters",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}


def invited(people, capture, **data):
    client = draft_client(people.admin, company_number=NUMBER, **data)
    send_invitation(capture, people.admin, client)
    return client, last_link()


def logged_in_user_id(browser: Browser) -> str | None:
    return browser.session.get("_auth_user_id")


# A refusal


@pytest.mark.django_db
def test_a_refused_acceptance_leaves_no_account_and_nobody_logged_in(
    firm_a, firm_b, django_capture_on_commit_callbacks
):
    # The company signed itself up with firm B: its own user speaks for it. Firm A's contact
    # (another address) may not take it over, so the acceptance is refused.
    company_register(
        link=RegistrationLink.objects.create(firm=firm_b.firm, code="beta"),
        company={"legal_name": "Bakkerij Peeters NV", "country": "BE", "company_number": NUMBER},
        person={
            "first_name": "Els",
            "last_name": "Peeters",
            "email": "els@peeters.example",
            "locale": "en-BE",
        },
        password_hash=make_password(PASSWORD),
    )
    client, link = invited(firm_a, django_capture_on_commit_callbacks)

    browser, response = accept_as_new_user(link)

    assert response.status_code == 200
    assert "already has its own users" in response.text
    assert not User.objects.filter(email="jan@peeters.example").exists()
    assert logged_in_user_id(browser) is None
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED
    assert Invitation.objects.get(client=client).accepted_at is None
    # Nothing half-done: the same link still offers the sign-up.
    page = Browser().get(link)
    assert page.status_code == 200
    assert 'name="password1"' in page.text


# A second submit, after the first


@pytest.mark.django_db
def test_a_second_submit_after_the_first_logs_in_and_answers_as_the_first(
    firm_a, django_capture_on_commit_callbacks
):
    client, link = invited(firm_a, django_capture_on_commit_callbacks)
    _first, first_response = accept_as_new_user(link)
    assert first_response.status_code == 302

    # A double click: the second request went with the page's cookies, before the login.
    second = english_browser()
    response = second.post(link, SIGN_UP)

    assert (response.status_code, response.get("Location")) == (302, "/company/")
    jan = User.objects.get(email="jan@peeters.example")
    assert logged_in_user_id(second) == str(jan.pk)
    assert CompanyUser.objects.filter(user=jan).count() == 1
    assert ClientHistory.objects.filter(client=client, action="accepted").count() == 1


@pytest.mark.django_db
def test_a_submit_of_a_used_link_without_its_accounts_password_tells_nothing(
    firm_a, django_capture_on_commit_callbacks
):
    _client, link = invited(firm_a, django_capture_on_commit_callbacks)
    accept_as_new_user(link)

    stranger = english_browser()
    response = stranger.post(link, {**SIGN_UP, "password1": "not-the-password-at-all"})

    assert response.status_code == 404
    assert "This link no longer works" in response.text
    assert "Did you accept the invitation already?" in response.text
    assert "/account/login/?next=/company/" in response.text
    assert logged_in_user_id(stranger) is None


@pytest.mark.django_db
def test_a_used_link_is_not_a_way_around_the_login_throttle(
    firm_a, django_capture_on_commit_callbacks
):
    _client, link = invited(firm_a, django_capture_on_commit_callbacks)
    accept_as_new_user(link)
    for number in range(5):
        english_browser().post(link, {**SIGN_UP, "password1": f"guess-{number}"})
    # the account's delay holds back a device not proven, the right password too
    browser = english_browser()
    held = browser.post(link, SIGN_UP)
    assert held.status_code == 404
    assert logged_in_user_id(browser) is None


@pytest.mark.django_db
def test_a_second_submit_by_the_person_who_accepted_answers_as_the_first(
    firm_a, django_capture_on_commit_callbacks
):
    client, link = invited(firm_a, django_capture_on_commit_callbacks)
    jan = make_user("jan@peeters.example")
    browser = Browser()
    browser.force_login(jan)
    assert browser.post(link).url == "/company/"

    again = browser.post(link)

    assert again.status_code == 302
    assert again.url == "/company/"
    assert CompanyUser.objects.filter(user=jan).count() == 1
    assert ClientHistory.objects.filter(client=client, action="accepted").count() == 1


# Two submits at the same moment: two threads, two database connections


def _at_once(posts) -> list:
    """Send the posts from as many threads at the same moment; their responses, in order."""
    barrier = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def run(index, post):
        try:
            barrier.wait(timeout=10)
            results[index] = post()
        except BaseException as error:
            results[index] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def slow_password_check(monkeypatch):
    """The form's password check takes a while, as Argon2 does in production: both requests
    are past their first look at the database before either writes."""
    from django.contrib.auth import password_validation

    validate = password_validation.validate_password
    barrier = threading.Barrier(2)

    def slowly(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return validate(*args, **kwargs)

    monkeypatch.setattr(password_validation, "validate_password", slowly)


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_make_one_account_and_never_a_server_error(
    firm_a, django_capture_on_commit_callbacks, slow_password_check
):
    client, link = invited(firm_a, django_capture_on_commit_callbacks)
    browsers = [english_browser(), english_browser()]

    responses = _at_once([lambda b=browser: b.post(link, SIGN_UP) for browser in browsers])

    for response in responses:
        assert not isinstance(response, BaseException), repr(response)
        assert response.status_code < 500
    # The first is accepted; the other, held until then, finds the link used by the account
    # its password opens, and is answered as the first: logged in, to the company.
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, "/company/")] * 2
    jan = User.objects.get(email="jan@peeters.example")
    assert CompanyUser.objects.filter(user=jan).count() == 1
    assert ClientHistory.objects.filter(client=client, action="accepted").count() == 1
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    assert [logged_in_user_id(b) for b in browsers] == [str(jan.pk)] * 2


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_by_a_logged_in_person_both_answer_as_the_first(
    firm_a, django_capture_on_commit_callbacks
):
    client, link = invited(firm_a, django_capture_on_commit_callbacks)
    jan = make_user("jan@peeters.example")
    browser = Browser()
    browser.force_login(jan)
    cookies = browser.cookies
    browsers = [browser, Browser()]
    browsers[1].cookies = cookies  # the same session: a double click

    responses = _at_once([lambda b=b: b.post(link) for b in browsers])

    for response in responses:
        assert not isinstance(response, BaseException), repr(response)
        assert (response.status_code, response.get("Location")) == (302, "/company/")
    assert CompanyUser.objects.filter(user=jan).count() == 1
    assert ClientHistory.objects.filter(client=client, action="accepted").count() == 1
