import io

import pytest
from django.core.management import CommandError, call_command

from partnerspace.accounts.models import User
from partnerspace.firms.models import Firm, Membership

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_firm_generates_and_prints_a_password_once(monkeypatch):
    monkeypatch.delenv("PARTNERSPACE_ADMIN_PASSWORD", raising=False)
    output = run(
        "create_firm",
        "--slug",
        "gamma",
        "--name",
        "Gamma BV",
        "--admin-email",
        "Boss@Gamma.example",
    )
    password = output.split("Password (shown once): ")[1].strip()
    user = User.objects.get(email="boss@gamma.example")
    assert user.check_password(password)
    assert Membership.objects.get(user=user).is_administrator


def test_create_firm_takes_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("PARTNERSPACE_ADMIN_PASSWORD", "from-the-environment")
    output = run(
        "create_firm", "--slug", "delta", "--name", "Delta", "--admin-email", "a@delta.example"
    )
    assert "shown once" not in output
    assert User.objects.get(email="a@delta.example").check_password("from-the-environment")


def test_create_firm_refuses_a_taken_slug(firm_a):
    with pytest.raises(CommandError):
        run("create_firm", "--slug", "alfa", "--name", "Other", "--admin-email", "x@y.example")
    assert Firm.objects.filter(slug="alfa").count() == 1


def test_seed_demo_twice_duplicates_nothing(monkeypatch, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("PARTNERSPACE_DEMO_PASSWORD", raising=False)
    first = run("seed_demo")
    second = run("seed_demo")
    password = first.rsplit("password: ", 1)[1].strip()
    assert second.rsplit("password: ", 1)[1].strip() == password
    assert Firm.objects.filter(slug="demo").count() == 1
    admin = User.objects.get(email="admin@demo.example")
    assert admin.check_password(password)
    assert Membership.objects.filter(firm__slug="demo").count() == 3


def test_seed_demo_uses_the_password_from_the_environment(monkeypatch, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("PARTNERSPACE_DEMO_PASSWORD", "demo-password-123")
    run("seed_demo")
    assert User.objects.get(email="admin@demo.example").check_password("demo-password-123")
