import re

import pytest
from django.core import mail
from django.test import Client

from partnerspace.accounts.models import User

pytestmark = pytest.mark.django_db


def test_reset_mail_links_to_the_public_address_and_sets_a_new_password(firm_a):
    client = Client()
    response = client.post("/account/password-reset/", {"email": "Admin@Alfa.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["admin@alfa.example"]
    assert "wachtwoord" in message.subject.lower()
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    firm_a.admin.user.refresh_from_db()
    assert firm_a.admin.user.check_password("a-new-long-passphrase")


def test_unknown_address_gets_the_same_answer_and_no_mail(db):
    response = Client().post("/account/password-reset/", {"email": "nobody@example.example"})
    assert response.status_code == 302
    assert mail.outbox == []


def _ask_for_reset(email, address="198.51.100.7"):
    client = Client(REMOTE_ADDR=address)
    client.cookies["partnerspace_language"] = "en"
    return client.post("/account/password-reset/", {"email": email})


def _time_passes(seconds):
    from datetime import timedelta

    from partnerspace.accounts.models import PasswordResetRequest

    for request in PasswordResetRequest.objects.all():
        PasswordResetRequest.objects.filter(pk=request.pk).update(
            at=request.at - timedelta(seconds=seconds)
        )


def test_ten_requests_for_one_address_send_one_mail_a_minute(firm_a):
    for _ in range(10):
        _ask_for_reset("admin@alfa.example")
    assert len(mail.outbox) == 1
    _time_passes(61)
    _ask_for_reset("Admin@Alfa.example")
    assert len(mail.outbox) == 2


def test_a_repeated_request_is_answered_alike_with_or_without_an_account(firm_a):
    known = [_ask_for_reset("admin@alfa.example") for _ in range(2)]
    unknown = [_ask_for_reset("nobody@alfa.example") for _ in range(2)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [302, 200]

    def text(response):
        # The form echoes the address typed and carries a fresh CSRF token: neither tells.
        return re.sub(r'(value=|"X-CSRFToken": )"[^"]*"', "", response.text)

    assert text(known[1]) == text(unknown[1])
    assert "a moment ago" in known[1].text
    assert len(mail.outbox) == 1


def test_one_network_may_ask_for_only_so_many_resets_an_hour(firm_a):
    from partnerspace.accounts.services import RESETS_PER_NETWORK_HOUR

    for number in range(RESETS_PER_NETWORK_HOUR):
        assert _ask_for_reset(f"person{number}@example.example").status_code == 302
    assert _ask_for_reset("admin@alfa.example").status_code == 200
    assert mail.outbox == []
    assert _ask_for_reset("admin@alfa.example", address="192.0.2.1").status_code == 302
    assert len(mail.outbox) == 1


def test_the_addresses_of_one_ipv6_network_count_as_one_network(firm_a):
    from partnerspace.accounts.services import RESETS_PER_NETWORK_HOUR

    for number in range(RESETS_PER_NETWORK_HOUR):
        address = f"2001:db8:5:5::{number + 1:x}"
        assert _ask_for_reset(f"person{number}@example.example", address).status_code == 302
    assert _ask_for_reset("admin@alfa.example", "2001:db8:5:5:1:2:3:4").status_code == 200
    assert _ask_for_reset("admin@alfa.example", "2001:db8:5:6::1").status_code == 302


def test_the_reset_mail_leaves_from_the_worker_so_the_answer_takes_as_long_either_way(
    firm_a, settings
):
    """A mail sent inside the request made the answer for an address with an account as slow
    as the SMTP conversation, and the one for an unknown address quick: the timing told which
    addresses have accounts. The request now only queues the same task for both."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert _ask_for_reset("admin@alfa.example").status_code == 302
    assert _ask_for_reset("nobody@alfa.example").status_code == 302
    assert mail.outbox == []

    queued = default_task_backend.results
    assert [result.task.name for result in queued] == ["password_reset_mail_send"] * 2
    for result in queued:
        result.task.call(*result.args, **result.kwargs)
    assert [message.to for message in mail.outbox] == [["admin@alfa.example"]]
    assert "http://testserver/account/password-reset/" in mail.outbox[0].body
    # The account's own language (Dutch, as it was made), not the asking browser's (English
    # here): as on every page the person sees logged in (core.middleware.request_language).
    assert "opnieuw in te stellen" in mail.outbox[0].body


def test_the_reset_mail_speaks_the_accounts_own_language(firm_a):
    # Asked from a browser without the language cookie (a new device): the account's language.
    User.objects.filter(pk=firm_a.admin.user.pk).update(language="fr")
    response = Client().post("/account/password-reset/", {"email": "admin@alfa.example"})
    assert response.status_code == 302
    assert [message.subject for message in mail.outbox] == [
        "Choisissez un nouveau mot de passe pour Partner Space"
    ]
