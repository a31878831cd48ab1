"""The client list's lists to choose from (its staff, its configuration templates) are read
once and kept until the firm's staff or templates change: a change shows with the next page,
whichever process made it (firms.choices), and one firm's lists never show in another's."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.configuration.services import template_create, template_delete, template_update
from partnerspace.firms.models import Firm
from partnerspace.firms.services import membership_remove
from tests.factories import make_member

# Committed for real: the version moves on once a change commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _list(web, membership) -> str:
    response = web(membership).get(reverse("clients:list", args=[membership.firm.slug]))
    assert response.status_code == 200
    return response.content.decode()


# How each list's read begins (the firm door reads the viewer's memberships without the user).
LIST_READS = {
    "templates": 'FROM "configuration_configurationtemplate"',
    "staff": 'FROM "firms_membership" INNER JOIN "accounts_user"',
}


def _lists_read(web, membership) -> set[str]:
    with CaptureQueriesContext(connection) as queries:
        _list(web, membership)
    return {
        name
        for name, start in LIST_READS.items()
        for query in queries.captured_queries
        if start in query["sql"]
    }


def test_a_template_added_renamed_or_deleted_shows_in_the_filter_with_the_next_page(firm_a, web):
    assert "Standaard" not in _list(web, firm_a.admin)
    template = template_create(membership=firm_a.admin, name="Standaard")
    assert "Standaard" in _list(web, firm_a.admin)
    template_update(membership=firm_a.admin, template=template, name="Zelfstandigen")
    page = _list(web, firm_a.admin)
    assert "Zelfstandigen" in page and "Standaard" not in page
    template_delete(membership=firm_a.admin, template=template)
    assert "Zelfstandigen" not in _list(web, firm_a.admin)


def test_a_member_added_renamed_or_removed_shows_in_the_staff_filter_with_the_next_page(
    firm_a, web
):
    assert "Wendy" not in _list(web, firm_a.admin)
    member = make_member(firm_a.firm, "accountant", first_name="Wendy", last_name="Wouters")
    assert "Wendy Wouters" in _list(web, firm_a.admin)
    member.user.last_name = "Peeters"
    member.user.save()
    page = _list(web, firm_a.admin)
    assert "Wendy Peeters" in page and "Wendy Wouters" not in page
    membership_remove(membership=member, actor=firm_a.admin.user)
    assert "Wendy" not in _list(web, firm_a.admin)


def test_the_lists_are_read_once_then_kept_until_they_change(firm_a, web):
    template = template_create(membership=firm_a.admin, name="Standaard")
    assert _lists_read(web, firm_a.admin) == {"templates", "staff"}
    assert _lists_read(web, firm_a.admin) == set()
    template_update(membership=firm_a.admin, template=template, name="Zelfstandigen")
    assert _lists_read(web, firm_a.admin) == {"templates", "staff"}  # one version for both
    assert _lists_read(web, firm_a.admin) == set()
    make_member(firm_a.firm, "accountant", first_name="Wendy")
    assert _lists_read(web, firm_a.admin) == {"templates", "staff"}


def test_templates_renamed_or_added_in_bulk_show(firm_a, web):
    template = template_create(membership=firm_a.admin, name="Standaard")
    assert "Standaard" in _list(web, firm_a.admin)
    ConfigurationTemplate.objects.filter(pk=template.pk).update(name="Zelfstandigen")
    assert "Zelfstandigen" in _list(web, firm_a.admin)
    ConfigurationTemplate.objects.bulk_create(
        [ConfigurationTemplate(firm=firm_a.firm, name="Vennootschappen")]
    )
    assert "Vennootschappen" in _list(web, firm_a.admin)


def test_a_login_does_not_make_the_lists_be_read_again(firm_a, web):
    _list(web, firm_a.admin)
    version = Firm.objects.get(pk=firm_a.firm.pk).choices_version
    _list(web, firm_a.manager)  # force_login saves the manager's last_login
    assert Firm.objects.get(pk=firm_a.firm.pk).choices_version == version


def test_a_change_rolled_back_leaves_the_lists_as_they_were(firm_a, web):
    _list(web, firm_a.admin)
    version = Firm.objects.get(pk=firm_a.firm.pk).choices_version

    def create_then_fail():
        with transaction.atomic():
            template_create(membership=firm_a.admin, name="Standaard")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert Firm.objects.get(pk=firm_a.firm.pk).choices_version == version
    assert "Standaard" not in _list(web, firm_a.admin)


def test_one_firms_lists_never_show_in_another_firms_list(firm_a, firm_b, web):
    template_create(membership=firm_a.admin, name="Alfa-sjabloon")
    template_create(membership=firm_b.admin, name="Bêta-modèle")
    make_member(firm_b.firm, "accountant", first_name="Zoë", last_name="Lambert")
    page_a = _list(web, firm_a.admin)
    page_b = _list(web, firm_b.admin)
    assert "Alfa-sjabloon" in page_a and "Bêta-modèle" not in page_a
    assert "Bêta-modèle" in page_b and "Alfa-sjabloon" not in page_b
    # Not the viewer's own name, which the menu shows: a colleague's.
    assert "Marc" in page_a and "Marc" not in page_b
    assert "Zoë Lambert" in page_b and "Zoë Lambert" not in page_a
