"""/api/v1/imports with a column mapping: a file whose headers are not the template's answers
its columns and the suggested fields; sent again with `mapping`, it is read by it."""

import json

import pytest
from django.test.client import MULTIPART_CONTENT

from partnerspace.clients.models import Client
from partnerspace.imports.models import ColumnMapping, ImportJob, ImportStatus
from tests.imports.exports import (
    DUTCH,
    EXACT,
    EXACT_FIELDS,
    FIELDS,
    FRENCH,
    dutch_xlsx,
    exact_csv,
    french_csv,
)
from tests.imports.test_mapping_pages import MAPPED, relaties_and_archief
from tests.imports.test_views import upload, uploads_in_tmp  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def post(client, content: bytes, *, name="klanten.xlsx", mapping=None, dry_run=True):
    data = {"file": upload(content, name), "dry_run": str(dry_run).lower()}
    if mapping is not None:
        data["mapping"] = mapping if isinstance(mapping, str) else json.dumps(mapping)
    return client.post("/imports", data, content_type=MULTIPART_CONTENT)


def test_a_file_with_its_own_headers_answers_its_columns_and_the_suggested_fields(firm_a, api):
    response = post(api(firm_a.manager), dutch_xlsx())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "mapping"
    assert body["errors"] == []
    assert [column["header"] for column in body["columns"]] == DUTCH
    assert [column["suggested"] for column in body["columns"]] == FIELDS
    assert body["columns"][1]["samples"] == ["Kerkstraat 1 bus 3", "Kerkstraat 2 bus 3"]
    assert not Client.objects.exists()


def test_a_file_sent_with_its_mapping_is_checked_by_it(firm_a, api):
    mapping = dict(zip(FRENCH, FIELDS, strict=True))

    response = post(api(firm_a.manager), french_csv(3), name="clients.csv", mapping=mapping)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["created"], body["refused"]) == ("previewed", 3, 0)
    assert body["columns"] is None
    assert body["mapping"]["numerodetva"] == "vat_number"
    codes = {(w["row"], w["code"]) for w in body["warnings"]}
    assert {(2, "address_split"), (2, "name_split")} <= codes
    assert not Client.objects.exists()


def test_an_exact_export_is_imported_by_a_partial_mapping(firm_a, api):
    # the headers the template knows need not be named
    mapping = {
        "Relatiecode": "external_reference",
        "Naam": "legal_name",
        "Adresregel 1": "address",
        "Plaats": "city",
        "Contactpersoon": "contact_name",
        "Taal": "contact_locale",
        "E-mailadres": "contact_email",
        "Btw-nummer": "vat_number",
    }

    response = post(
        api(firm_a.manager), exact_csv(3), name="relaties.csv", mapping=mapping, dry_run=False
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["created"], body["refused"]) == ("done", 3, 0), body["errors"]
    client = Client.objects.get(external_reference="1002")
    assert (client.street, client.house_number, client.box) == ("Stationsstraat", "2", "3")
    assert client.city == "Antwerpen"
    contact = client.contacts.get()
    assert (contact.first_name, contact.last_name) == ("Jan", "Van den Broeck2")
    # remembered for the firm: every column, the phone and the website not imported
    remembered = ColumnMapping.objects.get(firm=firm_a.firm)
    assert remembered.mapping["telefoonnummer"] == "" and remembered.mapping["land"] == "country"


@pytest.mark.parametrize(
    ("mapping", "code", "named"),
    [
        ({"Naam": "company"}, "unknown_field", "company"),
        ({"Naamm": "legal_name"}, "unknown_header", "Naamm"),
        ({"Code": "legal_name"}, "field_mapped_twice", ""),
        ({"Contactpersoon": ""}, "required_unmapped", ""),
    ],
)
def test_a_wrong_mapping_is_refused_with_a_422_and_nothing_kept(firm_a, api, mapping, code, named):
    full = dict(zip(DUTCH, FIELDS, strict=True))
    # the problem's header is named first, so that the one refused is the second
    given = {**mapping, **{k: v for k, v in full.items() if k not in mapping}}

    response = post(api(firm_a.manager), dutch_xlsx(), mapping=given)

    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert code in {error["code"] for error in errors}, errors
    assert all(named in error["message"] for error in errors if error["code"] == code)
    assert all(error["field"] == "mapping" for error in errors)
    assert not ImportJob.objects.exists()
    assert not ColumnMapping.objects.exists()


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"Naam": 3}', "[" * 100_000])
def test_a_mapping_that_is_no_json_object_of_texts_is_refused(firm_a, api, text):
    response = post(api(firm_a.manager), dutch_xlsx(), mapping=text)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "invalid_mapping"
    assert not ImportJob.objects.exists()


def test_an_accountant_may_not_import_with_a_mapping(firm_a, api):
    mapping = dict(zip(DUTCH, FIELDS, strict=True))
    response = post(api(firm_a.accountant), dutch_xlsx(), mapping=mapping)
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_another_firms_remembered_mapping_is_never_suggested_through_the_api(firm_a, firm_b, api):
    theirs = EXACT_FIELDS | {"Relatiecode": "", "Telefoonnummer": ""}
    assert post(api(firm_b.admin), exact_csv(), name="r.csv", mapping=theirs).status_code == 201
    assert ColumnMapping.objects.filter(firm=firm_b.firm).exists()

    body = post(api(firm_a.admin), exact_csv(), name="r.csv").json()

    suggested = {column["header"]: column["suggested"] for column in body["columns"]}
    assert suggested["Relatiecode"] == "external_reference"
    assert suggested == EXACT_FIELDS
    assert [column["header"] for column in body["columns"]] == EXACT


def test_the_mapping_status_is_answered_again_by_get(firm_a, api):
    client = api(firm_a.manager)
    job_id = post(client, dutch_xlsx()).json()["id"]
    body = client.get(f"/imports/{job_id}").json()
    assert body["status"] == ImportStatus.MAPPING
    assert [column["suggested"] for column in body["columns"]] == FIELDS


def test_a_mapping_sent_again_is_read_on_the_sheet_whose_columns_were_answered(firm_a, api):
    client = api(firm_a.manager)
    first = post(client, relaties_and_archief()).json()
    assert (first["status"], first["sheet"]) == ("mapping", "Relaties")
    assert "Omzet" in [column["header"] for column in first["columns"]]

    body = post(client, relaties_and_archief(), mapping=MAPPED, dry_run=False).json()

    assert (body["status"], body["sheet"], body["created"]) == ("done", "Relaties", 1)
    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Alpha BV"]
