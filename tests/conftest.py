"""The shared base: firm A with an administrator, a client manager and an accountant, and
firm B, whose people must see nothing of firm A."""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from partnerspace.firms.models import Firm, Membership
from tests.factories import make_firm, make_member, make_token

CHROMIUM = os.environ.get("PARTNERSPACE_CHROMIUM", "/usr/bin/chromium")
IN_CI = bool(os.environ.get("PARTNERSPACE_CI"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "background: runs real task worker processes (tests/processes.py); .ci/run runs "
        "these tests a second time with every task on Redis",
    )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """Worker processes (the `background` tests) must open the test database too: on SQLite
    it is then a file rather than memory, for the runs that select such tests."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    wanted = any(item.get_closest_marker("background") for item in request.session.items)
    if not wanted or not database["ENGINE"].endswith("sqlite3"):
        yield
        return
    path = Path(tempfile.gettempdir()) / f"partnerspace-test-{os.getpid()}.sqlite3"
    database.setdefault("TEST", {})["NAME"] = str(path)
    yield
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database this run has to itself (the Redis pass's, or one claimed now).

    Without a reachable Redis the test is skipped, and in CI it fails."""
    from tests.redisdb import RedisUnavailable, claimed_redis_url

    try:
        return claimed_redis_url()
    except RedisUnavailable as error:
        if IN_CI:
            pytest.fail(f"{error} (CI needs it)")
        pytest.skip(str(error))


@pytest.fixture
def task_workers(transactional_db, settings, tmp_path, request):
    """start(count, backend=None) -> TaskWorkerPool: real `partnerspace task_worker`
    processes for the run's backend on the test database (tests/processes.py), stopped
    after the test."""
    from tests import processes
    from tests.redisdb import empty

    pools = []

    def start(count: int = 2, *, backend: str | None = None):
        backend = backend or processes.configured_backend()
        redis = request.getfixturevalue("redis_url") if backend == processes.REDIS else None
        # This process queues on the backend the workers run.
        settings.TASKS = {
            "default": {"BACKEND": processes.BACKENDS[backend], "QUEUES": ["default"]}
        }
        if redis:
            empty(redis)  # nothing left from an earlier test
            settings.RQ_QUEUES = {"default": {"URL": redis, "DEFAULT_TIMEOUT": 600}}
        directory = tmp_path / f"workers-{len(pools) + 1}"
        directory.mkdir()
        pool = processes.TaskWorkerPool(
            backend, directory, processes.worker_environment(backend, directory, redis)
        )
        pools.append(pool)
        pool.start(count)
        return pool

    yield start
    for pool in pools:
        pool.stop()


@dataclass
class FirmPeople:
    firm: Firm
    admin: Membership
    manager: Membership
    accountant: Membership


@pytest.fixture(autouse=True)
def _cache_left_empty():
    """Each test starts with an empty cache: a test's firm may get the id (and version) of a
    firm a test before it cached lists under, since a rolled-back test gives its ids back."""
    from django.core.cache import cache

    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _language_left_as_found():
    """A test that switches the language (a request's middleware, a command, an explicit
    activate) leaves the next test in the default one: otherwise what a service writes in
    "the active language" depends on which test ran before it in the same process."""
    yield
    translation.deactivate()


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
    if IN_CI:
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
