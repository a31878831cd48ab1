"""The menu's count of open register changes is counted once per firm (and per accountant)
and kept in the cache until the firm's open changes, or the clients it counts, change: a
register update's watch, a change taken over or dismissed, a client deleted, an assignment.
Every process sees the change with its next page: the key holds versions from the firm's
row, which every page reads anyway (register.counts)."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerspace.clients.services import client_assignments_set
from partnerspace.register.models import ChangeKind, RegisterChange
from partnerspace.register.services import register_change_dismiss, register_change_take
from tests.factories import make_client
from tests.register.conftest import DUPONT, PEETERS, make_mover
from tests.register.watch_files import (
    MOVER_TO_BRUGGE,
    PEETERS_BANKRUPT_NV,
    dupont_named,
    merged,
    write,
)

# Committed for real: the versions rise once a change commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def loaded(full_zip):
    call_command("kbo_load", str(full_zip))


def menu_count(browser, people) -> int:
    html = browser.get(reverse("clients:list", args=[people.firm.slug])).content.decode()
    found = re.search(r'data-testid="nav-register-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def counted(browser, people) -> bool:
    """Whether drawing the menu counted the open changes."""
    with CaptureQueriesContext(connection) as queries:
        browser.get(reverse("clients:list", args=[people.firm.slug]))
    return any(
        "register_registerchange" in query["sql"] and "COUNT" in query["sql"] for query in queries
    )


def flag(tmp_path, number, *changes):
    call_command("kbo_update", str(write(tmp_path, number, merged(*changes))))


def test_the_count_is_read_once_until_something_changes(firm_a, web, loaded, tmp_path):
    make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    browser = web(firm_a.admin)
    assert menu_count(browser, firm_a) == 0
    assert not counted(browser, firm_a)

    flag(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))

    assert menu_count(browser, firm_a) == 1
    assert not counted(browser, firm_a)


def test_an_update_that_undoes_a_change_takes_it_out_of_the_count(firm_a, web, loaded, tmp_path):
    make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    flag(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))
    browser = web(firm_a.admin)
    assert menu_count(browser, firm_a) == 1

    flag(tmp_path, 142, dupont_named("Boulangerie Dupont"))  # the name it had

    assert menu_count(browser, firm_a) == 0


def test_taking_over_and_dismissing_show_at_once(firm_a, web, loaded, tmp_path):
    make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    make_client(firm_a.admin, "Bakkerij Peeters", company_number=PEETERS)
    flag(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"), PEETERS_BANKRUPT_NV)
    browser = web(firm_a.admin)
    assert menu_count(browser, firm_a) == 3  # a name, a legal form and a situation

    register_change_take(
        membership=firm_a.admin,
        change_id=RegisterChange.objects.get(kind=ChangeKind.NAME).pk,
    )
    assert menu_count(browser, firm_a) == 2

    register_change_dismiss(
        membership=firm_a.admin,
        change_id=RegisterChange.objects.get(kind=ChangeKind.SITUATION).pk,
    )
    assert menu_count(browser, firm_a) == 1


def test_a_deleted_client_takes_its_changes_out_of_the_count(firm_a, web, loaded, tmp_path):
    dupont = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    flag(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))
    browser = web(firm_a.admin)
    assert menu_count(browser, firm_a) == 1

    dupont.delete()

    assert menu_count(browser, firm_a) == 0


def test_an_accountants_count_follows_their_assignments(firm_a, web, loaded, tmp_path):
    mover = make_mover(firm_a.admin)
    flag(tmp_path, 141, MOVER_TO_BRUGGE)
    browser = web(firm_a.accountant)
    assert menu_count(browser, firm_a) == 0

    client_assignments_set(
        membership=firm_a.admin, client=mover, membership_ids=[firm_a.accountant.pk]
    )
    assert menu_count(browser, firm_a) == 1

    client_assignments_set(membership=firm_a.admin, client=mover, membership_ids=[])
    assert menu_count(browser, firm_a) == 0


def test_another_firms_count_is_its_own(firm_a, firm_b, web, loaded, tmp_path):
    make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    flag(tmp_path, 141, dupont_named("Boulangerie Dupont & Fils"))

    assert menu_count(web(firm_a.admin), firm_a) == 1
    assert menu_count(web(firm_b.admin), firm_b) == 0
