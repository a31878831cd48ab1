"""The login throttle slows guessing per visitor address (an IPv6 address by its /64), per
account and per proven device, with a delay that grows with every failure, and never lets a
stranger keep an account's owner out of a device the owner used before."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from partnerspace.accounts.models import LoginFailure
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

OWNER = "198.51.100.7"
STRANGER = "203.0.113.66"
ACCOUNT = "admin@alfa.example"


def attempt(email=ACCOUNT, password=PASSWORD, address=OWNER, language="en", forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    client = Client(REMOTE_ADDR=address, **headers)
    client.cookies["partnerspace_language"] = language
    response = client.post("/account/login/", {"username": email, "password": password})
    response.logged_in = response.status_code == 302 and "_auth_user_id" in client.session
    return response


def wait_in_seconds(response) -> int | None:
    """The wait the page asks for, in seconds; None when it asks for none."""
    found = re.search(r"Try again in (\d+) (second|minute)", response.text)
    if found is None:
        return None
    return int(found.group(1)) * (60 if found.group(2) == "minute" else 1)


def time_passes(seconds: int) -> None:
    """As if `seconds` went by: every failure remembered becomes that much older."""
    for failure in LoginFailure.objects.all():
        LoginFailure.objects.filter(pk=failure.pk).update(
            at=failure.at - timedelta(seconds=seconds)
        )


def checked(response) -> bool:
    """The password was checked (and was wrong), rather than held back."""
    return "do not match an account" in response.text


class Device:
    """One browser: it keeps its cookies (the device cookie among them) between attempts."""

    def __init__(self, address=OWNER, secure=False):
        self.client = Client(REMOTE_ADDR=address)
        self.client.cookies["partnerspace_language"] = "en"
        self.secure = secure

    def attempt(self, password=PASSWORD, email=ACCOUNT):
        response = self.client.post(
            "/account/login/", {"username": email, "password": password}, secure=self.secure
        )
        response.logged_in = response.status_code == 302 and "_auth_user_id" in self.client.session
        if response.logged_in:
            self.client.post("/account/logout/", secure=self.secure)
        return response


def test_a_stranger_guessing_an_account_does_not_keep_its_owner_out(firm_a):
    laptop = Device(address=OWNER)
    assert laptop.attempt().logged_in  # the owner's device, proven
    for _ in range(30):
        attempt(password="guess", address=STRANGER)
    assert wait_in_seconds(attempt(password="guess", address=STRANGER))
    assert laptop.attempt().logged_in


def test_strangers_at_many_addresses_do_not_keep_the_owner_out_either(firm_a):
    laptop = Device(address=OWNER)
    assert laptop.attempt().logged_in
    for number in range(1, 21):
        for _ in range(3):
            attempt(password="guess", address=f"203.0.113.{number}")
    assert laptop.attempt().logged_in


def test_a_completed_password_reset_lifts_the_accounts_delay(firm_a):
    for _ in range(8):
        attempt(password="my-old-typo")
    refused = attempt(password=PASSWORD)
    assert not refused.logged_in
    assert wait_in_seconds(refused)

    client = Client(REMOTE_ADDR=OWNER)
    client.post("/account/password-reset/", {"email": ACCOUNT})
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", mail.outbox[-1].body)
    form_page = client.get(link.group(1), follow=True)
    new_password = "a-new-long-passphrase"
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )

    assert attempt(password=new_password).logged_in


def test_guessing_from_one_address_waits_longer_after_every_failure(firm_a):
    for _ in range(5):
        assert not attempt(password="guess", address=STRANGER).logged_in
    waits = []
    for _ in range(4):
        refused = attempt(password="guess", address=STRANGER)
        waits.append(wait_in_seconds(refused))
        time_passes(waits[-1] + 1)
        assert not attempt(password="guess", address=STRANGER).logged_in  # one more guess
    assert all(waits), waits
    assert waits == sorted(waits)
    assert waits[-1] >= 4 * waits[0], waits


def test_the_right_password_from_the_guessing_address_waits_too(firm_a):
    for _ in range(5):
        attempt(password="guess", address=STRANGER)
    refused = attempt(password=PASSWORD, address=STRANGER)
    assert not refused.logged_in
    assert "Too many failed attempts" in refused.text


def test_the_delay_is_capped(firm_a, settings):
    settings.PARTNERSPACE_LOGIN_FAILURE_WINDOW = 24 * 3600  # every failure below is remembered
    for _ in range(5):
        attempt(password="guess", address=STRANGER)
    for _ in range(12):
        time_passes(settings.PARTNERSPACE_LOGIN_DELAY_MAX + 1)
        attempt(password="guess", address=STRANGER)
    wait = wait_in_seconds(attempt(password="guess", address=STRANGER))
    assert 0 < wait <= settings.PARTNERSPACE_LOGIN_DELAY_MAX + 60


def test_addresses_that_guessed_an_account_share_its_delay(firm_a):
    """Spread over many addresses, guessing meets the account's delay after one try each."""
    guessers = [f"203.0.113.{number}" for number in range(1, 6)]
    for address in guessers:
        assert not attempt(password="guess", address=address).logged_in
    for address in guessers:
        refused = attempt(password=PASSWORD, address=address)
        assert not refused.logged_in, address
        assert wait_in_seconds(refused), address
    # A new address meets the account's delay too: only a proven device skips it.
    assert wait_in_seconds(attempt(password="guess", address="203.0.113.99"))


@override_settings(PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT=4)
def test_one_address_trying_many_accounts_is_slowed_even_with_a_right_password(firm_a):
    for number in range(4):
        attempt(f"nobody{number}@example.example", "guess", address=STRANGER)
    refused = attempt(ACCOUNT, PASSWORD, address=STRANGER)
    assert not refused.logged_in
    assert "from your network" in refused.text
    assert attempt(ACCOUNT, PASSWORD, address=OWNER).logged_in


def test_the_owners_own_typos_are_forgiven_when_they_log_in(firm_a):
    for _ in range(3):
        attempt(password="typo")
    assert attempt().logged_in
    for _ in range(3):
        attempt(password="typo")
    # Three and three: without the forgiving the owner would be at six, over the limit of five.
    assert attempt().logged_in


def test_the_wait_is_told_in_the_visitors_language(firm_a):
    for _ in range(5):
        attempt(password="guess", address=STRANGER)
    refused = attempt(password="guess", address=STRANGER, language="nl")
    assert "Te veel mislukte pogingen" in refused.text
    assert re.search(r"Probeer opnieuw over \d+ (seconden|minuten?)", refused.text)


def test_old_failures_are_cleared_away(firm_a, settings):
    for _ in range(3):
        attempt(password="guess", address=STRANGER)
    time_passes(settings.PARTNERSPACE_LOGIN_FAILURE_WINDOW + 1)
    attempt(password="guess", address="203.0.113.9")
    assert list(LoginFailure.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


def test_behind_a_proxy_each_visitor_is_slowed_by_their_own_address(firm_a, settings):
    settings.PARTNERSPACE_TRUSTED_PROXIES = 1
    settings.PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT = 3
    proxy = "10.0.0.2"
    for number in range(3):
        attempt(f"nobody{number}@example.example", "guess", address=proxy, forwarded=STRANGER)
    refused = attempt(password=PASSWORD, address=proxy, forwarded=STRANGER)
    assert "from your network" in refused.text
    assert LoginFailure.objects.filter(ip_address=STRANGER).count() == 3
    assert attempt(password=PASSWORD, address=proxy, forwarded=OWNER).logged_in


@pytest.mark.parametrize("socket_address", ["", "unix:/run/partnerspace.sock"])
def test_a_login_through_a_socket_with_no_ip_address_still_works(firm_a, socket_address):
    # Behind a proxy on a Unix socket the server sees no IP address: only the account counts.
    assert not attempt(password="typo", address=socket_address).logged_in
    assert attempt(address=socket_address).logged_in
    assert _ask_reset(socket_address).status_code == 302


def _ask_reset(address):
    return Client(REMOTE_ADDR=address).post(
        "/account/password-reset/", {"email": "admin@alfa.example"}
    )


# --------------------------------------------------------------------------------------
# IPv6 networks, the owner's proven devices, and visitors without an address
# --------------------------------------------------------------------------------------


def test_guessing_from_many_addresses_of_one_ipv6_network_is_held_back(firm_a, monkeypatch):
    """Three hundred addresses of one /64 are one visitor to the throttles, and the
    account's delay holds back every address the owner has not proven."""
    # All within the account's first delay (15 s), which three hundred logins on a busy
    # machine can outlast: the clock stands still while they are sent.
    instant = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: instant)
    results = [
        checked(attempt(password=f"guess{n}", address=f"2001:db8:1:2::{n + 1:x}"))
        for n in range(300)
    ]
    assert sum(results) == 5  # the account's free failures, then the account's delay
    assert results[:5] == [True] * 5


@override_settings(PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT=4)
def test_one_ipv6_network_trying_many_accounts_is_slowed_as_one_address(firm_a):
    for number in range(4):
        attempt(f"nobody{number}@example.example", "guess", address=f"2001:db8:7:7::{number + 1}")
    refused = attempt(ACCOUNT, PASSWORD, address="2001:db8:7:7:ffff:ffff:ffff:fffe")
    assert "from your network" in refused.text
    assert attempt(ACCOUNT, PASSWORD, address="2001:db8:7:8::1").logged_in  # the next /64


def test_a_new_address_meets_the_accounts_delay_once_the_account_was_guessed_at(firm_a):
    for number in range(5):
        attempt(password="guess", address=f"203.0.113.{number + 1}")
    refused = attempt(password="guess", address="192.0.2.200")
    assert not checked(refused) and wait_in_seconds(refused)


def test_the_owner_on_a_proven_device_always_has_the_password_checked(firm_a):
    laptop = Device()
    assert laptop.attempt().logged_in  # the device cookie is set
    for number in range(40):
        attempt(password="guess", address=f"203.0.113.{number % 20 + 1}")
    assert wait_in_seconds(attempt(password=PASSWORD, address=OWNER))  # a device not proven
    assert laptop.attempt().logged_in


@override_settings(PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT=4)
def test_a_stranger_sharing_the_owners_network_cannot_keep_the_owner_out(firm_a):
    laptop = Device(address="198.51.100.7")
    assert laptop.attempt().logged_in
    for number in range(10):
        attempt(f"nobody{number}@example.example", "guess", address="198.51.100.7")
    assert "from your network" in attempt(password=PASSWORD, address="198.51.100.7").text
    assert laptop.attempt().logged_in


@pytest.mark.parametrize("socket_address", ["", "unix:/run/partnerspace.sock"])
def test_without_a_visitor_address_strangers_do_not_share_a_bucket_with_the_owner(
    firm_a, socket_address
):
    laptop = Device(address=socket_address)
    assert laptop.attempt().logged_in
    for _ in range(10):
        attempt(password="guess", address=socket_address)
    assert laptop.attempt().logged_in  # at once: no wait of 15 s growing to 900 s
    # another visitor on the socket: only the account's delay, which a device not proven meets
    assert wait_in_seconds(attempt(password=PASSWORD, address=socket_address))
    assert checked(attempt("other@example.example", "guess", address=socket_address))


def test_a_proven_device_that_guesses_is_slowed_by_its_own_failures(firm_a):
    stolen = Device()
    assert stolen.attempt().logged_in
    for _ in range(5):
        assert checked(stolen.attempt(password="guess"))
    refused = stolen.attempt(password="guess")
    assert not checked(refused) and wait_in_seconds(refused)
    assert Device(address=STRANGER).attempt().logged_in is False  # not proven: held back


def test_the_device_cookie_is_signed_http_only_and_secure_over_https(firm_a, settings):
    from partnerspace.accounts.devices import DEVICE_COOKIE

    laptop = Device(secure=True)
    response = laptop.client.post(
        "/account/login/", {"username": ACCOUNT, "password": PASSWORD}, secure=True
    )
    cookie = response.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert ACCOUNT not in cookie.value  # it names the account only inside the signed value

    plain = Device().client.post("/account/login/", {"username": ACCOUNT, "password": PASSWORD})
    assert not plain.cookies[DEVICE_COOKIE]["secure"]

    for number in range(5):
        attempt(password="guess", address=f"203.0.113.{number + 1}")
    forged = Device()
    forged.client.cookies[DEVICE_COOKIE] = cookie.value[:-2] + "xx"
    assert wait_in_seconds(forged.attempt())
    other = Device()  # a cookie proven for another account proves nothing for this one
    assert other.attempt(email="manager@alfa.example").logged_in
    assert wait_in_seconds(other.attempt())
