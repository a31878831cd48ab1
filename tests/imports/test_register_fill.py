"""The register beside an import: blank name and address cells filled from the KBO copy,
a name the register does not know and a number it does not hold as warnings; one look-up
per batch; nothing at all without a loaded register."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerspace.clients.models import Client
from partnerspace.imports.models import ImportMode
from partnerspace.imports.pipeline import Importer
from tests.register.conftest import DUPONT, LUX, PEETERS, full_register

from .rows import client_row, codes, enterprise_number, run, sheet_of, xlsx_of

pytestmark = pytest.mark.django_db

BLANK_ADDRESS = {"street": "", "house_number": "", "box": "", "postal_code": "", "city": ""}


@pytest.fixture
def loaded(tmp_path):
    with full_register(tmp_path):
        yield


def kbo_row(n, number, **cells):
    return client_row(n, company_number=number, vat_number=f"BE{number}", **cells)


def warnings_of(outcome):
    return {(w.row, w.warning.field, w.warning.code): w.warning for w in outcome.warnings}


def test_blank_name_and_address_are_filled_from_the_register_each_with_a_warning(firm_a, loaded):
    outcome = run(firm_a.firm, [kbo_row(1, PEETERS, legal_name="", country="", **BLANK_ADDRESS)])

    assert codes(outcome) == []
    client = Client.objects.get(firm=firm_a.firm, company_number=PEETERS)
    assert client.legal_name == "Bakkerij Peeters"
    assert (client.street, client.house_number, client.box) == ("Bondgenotenlaan", "12", "3")
    assert (client.postal_code, client.city, client.country) == ("3000", "Leuven", "BE")
    filled = {field for (_r, field, code) in warnings_of(outcome) if code == "filled_from_register"}
    assert filled == {
        "legal_name",
        "street",
        "house_number",
        "box",
        "postal_code",
        "city",
        "country",
    }


def test_a_row_without_a_name_is_refused_when_the_register_does_not_know_its_number(firm_a, loaded):
    outcome = run(firm_a.firm, [client_row(1, legal_name="")])

    assert (2, "legal_name", "required") in codes(outcome)
    assert outcome.refused == 1


def test_a_row_with_part_of_an_address_keeps_it_and_gets_nothing_from_the_register(firm_a, loaded):
    outcome = run(firm_a.firm, [kbo_row(1, PEETERS, street="", house_number="")])

    client = Client.objects.get(firm=firm_a.firm, company_number=PEETERS)
    assert (client.street, client.postal_code, client.city) == ("", "9000", "Gent")
    assert not any(code == "filled_from_register" for *_x, code in warnings_of(outcome))


def test_a_foreign_seat_is_not_written_into_a_belgian_row(firm_a, loaded):
    outcome = run(firm_a.firm, [kbo_row(1, LUX, legal_name="", **BLANK_ADDRESS)])

    client = Client.objects.get(firm=firm_a.firm, company_number=LUX)
    assert client.legal_name == "Société Générale Luxembourgeoise"
    assert client.street == ""
    assert {f for (_r, f, c) in warnings_of(outcome) if c == "filled_from_register"} == {
        "legal_name"
    }


@pytest.mark.parametrize(
    "name", ["Bakkerij Peeters", "BAKKERIJ PEETERS BV", "bakkerij peeters", "BP"]
)
def test_a_name_the_register_knows_gives_no_warning(firm_a, loaded, name):
    outcome = run(firm_a.firm, [kbo_row(1, PEETERS, legal_name=name)])

    assert codes(outcome) == []
    assert not any(code == "register_name_differs" for *_x, code in warnings_of(outcome))


def test_a_name_the_register_does_not_know_is_imported_with_the_registers_name(firm_a, loaded):
    outcome = run(firm_a.firm, [kbo_row(1, DUPONT, legal_name="Bakkerij Janssens")])

    assert Client.objects.get(firm=firm_a.firm).legal_name == "Bakkerij Janssens"
    warning = warnings_of(outcome)[(2, "legal_name", "register_name_differs")]
    assert warning.normalized == "Boulangerie Dupont"
    assert "Boulangerie Dupont" in warning.message


def test_a_valid_number_not_in_the_register_gets_a_warning(firm_a, loaded):
    outcome = run(firm_a.firm, [client_row(1)])

    assert codes(outcome) == []
    warning = warnings_of(outcome)[(2, "company_number", "not_in_register")]
    assert warning.value == enterprise_number(1)
    assert "04" in warning.message and "2025" in warning.message


def test_errors_stay_errors_and_carry_no_register_warning(firm_a, loaded):
    outcome = run(firm_a.firm, [kbo_row(1, PEETERS, contact_email="geen adres")])

    assert [(r, f) for r, f, _c in codes(outcome)] == [(2, "contact_email")]
    assert outcome.warnings == []


def test_an_update_keeps_the_clients_own_values_where_the_file_is_blank(firm_a, loaded):
    run(firm_a.firm, [kbo_row(1, PEETERS, legal_name="Eigen Naam BV")])

    outcome = run(firm_a.firm, [kbo_row(1, PEETERS, legal_name="", **BLANK_ADDRESS)], update=True)

    assert codes(outcome) == []
    client = Client.objects.get(firm=firm_a.firm, company_number=PEETERS)
    assert (client.legal_name, client.street) == ("Eigen Naam BV", "Kerkstraat")
    assert not any(code == "filled_from_register" for *_x, code in warnings_of(outcome))


def test_without_a_register_nothing_changes(firm_a):
    outcome = run(firm_a.firm, [client_row(1), kbo_row(2, PEETERS, legal_name="")])

    assert not any(code.endswith("register") for *_x, code in warnings_of(outcome))
    assert (3, "legal_name", "required") in codes(outcome)


def test_the_register_is_read_once_per_batch_not_per_row(firm_a, loaded):
    rows = [kbo_row(1, PEETERS, legal_name="")] + [client_row(n) for n in range(2, 40)]
    sheet = sheet_of(rows)

    with CaptureQueriesContext(connection) as queries:
        Importer(firm=firm_a.firm, dry_run=True, batch_size=20).run(sheet)

    register_reads = [q for q in queries if "register_enterprise e" in q["sql"]]
    assert len(register_reads) == 2  # two batches


@pytest.mark.parametrize(
    ("language", "text"),
    [("nl", "In de KBO heet dit bedrijf Boulangerie Dupont."), ("fr", "La BCE connaît")],
)
def test_the_preview_shows_the_registers_warnings_in_the_users_language(
    firm_a, web, loaded, settings, tmp_path, language, text
):
    settings.MEDIA_ROOT = tmp_path
    firm_a.admin.user.language = language
    firm_a.admin.user.save(update_fields=["language"])
    browser = web(firm_a.admin)
    content = xlsx_of([kbo_row(1, DUPONT, legal_name="Bakkerij Janssens")], language)

    response = browser.post(
        reverse("imports:upload", args=[firm_a.firm.slug]),
        {"file": SimpleUploadedFile("klanten.xlsx", content), "mode": ImportMode.CREATE},
    )

    page = browser.get(response.url).content.decode()
    assert 'data-testid="warning-row"' in page
    assert html.escape(text) in page or text in page
