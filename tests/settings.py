"""The project's settings as production reads them, with what a test run needs set first."""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-key-5f0b0c7e6a4d4f3b9a1e2d3c4b5a69788796a5b4c3d2e1f0"
)
# Never a real mail server: memory, or the directory a test's worker processes write to.
os.environ["EMAIL_URL"] = os.environ.get("PARTNERSPACE_TEST_EMAIL_URL", "locmem://")
# The background tests' second pass (.ci/run): every task through Redis and RQ workers, on a
# Redis database this run claims. Otherwise no test reaches Redis unless it asks (a port
# nothing listens on keeps a development or production Redis out of reach).
if os.environ.get("PARTNERSPACE_TEST_TASKS") == "redis":
    from tests.redisdb import claimed_redis_url

    os.environ["TASKS_BACKEND"] = "django_tasks_rq.RQBackend"
    os.environ["REDIS_URL"] = claimed_redis_url()
else:
    os.environ.setdefault("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    os.environ["REDIS_URL"] = os.environ.get("PARTNERSPACE_TEST_REDIS_URL", "redis://127.0.0.1:1/0")
os.environ.setdefault("PARTNERSPACE_BASE_URL", "http://testserver")
# No VIES checks unless a test points them at its local fake VIES (tests/vies; its worker
# processes through PARTNERSPACE_TEST_VIES_URL): never the European Commission's.
os.environ["PARTNERSPACE_VIES_URL"] = os.environ.get("PARTNERSPACE_TEST_VIES_URL", "")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["PARTNERSPACE_STATIC_MANIFEST"] = "0"

from partnerspace.settings import *  # noqa: F403

# Fast hashing: the tests log in hundreds of times; production uses Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Static files come from the apps' folders, as in development; no collectstatic before tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# A file, not SQLite's shared in-memory database: tests with two threads need two real
# connections that wait for each other's write lock as in production (WAL, IMMEDIATE), where
# shared memory answers "database table is locked" at once. pytest-django creates and deletes it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-partnerspace.sqlite3")}  # noqa: F405
