"""Another administrator or staff member deletes what a request changes between its access
check and its change: the change answers 404 (it is gone), never a 500."""

import pytest
from django.urls import reverse

from partnerspace.firms import selectors as firm_selectors
from partnerspace.firms.models import Membership

pytestmark = pytest.mark.django_db


def _member_removed_meanwhile(monkeypatch):
    real = firm_selectors.staff_get_for_user

    def fetch_then_someone_removes(membership, membership_id):
        member = real(membership, membership_id)
        Membership.objects.filter(pk=member.pk).delete()  # the other administrator's removal
        return member

    monkeypatch.setattr(firm_selectors, "staff_get_for_user", fetch_then_someone_removes)


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
