"""core.versions: a version is raised after the commit of the transaction that changed what
it stands for, once however many changes it made, and not for what a rollback undid."""

import pytest
from django.db import transaction

from partnerspace.core import versions
from partnerspace.core.versions import version_raise
from partnerspace.firms.models import Firm

# Committed for real: the versions move on once a transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _versions(*firms) -> tuple[int, ...]:
    return tuple(Firm.objects.get(pk=firm.pk).choices_version for firm in firms)


def _raise(*firms) -> None:
    version_raise(Firm, "choices_version", ids=[firm.pk for firm in firms])


def test_raised_once_after_the_commit_however_many_changes(firm_a):
    (before,) = _versions(firm_a.firm)
    with transaction.atomic():
        _raise(firm_a.firm)
        _raise(firm_a.firm)
        assert _versions(firm_a.firm) == (before,)  # not before the commit
    assert _versions(firm_a.firm) == (before + 1,)


def test_raised_at_once_outside_a_transaction(firm_a):
    (before,) = _versions(firm_a.firm)
    _raise(firm_a.firm)
    assert _versions(firm_a.firm) == (before + 1,)


def test_a_rolled_back_transaction_raises_nothing(firm_a):
    (before,) = _versions(firm_a.firm)

    def change_then_fail():
        with transaction.atomic():
            _raise(firm_a.firm)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert _versions(firm_a.firm) == (before,)


def test_a_rolled_back_savepoint_drops_its_raise_and_keeps_the_outer_one(firm_a, firm_b):
    a, b = _versions(firm_a.firm, firm_b.firm)
    with transaction.atomic():
        try:
            with transaction.atomic():
                _raise(firm_a.firm)
                raise RuntimeError
        except RuntimeError:
            pass
        _raise(firm_b.firm)
    assert _versions(firm_a.firm, firm_b.firm) == (a, b + 1)


def test_a_released_savepoint_and_a_raise_after_it_raise_each_firm_once(firm_a, firm_b):
    a, b = _versions(firm_a.firm, firm_b.firm)
    with transaction.atomic():
        with transaction.atomic():
            _raise(firm_a.firm)
        _raise(firm_b.firm, firm_a.firm)
    assert _versions(firm_a.firm, firm_b.firm) == (a + 1, b + 1)


def test_two_versions_of_one_firm_are_raised_apart(firm_a):
    before = Firm.objects.get(pk=firm_a.firm.pk)
    with transaction.atomic():
        _raise(firm_a.firm)
        version_raise(Firm, "clients_version", ids=[firm_a.firm.pk])
    after = Firm.objects.get(pk=firm_a.firm.pk)
    assert after.choices_version == before.choices_version + 1
    assert after.clients_version == before.clients_version + 1


def test_a_raise_that_fails_after_the_commit_does_not_fail_the_change(firm_a, monkeypatch, caplog):
    def failing(model, field, ids):
        raise RuntimeError("database gone")

    monkeypatch.setattr(versions, "_raise", failing)
    with transaction.atomic():
        _raise(firm_a.firm)
        Firm.objects.filter(pk=firm_a.firm.pk).update(name="Alfa & Co")
    assert Firm.objects.get(pk=firm_a.firm.pk).name == "Alfa & Co"
    assert "database gone" in caplog.text
