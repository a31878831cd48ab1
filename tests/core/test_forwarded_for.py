"""The visitor's address behind trusted proxies, which the login and sign-up throttles count."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from partnerspace.core.middleware import ForwardedForMiddleware


def address_seen(settings, proxies: int, forwarded_for: str | None) -> str:
    settings.PARTNERSPACE_TRUSTED_PROXIES = proxies
    seen = {}

    def view(request):
        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **headers)
    ForwardedForMiddleware(view)(request)
    return seen["address"]


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert address_seen(settings, 0, "203.0.113.7") == "10.0.0.2"


def test_behind_one_proxy_the_address_it_appended_counts_not_what_the_visitor_wrote(settings):
    assert address_seen(settings, 1, "1.1.1.1, 203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_the_second_from_the_right_counts(settings):
    assert address_seen(settings, 2, "1.1.1.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7"


@pytest.mark.parametrize("header", [None, "", " , "])
def test_a_missing_or_short_header_leaves_the_connection_address(settings, header):
    assert address_seen(settings, 1, header) == "10.0.0.2"


def test_the_site_sees_the_visitors_address_behind_the_proxy(settings, db, client):
    settings.PARTNERSPACE_TRUSTED_PROXIES = 1
    # The middleware reads the setting when it is made: this test's client makes it anew.
    response = client.get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.2")
    assert response.wsgi_request.META["REMOTE_ADDR"] == "203.0.113.7"


@pytest.mark.parametrize("hop", ["203.0.113.7:51234", "unknown", "<script>"])
def test_a_hop_that_is_no_ip_address_leaves_the_connection_address(settings, hop):
    assert address_seen(settings, 1, f"1.1.1.1, {hop}") == "10.0.0.2"
