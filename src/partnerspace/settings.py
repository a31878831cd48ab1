"""Settings, read from the environment (twelve-factor) with safe defaults.

Every value a deployment changes comes from an environment variable; nothing here
needs editing to move from the embedded SQLite default to PostgreSQL, from the
console e-mail backend to SMTP, or from the database task queue to another backend.
"""

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from partnerspace.core.email_url import email_settings_from_url
from partnerspace.core.outbound import AllowList
from partnerspace.operations.logs import logging_config

BASE_DIR = Path(__file__).resolve().parents[2]


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

VAR_DIR = Path(env("PARTNERSPACE_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for a development key).")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-partnerspace-0123456789"  # noqa: S105

PARTNERSPACE_BASE_URL = env("PARTNERSPACE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlsplit(PARTNERSPACE_BASE_URL)
_https = _base.scheme == "https"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [
    _base.hostname or "localhost",
    "localhost",
    "127.0.0.1",
]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [f"{_base.scheme}://{_base.netloc}"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    # Before django_tasks_db: its `db_worker` command is core's, which also takes up the
    # work of workers that died.
    "partnerspace.core",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "partnerspace.accounts",
    "partnerspace.firms",
    "partnerspace.identifiers",
    "partnerspace.clients",
    "partnerspace.configuration",
    "partnerspace.companies",
    "partnerspace.invitations",
    "partnerspace.imports",
    "partnerspace.peppol",
    "partnerspace.register",
    "partnerspace.vies",
    "partnerspace.api",
    "partnerspace.operations",
]

MIDDLEWARE = [
    # First: the probes and the metrics skip everything else, and the request log times it all.
    "partnerspace.operations.middleware.OperationsEndpointsMiddleware",
    "partnerspace.operations.middleware.RequestLogMiddleware",
    "partnerspace.core.middleware.ForwardedForMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "partnerspace.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "partnerspace.core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "partnerspace.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "partnerspace.core.middleware.ServiceRefusalMiddleware",
]

ROOT_URLCONF = "partnerspace.urls"
WSGI_APPLICATION = "partnerspace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partnerspace.firms.context_processors.current_firm",
                "partnerspace.register.context_processors.register_changes",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.static",
                "partnerspace.core.templatetags.ps",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'partnerspace.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", _default_sqlite), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the worker write while pages read; IMMEDIATE takes the write lock at BEGIN,
    # so two writers queue on busy_timeout instead of failing half-way with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["partnerspace.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# The login throttle (accounts.selectors.login_wait): failed logins on one account, and from
# one visitor address, before each further attempt must wait; how long failures are
# remembered (seconds); and the longest wait one failure more can bring (seconds).
PARTNERSPACE_LOGIN_FAILURE_LIMIT = int(env("PARTNERSPACE_LOGIN_FAILURE_LIMIT", "5"))
PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT = int(env("PARTNERSPACE_LOGIN_FAILURE_IP_LIMIT", "50"))
PARTNERSPACE_LOGIN_FAILURE_WINDOW = int(env("PARTNERSPACE_LOGIN_FAILURE_WINDOW", "3600"))
PARTNERSPACE_LOGIN_DELAY_MAX = int(env("PARTNERSPACE_LOGIN_DELAY_MAX", "900"))

# Peppol: the SML zone the look-up asks (OpenPeppol's production SML by default), an optional
# DNS resolver ("host:port") instead of the system's, and how long an SMP call may take.
PARTNERSPACE_SML_ZONE = env("PARTNERSPACE_SML_ZONE", "participant.sml.prod.tech.peppol.org")
PARTNERSPACE_DNS_RESOLVER = env("PARTNERSPACE_DNS_RESOLVER")
PARTNERSPACE_SMP_TIMEOUT = float(env("PARTNERSPACE_SMP_TIMEOUT", "20"))
# Where a firm's SMP may be although it is not a public address: host names or networks,
# comma-separated, each with a port to allow only that port ("10.0.0.0/8:8443,
# smp.intern.example:443, [fd00::5]:8443"; without a port every port is allowed). Empty:
# every SMP must be public, so a firm cannot make the server send requests (with its SMP
# credentials) into its own network.
PARTNERSPACE_SMP_ALLOWED_NETWORKS = env_list("PARTNERSPACE_SMP_ALLOWED_NETWORKS")
try:
    AllowList.parse(PARTNERSPACE_SMP_ALLOWED_NETWORKS)
except ValueError as error:
    raise ImproperlyConfigured(f"PARTNERSPACE_SMP_ALLOWED_NETWORKS: {error}") from None
# The key that encrypts stored secrets (the firms' SMP credentials); derived from SECRET_KEY
# when empty.
PARTNERSPACE_ENCRYPTION_KEY = env("PARTNERSPACE_ENCRYPTION_KEY")

# VIES, the EU's VAT number check: the REST API's base address (its two calls are relative
# to it; empty: no checks, for an installation without internet access), how long one call
# may take (seconds).
PARTNERSPACE_VIES_URL = env(
    "PARTNERSPACE_VIES_URL", "https://ec.europa.eu/taxation_customs/vies/rest-api"
).rstrip("/")
PARTNERSPACE_VIES_TIMEOUT = float(env("PARTNERSPACE_VIES_TIMEOUT", "20"))

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "partnerspace_language"
LANGUAGE_COOKIE_SAMESITE: Literal["Lax", "Strict", "None", False] | None = "Lax"
LOCALE_PATHS: list[Path] = []  # each app keeps its own locale/ folder
FORMAT_MODULE_PATH = ["partnerspace.formats"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True
# Off: a number printed into a URL or a form value ({{ client.pk }}) must never read
# "12.345". Amounts shown to people use |intcomma, which groups them in the user's locale.
USE_THOUSAND_SEPARATOR = False

# What one uploaded file may write to disk: the largest upload a feature accepts (an import
# file, 20 MB). Each feature refuses over its own limit; this keeps a larger body off the disk.
PARTNERSPACE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "partnerspace.core.uploads.UploadCeilingHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or not env_bool("PARTNERSPACE_STATIC_MANIFEST", True)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

vars().update(email_settings_from_url(env("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Partner Space <no-reply@partnerspace.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks: the database queue by default (nothing else to run), or Redis through
# RQ with TASKS_BACKEND=django_tasks_rq.RQBackend and REDIS_URL. `partnerspace task_worker`
# runs the worker of either.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# The longest a task may run before RQ stops it (a 100,000-row import takes about a minute).
PARTNERSPACE_TASK_TIMEOUT = int(env("PARTNERSPACE_TASK_TIMEOUT", "3600"))
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": PARTNERSPACE_TASK_TIMEOUT}
    for name in TASKS["default"]["QUEUES"]
}
RQ = {
    "QUEUE_CLASS": "partnerspace.operations.taskqueue.Queue",
    "JOB_CLASS": "django_tasks_rq.Job",
    "WORKER_CLASS": "partnerspace.operations.taskqueue.Worker",
}
# An RQ worker waits for work at most WORKER_TTL - 15 s at a time, and between waits cleans
# up after workers that died: their task is marked failed once its heartbeat (every
# MONITORING_INTERVAL s) is HEARTBEAT_GRACE s late: with these defaults, within about three
# minutes.
PARTNERSPACE_RQ_WORKER_TTL = int(env("PARTNERSPACE_RQ_WORKER_TTL", "75"))
PARTNERSPACE_RQ_MONITORING_INTERVAL = int(env("PARTNERSPACE_RQ_MONITORING_INTERVAL", "30"))
PARTNERSPACE_RQ_MAINTENANCE_INTERVAL = int(env("PARTNERSPACE_RQ_MAINTENANCE_INTERVAL", "60"))
PARTNERSPACE_RQ_HEARTBEAT_GRACE = int(env("PARTNERSPACE_RQ_HEARTBEAT_GRACE", "60"))

# /readyz fails when the oldest due task has waited longer than this (seconds; 0: never):
# no worker is running, or they cannot keep up.
PARTNERSPACE_READY_MAX_TASK_WAIT = int(env("PARTNERSPACE_READY_MAX_TASK_WAIT", "900"))
# How long /readyz waits for Redis before calling the queue unreachable.
PARTNERSPACE_HEALTH_TIMEOUT = float(env("PARTNERSPACE_HEALTH_TIMEOUT", "3"))
# The bearer token Prometheus sends to /metrics; unset, /metrics does not exist (404).
PARTNERSPACE_METRICS_TOKEN = env("PARTNERSPACE_METRICS_TOKEN")

# How often each worker looks for tasks left running by a worker that died (seconds).
PARTNERSPACE_RECOVERY_INTERVAL = float(env("PARTNERSPACE_RECOVERY_INTERVAL", "60"))

# Imports: how long a process holds an import between two batches before another may take
# it over (imports.recovery); how long the uploaded bytes are kept, and how many a firm keeps.
PARTNERSPACE_IMPORT_LEASE_SECONDS = int(env("PARTNERSPACE_IMPORT_LEASE_SECONDS", "120"))
PARTNERSPACE_IMPORT_FILE_DAYS = int(env("PARTNERSPACE_IMPORT_FILE_DAYS", "30"))
PARTNERSPACE_IMPORT_FILES_PER_FIRM = int(env("PARTNERSPACE_IMPORT_FILES_PER_FIRM", "200"))
# An upload is read in a child process with at most this much address space and time
# (imports.isolation): a file that needs more is refused, and the process reading it stays.
PARTNERSPACE_IMPORT_READ_MEMORY_MB = int(env("PARTNERSPACE_IMPORT_READ_MEMORY_MB", "1536"))
PARTNERSPACE_IMPORT_READ_SECONDS = float(env("PARTNERSPACE_IMPORT_READ_SECONDS", "120"))

# Django's database sessions, read by one statement (accounts.sessions).
SESSION_ENGINE = "partnerspace.accounts.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _https)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _https)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https and not DEBUG)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if _https else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _https)
# Asking browsers to preload HSTS is a promise that takes months to withdraw, for the host and
# every name below it: the operator opts in. Without it, Django's deploy check would warn.
# SECURE_HSTS_PRELOAD, the name installations set before, still counts; the new name wins.
SECURE_HSTS_PRELOAD = env_bool("PARTNERSPACE_HSTS_PRELOAD", env_bool("SECURE_HSTS_PRELOAD", False))
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies stand in front and append to X-Forwarded-For. 0: none, and the
# header is ignored (anyone can send it). The login and sign-up throttles count per address.
try:
    PARTNERSPACE_TRUSTED_PROXIES = int(env("PARTNERSPACE_TRUSTED_PROXIES", "0"))
except ValueError:
    raise ImproperlyConfigured("PARTNERSPACE_TRUSTED_PROXIES must be a whole number.") from None
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # preload is off by choice, see above

# One JSON object a line in production (LOG_FORMAT=json), readable lines under DEBUG
# (LOG_FORMAT=console); either way without personal data (operations.logs).
LOG_FORMAT = env("LOG_FORMAT", "console" if DEBUG else "json")
LOGGING = logging_config(LOG_FORMAT, env("LOG_LEVEL", "INFO"))
FORM_RENDERER = "partnerspace.core.forms.FormRenderer"
