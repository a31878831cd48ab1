import os
import subprocess
import sys

import pytest

from partnerspace.core.email_url import email_settings_from_url

PRODUCTION_ENV = {
    "SECRET_KEY": "k3y-for-the-deploy-check-9f8e7d6c5b4a39281716a5b4c3d2e1f0a9b8c7d6e5f4",
    "PARTNERSPACE_BASE_URL": "https://partnerspace.example.be",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_URL": "smtp://mailer:secret@smtp.example.be:587?tls=1",
}


def manage(*args, env_overrides=None):
    # A clean environment: the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak in.
    unwanted = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in unwanted}
    env.update(env_overrides or {})
    env["DJANGO_SETTINGS_MODULE"] = "partnerspace.settings"
    return subprocess.run(
        [sys.executable, "-m", "partnerspace", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout


def test_without_debug_a_secret_key_is_required():
    result = manage("check", env_overrides={"DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_smtp_url_with_starttls():
    settings = email_settings_from_url("smtp://user%40x:p%3Ass@mail.example:2525?tls=1")
    assert settings["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("mail.example", 2525)
    assert (settings["EMAIL_HOST_USER"], settings["EMAIL_HOST_PASSWORD"]) == ("user@x", "p:ss")
    assert settings["EMAIL_USE_TLS"] and not settings["EMAIL_USE_SSL"]


def test_smtps_url_uses_implicit_tls_on_465():
    settings = email_settings_from_url("smtps://mail.example")
    assert settings["EMAIL_PORT"] == 465
    assert settings["EMAIL_USE_SSL"]


def test_console_is_the_default_and_unknown_schemes_are_refused():
    assert email_settings_from_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(ValueError, match="unknown scheme"):
        email_settings_from_url("carrier-pigeon://coop")


def hsts_settings(**env) -> tuple[str, ...]:
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)",
        env_overrides={**PRODUCTION_ENV, **env},
    )
    assert result.returncode == 0, result.stderr
    return tuple(result.stdout.strip().splitlines()[-1].split())


def test_an_https_base_url_turns_hsts_on_without_preload():
    # Preloading is a promise to browsers that is slow to take back: the operator opts in.
    assert hsts_settings() == ("31536000", "True", "False")


def test_preload_is_a_setting_of_its_own():
    assert hsts_settings(PARTNERSPACE_HSTS_PRELOAD="1") == ("31536000", "True", "True")


def test_the_old_name_of_the_preload_setting_still_counts_and_the_new_one_wins():
    """SECURE_HSTS_PRELOAD (Django's own name, which installations set before the setting
    was renamed) is still read; PARTNERSPACE_HSTS_PRELOAD, when set, decides."""
    assert hsts_settings(SECURE_HSTS_PRELOAD="1") == ("31536000", "True", "True")
    both = {"SECURE_HSTS_PRELOAD": "1", "PARTNERSPACE_HSTS_PRELOAD": "0"}
    assert hsts_settings(**both) == ("31536000", "True", "False")


def test_deploy_check_passes_with_preload_turned_on_too():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={**PRODUCTION_ENV, "PARTNERSPACE_HSTS_PRELOAD": "1"},
    )
    assert result.returncode == 0, result.stderr + result.stdout
