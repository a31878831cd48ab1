import pytest

from partnerspace.core.errors import Conflict
from partnerspace.firms.models import AuditEvent, Membership
from partnerspace.firms.services import membership_remove, membership_roles_set

pytestmark = pytest.mark.django_db


def test_administrator_changes_a_colleagues_roles_and_the_audit_log_says_so(firm_a, web):
    response = web(firm_a.admin).post(
        f"/f/alfa/users/{firm_a.accountant.pk}/roles/", {"roles": ["accountant", "administrator"]}
    )
    assert response.status_code == 302
    firm_a.accountant.refresh_from_db()
    assert firm_a.accountant.is_administrator
    event = AuditEvent.objects.get(action="staff.roles_changed")
    assert event.data == {"old": ["accountant"], "new": ["administrator", "accountant"]}
    assert event.actor == firm_a.admin.user


def test_the_last_administrator_cannot_drop_the_role(firm_a):
    with pytest.raises(Conflict) as refused:
        membership_roles_set(membership=firm_a.admin, actor=firm_a.admin.user, roles=["accountant"])
    assert refused.value.code == "last_administrator"
    firm_a.admin.refresh_from_db()
    assert firm_a.admin.is_administrator


def test_the_last_administrator_cannot_be_removed(firm_a, web):
    response = web(firm_a.admin).post(f"/f/alfa/users/{firm_a.admin.pk}/remove/", follow=True)
    assert "minstens één beheerder" in response.text
    assert Membership.objects.filter(pk=firm_a.admin.pk).exists()


def test_with_two_administrators_one_may_leave(firm_a):
    membership_roles_set(
        membership=firm_a.manager, actor=firm_a.admin.user, roles=["administrator"]
    )
    membership_remove(membership=firm_a.admin, actor=firm_a.admin.user)
    assert not Membership.objects.filter(pk=firm_a.admin.pk).exists()


def test_removing_a_colleague_ends_their_access(firm_a, web):
    web(firm_a.admin).post(f"/f/alfa/users/{firm_a.accountant.pk}/remove/")
    assert web(firm_a.accountant).get("/f/alfa/").status_code == 404


def test_a_membership_without_any_role_is_refused_by_the_database(firm_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=firm_a.accountant.pk).update(is_accountant=False)


def test_empty_role_selection_is_refused(firm_a, web):
    web(firm_a.admin).post(f"/f/alfa/users/{firm_a.accountant.pk}/roles/", {"roles": []})
    firm_a.accountant.refresh_from_db()
    assert firm_a.accountant.is_accountant
