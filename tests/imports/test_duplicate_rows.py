"""One message per duplicate row: a row that repeats another row of the file, or a client the
firm has, is refused with one message naming what it repeats, however many of its numbers
(enterprise number, VAT number, external reference) are the same."""

import pytest
from django.urls import reverse
from django.utils import translation

from partnerspace.imports.models import ImportIssue, ImportJob
from tests.factories import make_client

from .rows import client_row, codes, enterprise_number, run, xlsx_of
from .test_views import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_row_repeating_all_numbers_of_an_earlier_row_gets_one_message(firm_a):
    with translation.override("en"):
        outcome = run(firm_a.firm, [client_row(1), client_row(1), client_row(2)])

    assert codes(outcome) == [(3, "company_number", "duplicate_in_file")]
    message = outcome.errors[0].message
    assert "row 2" in message
    assert "enterprise number" in message and "VAT number" in message
    assert "external reference" in message
    assert (outcome.created, outcome.refused) == (2, 1)


def test_a_row_repeating_two_earlier_rows_gets_one_message_naming_both(firm_a):
    rows = [
        client_row(1),
        client_row(2),
        client_row(1, external_reference="K-00002"),  # row 1's numbers, row 2's reference
    ]
    with translation.override("en"):
        outcome = run(firm_a.firm, rows)

    assert codes(outcome) == [(4, "company_number", "duplicate_in_file")]
    message = outcome.errors[0].message
    assert "row 2" in message and "row 3" in message


def test_a_row_of_an_existing_client_gets_one_message_naming_it(firm_a):
    number = enterprise_number(1)
    make_client(
        firm_a.manager, "Bakkerij Bestaat BV", company_number=number, vat_number=f"BE{number}"
    )
    with translation.override("en"):
        outcome = run(firm_a.firm, [client_row(1, external_reference="")])

    assert codes(outcome) == [(2, "company_number", "already_exists")]
    message = outcome.errors[0].message
    assert "Bakkerij Bestaat BV" in message
    assert "enterprise number" in message and "VAT number" in message


def test_an_existing_client_twice_in_the_file_gets_one_message_per_row(firm_a):
    number = enterprise_number(1)
    make_client(
        firm_a.manager, "Bakkerij Bestaat BV", company_number=number, vat_number=f"BE{number}"
    )
    with translation.override("en"):
        outcome = run(firm_a.firm, [client_row(1), client_row(1)])

    assert codes(outcome) == [
        (2, "company_number", "already_exists"),
        (3, "company_number", "already_exists"),
    ]
    assert all("Bakkerij Bestaat BV" in issue.message for issue in outcome.errors)
    assert "Row 2 of this file" in outcome.errors[1].message  # and that it repeats row 2


def test_a_duplicate_row_keeps_its_other_errors_beside_its_one_duplicate_message(firm_a):
    outcome = run(firm_a.firm, [client_row(1), client_row(1, iban="BE00 0000")])

    assert sorted(codes(outcome)) == [
        (3, "company_number", "duplicate_in_file"),
        (3, "iban", "invalid_iban"),
    ]


def test_the_preview_shows_one_message_per_duplicate_row(firm_a, web):
    """The page: a file with a row of an existing client and a row repeating another row."""
    number = enterprise_number(1)
    make_client(
        firm_a.manager, "Bakkerij Bestaat BV", company_number=number, vat_number=f"BE{number}"
    )
    browser = web(firm_a.admin)
    content = xlsx_of([client_row(1), client_row(2), client_row(2), client_row(3)])
    browser.post(
        reverse("imports:upload", args=["alfa"]), {"file": upload(content), "mode": "create"}
    )
    job = ImportJob.objects.filter(firm=firm_a.firm).latest("id")
    assert (job.created, job.refused) == (2, 2)
    assert ImportIssue.objects.filter(job=job, is_error=True).count() == 2

    page = browser.get(reverse("imports:preview", args=["alfa", job.pk])).content.decode()
    assert page.count('data-testid="error-row"') == 2
    assert page.count('data-testid="error-row" data-row="2"') == 1
    assert page.count('data-testid="error-row" data-row="4"') == 1
    assert "Bakkerij Bestaat BV is al een klant van je" in page  # in the user's Dutch
    assert "Staat al in dit bestand: rij 3 (zelfde ondernemingsnummer" in page
