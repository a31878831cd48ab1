"""The mapping step of the import pages: a file without the template's headers is matched
column by column before its preview; the firm's matching is remembered, for that firm only."""

import re

import pytest
from django.utils import translation

from partnerspace.clients.models import Client
from partnerspace.imports import services
from partnerspace.imports.mapping import RAW_HEADERS, signature
from partnerspace.imports.models import ColumnMapping, ImportIssue, ImportJob, ImportStatus
from partnerspace.imports.retention import upload_forget
from tests.imports.builders import xlsx
from tests.imports.exports import (
    DUTCH,
    EXACT,
    EXACT_FIELDS,
    FIELDS,
    dutch_row,
    dutch_xlsx,
    exact_csv,
    exact_row,
)
from tests.imports.test_steps import steps
from tests.imports.test_views import last_job, post_file, row, url, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def selected(page: str) -> dict[str, str]:
    """{header: the value of its select's selected option} of a mapping page."""
    found = {}
    for header, body in re.findall(
        r'<tr data-testid="mapping-row" data-header="([^"]*)">(.*?)</tr>', page, re.S
    ):
        choice = re.search(r'<option value="([^"]*)" selected>', body)
        found[header.replace("&#x27;", "'")] = choice.group(1) if choice else None
    return found


def marked_twice(page: str) -> set[str]:
    """The headers whose select a mapping page marks as given a field another has."""
    return {
        header.replace("&#x27;", "'")
        for header, body in re.findall(
            r'<tr data-testid="mapping-row" data-header="([^"]*)">(.*?)</tr>', page, re.S
        )
        if 'aria-invalid="true"' in body
    }


def confirm(browser, people, job, mapping: dict[str, str], headers: list[str]):
    data = {f"column-{i}": mapping.get(header, "") for i, header in enumerate(headers)}
    return browser.post(url("mapping", people, job.pk), data)


def test_a_file_with_its_own_headers_goes_to_the_mapping_step_with_suggestions(firm_a, web):
    browser = web(firm_a.admin)
    response = post_file(browser, firm_a, dutch_xlsx())
    job = last_job(firm_a)
    assert job.status == ImportStatus.MAPPING
    assert response.url == url("mapping", firm_a, job.pk)
    with translation.override("en"):
        page = browser.get(response.url, headers={"Accept-Language": "en"}).text
    assert selected(page) == dict(zip(DUTCH, FIELDS, strict=True))
    assert "Kerkstraat 1 bus 3" in page  # the first values of each column
    assert 'data-testid="mapping-missing"' not in page
    assert not Client.objects.exists()


def test_the_step_indicator_shows_the_columns_step(firm_a, web):
    firm_a.admin.user.language = "en"
    firm_a.admin.user.save(update_fields=["language"])
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx())
    job = last_job(firm_a)
    with translation.override("en"):
        page = browser.get(url("mapping", firm_a, job.pk)).text
    assert steps(page) == [
        ("Upload", "done"),
        ("Columns", "current"),
        ("Check", "todo"),
        ("Import", "todo"),
    ]


def test_confirming_the_mapping_checks_the_file_then_imports_it_with_split_warnings(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx(2))
    job = last_job(firm_a)

    response = confirm(browser, firm_a, job, dict(zip(DUTCH, FIELDS, strict=True)), DUTCH)

    assert response.status_code == 302
    assert response.url == url("preview", firm_a, job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert (job.created, job.refused) == (2, 0), list(ImportIssue.objects.filter(job=job))
    warnings = set(ImportIssue.objects.filter(job=job, is_error=False).values_list("row", "code"))
    assert {(2, "address_split"), (2, "name_split"), (3, "address_split")} <= warnings
    preview = browser.get(response.url).text
    assert 'data-testid="change-mapping"' in preview
    assert "Kerkstraat 1 bus 3" in preview  # the warning says what was split

    browser.post(url("run", firm_a, job.pk))
    client = Client.objects.get(external_reference="K0001")
    assert (client.street, client.house_number, client.box) == ("Kerkstraat", "1", "3")
    assert client.country == "BE"
    contact = client.contacts.get()
    assert (contact.first_name, contact.last_name, contact.locale) == ("An", "Peeters1", "nl-BE")


def test_the_required_fields_no_column_is_matched_to_are_named_and_refused(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx())
    job = last_job(firm_a)
    mapping = dict(zip(DUTCH, FIELDS, strict=True)) | {"Contactpersoon": ""}

    with translation.override("en"):
        response = confirm(browser, firm_a, job, mapping, DUTCH)

    assert response.status_code == 422
    page = response.text
    assert 'data-testid="mapping-missing"' in page
    assert "Voornaam contactpersoon" in page and "Achternaam contactpersoon" in page
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPING
    assert job.mapping is None
    assert not ColumnMapping.objects.exists()


def test_a_field_given_to_two_columns_is_refused_beside_the_column(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx())
    job = last_job(firm_a)
    mapping = dict(zip(DUTCH, FIELDS, strict=True)) | {"Code": "legal_name"}

    response = confirm(browser, firm_a, job, mapping, DUTCH)

    assert response.status_code == 422
    assert marked_twice(response.text) == {"Naam", "Code"}
    assert 'data-testid="mapping-errors"' in response.text
    assert last_job(firm_a).status == ImportStatus.MAPPING

    # A whole address holds the street: a street column beside it is marked with it.
    mapping = dict(zip(DUTCH, FIELDS, strict=True)) | {"Gemeente": "street"}
    response = confirm(browser, firm_a, job, mapping, DUTCH)
    assert marked_twice(response.text) == {"Adres", "Gemeente"}


def test_the_confirmed_mapping_is_remembered_and_suggested_for_the_next_file(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, exact_csv(), name="relaties.csv")
    first = last_job(firm_a)
    mapping = EXACT_FIELDS | {"Relatiecode": ""}  # this firm keeps its own references
    confirm(browser, firm_a, first, mapping, EXACT)
    remembered = ColumnMapping.objects.get(firm=firm_a.firm)
    assert remembered.signature == signature(EXACT)

    post_file(browser, firm_a, exact_csv(4), name="relaties-december.csv")
    second = last_job(firm_a)
    page = browser.get(url("mapping", firm_a, second.pk)).text
    assert selected(page) == mapping
    assert 'data-testid="mapping-remembered"' in page

    confirm(browser, firm_a, second, EXACT_FIELDS, EXACT)  # changed again: kept as changed
    assert ColumnMapping.objects.filter(firm=firm_a.firm).count() == 1
    assert ColumnMapping.objects.get(firm=firm_a.firm).mapping["relatiecode"] == (
        "external_reference"
    )


def test_another_firms_remembered_mapping_is_never_suggested(firm_a, firm_b, web):
    theirs = web(firm_b.admin)
    post_file(theirs, firm_b, exact_csv(), name="relaties.csv")
    confirm(theirs, firm_b, last_job(firm_b), EXACT_FIELDS | {"Relatiecode": ""}, EXACT)
    assert ColumnMapping.objects.filter(firm=firm_b.firm).exists()

    ours = web(firm_a.admin)
    post_file(ours, firm_a, exact_csv(), name="relaties.csv")
    page = ours.get(url("mapping", firm_a, last_job(firm_a).pk)).text
    assert selected(page)["Relatiecode"] == "external_reference"  # the names', not firm B's
    assert 'data-testid="mapping-remembered"' not in page


def test_another_firms_import_cannot_be_mapped(firm_a, firm_b, web):
    post_file(web(firm_a.admin), firm_a, dutch_xlsx())
    job = last_job(firm_a)
    theirs = web(firm_b.admin)
    mapping_url = url("mapping", firm_b, job.pk)  # firm B's address, firm A's import
    assert theirs.get(mapping_url).status_code == 404
    response = theirs.post(mapping_url, {"column-0": "legal_name"})
    assert response.status_code == 404
    job.refresh_from_db()
    assert (job.status, job.mapping) == (ImportStatus.MAPPING, None)


def test_an_accountant_may_not_map_an_import(firm_a, web):
    post_file(web(firm_a.admin), firm_a, dutch_xlsx())
    job = last_job(firm_a)
    accountant = web(firm_a.accountant)
    assert accountant.get(url("mapping", firm_a, job.pk)).status_code == 403
    data = {f"column-{i}": field for i, field in enumerate(FIELDS)}
    assert accountant.post(url("mapping", firm_a, job.pk), data).status_code == 403
    assert last_job(firm_a).status == ImportStatus.MAPPING


def test_a_client_manager_may_map_an_import(firm_a, web):
    browser = web(firm_a.manager)
    post_file(browser, firm_a, dutch_xlsx())
    job = last_job(firm_a)
    confirm(browser, firm_a, job, dict(zip(DUTCH, FIELDS, strict=True)), DUTCH)
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_a_file_with_the_templates_headers_has_no_mapping_step(firm_a, web):
    browser = web(firm_a.admin)
    response = post_file(browser, firm_a, workbook([row(1)]))
    job = last_job(firm_a)
    assert job.status == ImportStatus.PREVIEWED
    assert response.url == url("preview", firm_a, job.pk)
    assert job.mapping is None


def test_the_preview_of_a_mapped_file_can_go_back_to_change_the_mapping(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx())
    job = last_job(firm_a)
    confirm(browser, firm_a, job, dict(zip(DUTCH, FIELDS, strict=True)), DUTCH)
    page = browser.get(url("mapping", firm_a, job.pk)).text
    assert selected(page) == dict(zip(DUTCH, FIELDS, strict=True))

    confirm(browser, firm_a, job, dict(zip(DUTCH, FIELDS, strict=True)) | {"Code": ""}, DUTCH)
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert job.mapping["code"] == ""

    browser.post(url("run", firm_a, job.pk))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    # an import that ran can no longer change its columns
    assert browser.get(url("mapping", firm_a, job.pk)).url == url("job", firm_a, job.pk)


def test_the_mapping_step_reads_the_upload_once_not_at_every_visit(firm_a, web, monkeypatch):
    """A workbook of a hundred thousand rows takes seconds to open, however few rows the
    step shows: the columns read once are kept with the import."""
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx(2))
    job = last_job(firm_a)
    reads = []
    read = services.read_table_isolated

    def counted(*args, **kwargs):
        reads.append(kwargs.get("headers"))
        return read(*args, **kwargs)

    monkeypatch.setattr(services, "read_table_isolated", counted)
    for _visit in range(2):
        page = browser.get(url("mapping", firm_a, job.pk)).text
        assert selected(page) == dict(zip(DUTCH, FIELDS, strict=True))
        assert "Kerkstraat 1 bus 3" in page
    response = confirm(browser, firm_a, job, dict(zip(DUTCH, FIELDS, strict=True)), DUTCH)

    assert response.url == url("preview", firm_a, job.pk)
    assert [headers for headers in reads if headers is RAW_HEADERS] == []


def test_an_upload_forgotten_forgets_the_first_values_kept_of_its_columns(
    firm_a, web, django_capture_on_commit_callbacks
):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx(2))
    job = last_job(firm_a)
    assert "Kerkstraat 1 bus 3" in str(ImportJob.objects.get(pk=job.pk).file_columns)

    with django_capture_on_commit_callbacks(execute=True):
        upload_forget(job)

    job.refresh_from_db()
    assert (job.file, job.file_columns) == ("", None)
    response = browser.get(url("mapping", firm_a, job.pk))
    assert response.status_code == 302  # the file is gone: nothing left to match


def test_columns_read_while_the_upload_is_forgotten_are_not_kept(firm_a, web, monkeypatch):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, dutch_xlsx(2))
    job = last_job(firm_a)
    ImportJob.objects.filter(pk=job.pk).update(file_columns=None)
    read = services.read_table_isolated

    def read_then_forgotten(*args, **kwargs):  # the retention sweep runs meanwhile
        sheet = read(*args, **kwargs)
        upload_forget(ImportJob.objects.get(pk=job.pk))
        return sheet

    monkeypatch.setattr(services, "read_table_isolated", read_then_forgotten)
    browser.get(url("mapping", firm_a, job.pk))

    job.refresh_from_db()
    assert (job.file, job.file_columns) == ("", None)


def test_each_sheet_chosen_shows_its_own_columns_to_match(firm_a, web):
    browser = web(firm_a.admin)
    two_sheets = xlsx(
        [DUTCH, dutch_row(1)],
        sheet_name="Klanten",
        sheets_before={"Relaties": [EXACT, exact_row(1)]},
    )
    post_file(browser, firm_a, two_sheets)
    job = last_job(firm_a)
    assert job.status == ImportStatus.MAPPING

    for sheet, headers in (("Relaties", EXACT), ("Klanten", DUTCH), ("Relaties", EXACT)):
        response = browser.post(url("sheet", firm_a, job.pk), {"sheet": sheet})
        assert response.url == url("mapping", firm_a, job.pk)
        page = browser.get(response.url).text
        assert list(selected(page)) == headers, sheet


# A workbook whose first sheet has the most headers of its own, and whose second has fewer,
# two of them the template's: the mapping step shows the first; the import must read it.
RELATIES = ["Naam", "E-mailadres", "Land", "Taal", "Contactpersoon", "Telefoon", "Omzet"]
ARCHIEF = ["Naam", "E-mailadres", "Land", "Taal", "Contactpersoon", "Postcode", "Gemeente"]
MAPPED = {
    "Naam": "legal_name",
    "E-mailadres": "contact_email",
    "Land": "country",
    "Taal": "contact_locale",
    "Contactpersoon": "contact_name",
}


def relaties_and_archief() -> bytes:
    return xlsx(
        [
            ARCHIEF,
            ["Oud Archief BV", "oud@archief.example", "BE", "nl", "Piet Oud", "9000", "Gent"],
        ],
        sheet_name="Archief",
        sheets_before={
            "Relaties": [
                [*RELATIES, "Notitie", "Fax"],
                ["Alpha BV", "an@alpha.example", "BE", "nl", "An Peeters", "1", "2", "n", "f"],
            ]
        },
    )


def test_the_sheet_whose_columns_were_matched_is_the_sheet_imported(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, relaties_and_archief())
    job = last_job(firm_a)
    page = browser.get(url("mapping", firm_a, job.pk)).text
    headers = list(selected(page))
    assert "Omzet" in headers and "Alpha BV" in page

    confirm(browser, firm_a, job, MAPPED, headers)
    job.refresh_from_db()
    assert (job.status, job.sheet, job.read_info["sheet"]) == (
        ImportStatus.PREVIEWED,
        "Relaties",
        "Relaties",
    )
    browser.post(url("run", firm_a, job.pk))
    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Alpha BV"]


def test_a_second_column_of_the_same_name_is_left_out_or_refused_by_name(firm_a, web):
    """ "Naam" and "NAAM" are one header to the import, which reads the first of them."""
    browser = web(firm_a.admin)
    headers = [*DUTCH, "NAAM"]
    post_file(browser, firm_a, xlsx([headers, [*dutch_row(1), "Peeters"]]))
    job = last_job(firm_a)
    mapping = dict(zip(DUTCH, FIELDS, strict=True))

    response = confirm(browser, firm_a, job, mapping | {"NAAM": "iban"}, headers)
    assert response.status_code == 422
    assert "alleen de eerste van de twee wordt gelezen" in response.text
    assert last_job(firm_a).status == ImportStatus.MAPPING

    response = confirm(browser, firm_a, job, mapping | {"NAAM": ""}, headers)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.rows, job.mapping["naam"]) == (ImportStatus.PREVIEWED, 1, "legal_name")
