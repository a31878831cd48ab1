"""Another administrator or staff member deletes what a request changes between its access
check and its change: the change answers 404 (it is gone), never a 500."""

import pytest
from django.urls import reverse

from partnerspace.firms import selectors as firm_selectors
from tests.meanwhile import deleted_after_fetch

pytestmark = pytest.mark.django_db


def _member_removed_meanwhile(monkeypatch):
    deleted_after_fetch(monkeypatch, firm_selectors, "staff_get_for_user")


def test_removing_a_member_another_administrator_removed_meanwhile_is_no_500(
    firm_a, web, monkeypatch
):
    _member_removed_meanwhile(monkeypatch)
    url = reverse("firms:staff_remove", args=["alfa", firm_a.accountant.pk])
    assert web(firm_a.admin).post(url).status_code == 404


def test_the_roles_of_a_member_removed_meanwhile_are_no_500(firm_a, web, monkeypatch):
    _member_removed_meanwhile(monkeypatch)
    url = reverse("firms:staff_roles", args=["alfa", firm_a.accountant.pk])
    assert web(firm_a.admin).post(url, {"roles": ["accountant"]}).status_code == 404
