"""The door of every firm page (firms.access.firm_view): the membership, and the firm
switcher's list of the person's firms, from one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_member

pytestmark = pytest.mark.django_db


def membership_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if 'FROM "firms_membership"' in q["sql"]]


def test_a_firm_page_reads_the_membership_and_the_switcher_in_one_query(firm_a, firm_b, web):
    make_member(firm_b.firm, "accountant", user=firm_a.manager.user)
    with CaptureQueriesContext(connection) as captured:
        html = web(firm_a.manager).get("/f/alfa/account/tokens/").text
    assert len(membership_queries(captured.captured_queries)) == 1
    # Both firms in the switcher, each linking to its Overzicht.
    assert 'href="/f/alfa/"' in html and 'href="/f/beta/"' in html
    assert "Cabinet Bêta" in html and "Ander kantoor" in html


def test_one_firm_draws_no_switcher(firm_a, web):
    html = web(firm_a.accountant).get("/f/alfa/account/tokens/").text
    assert 'href="/f/beta/"' not in html
    assert "Ander kantoor" not in html


def test_another_firms_page_is_not_found_though_the_person_has_firms(firm_a, firm_b, web):
    assert web(firm_a.admin).get("/f/beta/clients/").status_code == 404
