"""Exporteren: the firm's clients in the template's columns; export, edit, import again."""

import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Client, ClientHistory
from partnerspace.configuration.services import template_create, template_delete
from partnerspace.firms.models import AuditEvent
from partnerspace.identifiers.choices import COMMON_LOCALES
from partnerspace.imports.columns import headers_for
from partnerspace.imports.downloads import export_download
from partnerspace.imports.export import export_workbook
from partnerspace.imports.pipeline import Importer
from partnerspace.imports.reading import read_table
from tests.factories import make_client

from .rows import KEYS, enterprise_number

pytestmark = pytest.mark.django_db

COL = {key: index for index, key in enumerate(KEYS)}


def rows_of(content: bytes) -> list[list[str]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return workbook.get_sheet_by_index(0).to_python()


def worksheets(content: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {
        name: archive.read(name).decode()
        for name in archive.namelist()
        if name.startswith("xl/worksheets/sheet")
    }


def contact(n: int, **fields) -> dict:
    return {
        "first_name": "An",
        "last_name": f"Peeters{n}",
        "email": f"an{n}@klant{n}.be",
        "locale": "nl-BE",
        **fields,
    }


@pytest.fixture
def standaard(firm_a):
    return template_create(membership=firm_a.admin, name="Standaard", is_default=True)


@pytest.fixture
def portfolio(firm_a, standaard):
    """Three clients with everything the template's columns hold, one without numbers."""
    return [
        make_client(
            firm_a.manager,
            "Bakkerij Peeters BV",
            company_number=enterprise_number(1),
            vat_number=f"BE{enterprise_number(1)}",
            external_reference="K-001",
            iban="BE71096123456769",
            street="Kerkstraat",
            house_number="12A",
            box="3",
            postal_code="9000",
            city="Gent",
            peppol_mandate=True,
            template=standaard,
            contact=contact(1),
        ),
        make_client(
            firm_a.manager,
            "Atelier Dubois SRL",
            company_number=enterprise_number(2),
            postal_code="1000",
            city="Brussel",
            contact=contact(2, locale="fr-BE", first_name="Marie"),
        ),
        make_client(
            firm_a.manager,
            "Consultancy Claes",
            external_reference="K-003",
            city="Leuven",
            contact=contact(3),
        ),
    ]


def test_the_export_has_the_templates_headers_and_one_row_per_client(firm_a, portfolio):
    found = rows_of(export_workbook(firm=firm_a.firm, language="nl"))

    assert found[0] == headers_for("nl")
    assert [row[COL["legal_name"]] for row in found[1:]] == [
        "Atelier Dubois SRL",
        "Bakkerij Peeters BV",
        "Consultancy Claes",
    ]
    peeters = found[2]
    assert dict(zip(KEYS, peeters, strict=True)) == {
        "legal_name": "Bakkerij Peeters BV",
        "country": "BE",
        "contact_email": "an1@klant1.be",
        "contact_first_name": "An",
        "contact_last_name": "Peeters1",
        "contact_locale": "nl-BE",
        "company_number": enterprise_number(1),
        "vat_number": f"BE{enterprise_number(1)}",
        "external_reference": "K-001",
        "iban": "BE71096123456769",
        "street": "Kerkstraat",
        "house_number": "12A",
        "box": "3",
        "postal_code": "9000",
        "city": "Gent",
        "peppol_mandate": "Ja",
        "template": "Standaard",
    }
    assert found[1][COL["peppol_mandate"]] == "Nee"
    assert found[1][COL["contact_first_name"]] == "Marie"


@pytest.mark.parametrize(("language", "yes", "no"), [("fr", "Oui", "Non"), ("en", "Yes", "No")])
def test_headers_and_the_mandate_follow_the_language(firm_a, portfolio, language, yes, no):
    found = rows_of(export_workbook(firm=firm_a.firm, language=language))
    assert found[0] == headers_for(language)
    assert [row[COL["peppol_mandate"]] for row in found[1:]] == [no, yes, no]


def test_the_primary_contact_fills_the_contact_columns(firm_a):
    from partnerspace.clients.services import contact_add

    client = make_client(firm_a.manager, "Klant BV", contact=contact(1))
    contact_add(
        membership=firm_a.manager,
        client=client,
        data={**contact(2, first_name="Zoë"), "is_primary": True},
    )
    found = rows_of(export_workbook(firm=firm_a.firm, language="nl"))

    assert len(found) == 2
    assert found[1][COL["contact_email"]] == "an2@klant2.be"


def test_only_the_firms_clients_are_exported_also_from_a_wider_queryset(firm_a, firm_b):
    make_client(firm_a.manager, "Van Alfa BV")
    make_client(firm_b.manager, "Van Bêta SRL")

    everyone = export_workbook(firm=firm_a.firm, language="nl", clients=Client.objects.all())
    chosen = export_workbook(
        firm=firm_a.firm, language="nl", clients=Client.objects.filter(legal_name="Niemand")
    )

    assert [row[0] for row in rows_of(everyone)[1:]] == ["Van Alfa BV"]
    assert rows_of(chosen) == [headers_for("nl")]


def test_the_export_reads_the_clients_in_a_fixed_number_of_queries(
    firm_a, standaard, django_assert_max_num_queries
):
    for n in range(30):
        make_client(firm_a.manager, f"Klant {n}", template=standaard, contact=contact(n))
    with django_assert_max_num_queries(3):
        content = export_workbook(firm=firm_a.firm, language="nl")
    assert len(rows_of(content)) == 31


def test_the_export_keeps_the_templates_dropdowns_and_their_lists(firm_a, portfolio):
    content = export_workbook(firm=firm_a.firm, language="fr")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    lists = workbook.get_sheet_by_index(1).to_python()
    main = worksheets(content)["xl/worksheets/sheet1.xml"]

    assert 'state="hidden"' in zipfile.ZipFile(io.BytesIO(content)).read("xl/workbook.xml").decode()
    assert [row[0] for row in lists][:2] == ["BE", "NL"]
    assert [row[2] for row in lists if row[2]] == list(COMMON_LOCALES)
    assert [row[4] for row in lists if row[4]] == ["Oui", "Non"]
    assert [row[5] for row in lists if row[5]] == ["Standaard"]
    assert main.count("<dataValidation ") == 4
    assert re.search(r'<pane ySplit="1" topLeftCell="A2" [^>]*state="frozen"', main)


def test_a_deleted_templates_name_is_not_exported(firm_a, standaard):
    make_client(firm_a.manager, "Klant BV", template=standaard)
    template_delete(membership=firm_a.admin, template=standaard)

    found = rows_of(export_workbook(firm=firm_a.firm, language="nl"))
    assert found[1][COL["template"]] == ""


# --------------------------------------------------------------------------------------
# Formula injection
# --------------------------------------------------------------------------------------

DANGEROUS = ["=1+1", "+32 9 123 45 67", "-x", "@SUM(A1)", '=HYPERLINK("http://evil.example","x")']


def test_text_that_looks_like_a_formula_is_written_as_text(firm_a):
    for n, text in enumerate(DANGEROUS):
        make_client(firm_a.manager, text, street=text, contact=contact(n, first_name=text))
    content = export_workbook(firm=firm_a.firm, language="nl")
    found = rows_of(content)[1:]

    assert sorted(row[COL["legal_name"]] for row in found) == sorted(DANGEROUS)
    for row in found:
        assert row[COL["street"]] == row[COL["legal_name"]]
        assert row[COL["contact_first_name"]] == row[COL["legal_name"]]
    for name, xml in worksheets(content).items():
        assert "<f>" not in xml and "<f " not in xml, name
    # and as text cells, not numbers or formulas with a cached value
    main = worksheets(content)["xl/worksheets/sheet1.xml"]
    assert re.search(r'<c r="A2"[^>]* t="inlineStr"', main)


ODD_TEXT = [
    "Smith & Zonen <BV>",
    "Tab\there",
    "Bel\x07 BV",
    "_x0041_ is no escape",
    "Ünïcödé – “quoted” 🍞",
]


def test_any_text_is_written_escaped_and_reads_back_exactly(firm_a):
    for n, text in enumerate(ODD_TEXT):
        make_client(firm_a.manager, text, city=text, contact=contact(n))
    content = export_workbook(firm=firm_a.firm, language="nl")

    found = rows_of(content)[1:]
    assert sorted(row[COL["legal_name"]] for row in found) == sorted(ODD_TEXT)
    assert all(row[COL["city"]] == row[COL["legal_name"]] for row in found)
    for xml in worksheets(content).values():
        ElementTree.fromstring(xml)  # noqa: S314 (our own output): well-formed


def test_the_rows_are_text_cells_in_the_used_range(firm_a, portfolio):
    content = export_workbook(firm=firm_a.firm, language="nl")
    main = worksheets(content)["xl/worksheets/sheet1.xml"]
    styles = zipfile.ZipFile(io.BytesIO(content)).read("xl/styles.xml").decode()
    xfs = re.findall(r"<xf ([^>]*)", re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)[1])

    assert '<dimension ref="A1:Q4"/>' in main
    cell_styles = set(re.findall(r'<c r="[A-Q][2-4]" s="(\d+)"', main))
    assert len(cell_styles) == 1
    assert 'numFmtId="49"' in xfs[int(cell_styles.pop())]
    again = read_table(content, filename="e.xlsx")
    assert (again.row_count, again.header_row) == (3, 1)


# --------------------------------------------------------------------------------------
# Export, edit, import again
# --------------------------------------------------------------------------------------


def edit(content: bytes, old: str, new: str) -> bytes:
    """``content`` with the one cell holding ``old`` changed to ``new``, as a person would."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert data.count(f">{old}<".encode()) == 1
                data = data.replace(f">{old}<".encode(), f">{new}<".encode())
            target.writestr(info, data)
    return out.getvalue()


def snapshot(firm) -> dict:
    return {
        client.pk: (
            {f.name: getattr(client, f.name) for f in Client._meta.concrete_fields},
            sorted(client.contacts.values_list("email", "first_name", "last_name", "locale")),
        )
        for client in Client.objects.filter(firm=firm)
    }


def test_an_edited_export_imported_in_update_mode_changes_that_value_and_nothing_else(
    firm_a, portfolio
):
    before = snapshot(firm_a.firm)
    history = ClientHistory.objects.count()
    content = edit(export_workbook(firm=firm_a.firm, language="nl"), "Brussel", "Elsene")

    outcome = Importer(firm=firm_a.firm, update=True).run(read_table(content, filename="e.xlsx"))

    assert outcome.errors == []
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 2)
    after = snapshot(firm_a.firm)
    dubois = portfolio[1].pk
    changed_fields = {
        name for name, value in after[dubois][0].items() if before[dubois][0][name] != value
    }
    assert changed_fields == {"city", "search_text", "updated_at"}
    assert after[dubois][0]["city"] == "Elsene"
    assert after[dubois][1] == before[dubois][1]
    for pk in before:
        if pk != dubois:
            assert after[pk] == before[pk]
    assert ClientHistory.objects.count() == history + 1


def test_an_unedited_export_imports_as_unchanged_in_every_language(firm_a, portfolio):
    for language in ("nl", "fr", "en"):
        content = export_workbook(firm=firm_a.firm, language=language)
        outcome = Importer(firm=firm_a.firm, update=True).run(
            read_table(content, filename="e.xlsx")
        )
        assert (outcome.errors, outcome.unchanged, outcome.updated) == ([], 3, 0), language


def test_an_export_imported_into_another_firm_creates_the_same_clients(firm_a, firm_b, portfolio):
    template_create(membership=firm_b.admin, name="Standaard")
    content = export_workbook(firm=firm_a.firm, language="nl")

    outcome = Importer(firm=firm_b.firm).run(read_table(content, filename="e.xlsx"))

    assert (outcome.created, outcome.errors) == (3, [])
    assert set(Client.objects.filter(firm=firm_b.firm).values_list("legal_name", flat=True)) == {
        client.legal_name for client in portfolio
    }


# --------------------------------------------------------------------------------------
# The download
# --------------------------------------------------------------------------------------


def _get(membership):
    request = RequestFactory().get("/")
    request.user = membership.user
    request.LANGUAGE_CODE = "en"
    return export_download(request, firm_slug=membership.firm.slug)


def test_the_export_downloads_for_the_firms_importers_and_is_audited(firm_a, portfolio):
    response = _get(firm_a.manager)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert rows_of(response.content)[0] == headers_for("en")
    event = AuditEvent.objects.get(firm=firm_a.firm, action="clients.exported")
    assert (event.actor, event.data) == (firm_a.manager.user, {"clients": 3})


def test_an_accountant_may_not_export(firm_a, portfolio):
    with pytest.raises(PermissionDenied):
        _get(firm_a.accountant)
