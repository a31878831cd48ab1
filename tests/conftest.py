"""The shared base: firm A with an administrator, a client manager and an accountant, and
firm B, whose people must see nothing of firm A."""

import os
import shutil
from dataclasses import dataclass

import pytest
from django.test import Client

from partnerspace.firms.models import Firm, Membership
from tests.factories import make_firm, make_member, make_token

CHROMIUM = os.environ.get("PARTNERSPACE_CHROMIUM", "/usr/bin/chromium")


@dataclass
class FirmPeople:
    firm: Firm
    admin: Membership
    manager: Membership
    accountant: Membership


@pytest.fixture
def firm_a(db) -> FirmPeople:
    firm = make_firm("Boekhoudkantoor Alfa", "alfa")
    return FirmPeople(
        firm=firm,
        admin=make_member(firm, "administrator", email="admin@alfa.example", first_name="Anna"),
        manager=make_member(
            firm, "client_manager", email="manager@alfa.example", first_name="Marc"
        ),
        accountant=make_member(
            firm, "accountant", email="accountant@alfa.example", first_name="Bart"
        ),
    )


@pytest.fixture
def firm_b(db) -> FirmPeople:
    firm = make_firm("Cabinet Bêta", "beta")
    return FirmPeople(
        firm=firm,
        admin=make_member(firm, "administrator", email="admin@beta.example", first_name="Béatrice"),
        manager=make_member(firm, "client_manager", email="manager@beta.example"),
        accountant=make_member(firm, "accountant", email="accountant@beta.example"),
    )


def logged_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


class ApiClient:
    """A test client that speaks to /api/v1/ with one membership's bearer token."""

    def __init__(self, membership: Membership):
        self.membership = membership
        self.client = Client(headers={"Authorization": f"Bearer {make_token(membership)}"})

    def __getattr__(self, method):
        call = getattr(self.client, method)

        def request(path, data=None, **kwargs):
            if method in {"post", "patch", "put"} and "content_type" not in kwargs:
                kwargs["content_type"] = "application/json"
            return call(f"/api/v1{path}", data, **kwargs)

        return request


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def web():
    return logged_in


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    if os.environ.get("PARTNERSPACE_CI"):
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM}; CI needs it for browser tests.")
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in browser_items:
        item.add_marker(skip)
    config._partnerspace_browser_skipped = len(browser_items)


def pytest_terminal_summary(terminalreporter, config):
    skipped = getattr(config, "_partnerspace_browser_skipped", 0)
    if skipped:
        terminalreporter.write_line(
            f"Browser tests skipped ({skipped}): no Chromium at {CHROMIUM}; "
            "install Debian's chromium to run them.",
            yellow=True,
        )
