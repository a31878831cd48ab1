"""partnerspace import_clients --map "HEADER=FIELD": a file whose headers are not the template's,
from the command line."""

import json

import pytest
from django.core.management import CommandError

from partnerspace.clients.models import Client
from partnerspace.imports.models import ImportJob, ImportStatus
from tests.imports.exports import DUTCH, EXACT_FIELDS, FIELDS, dutch_xlsx, exact_csv
from tests.imports.test_cli import import_clients
from tests.imports.test_mapping_pages import MAPPED, relaties_and_archief

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def maps(mapping: dict[str, str]) -> list[str]:
    return [part for header, field in mapping.items() for part in ("--map", f"{header}={field}")]


def test_a_file_with_its_own_headers_is_imported_by_its_map_options(firm_a, tmp_path):
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(dutch_xlsx(3))

    code, out, _err = import_clients(
        path, "--firm", firm_a.firm.slug, "--json", *maps(dict(zip(DUTCH, FIELDS, strict=True)))
    )

    assert code == 0, out
    summary = json.loads(out)
    assert (summary["rows"], summary["created"], summary["refused"]) == (3, 3, 0)
    assert {"address_split", "name_split"} <= {w["code"] for w in summary["warnings"]}
    client = Client.objects.get(external_reference="K0002")
    assert (client.street, client.house_number, client.box) == ("Kerkstraat", "2", "3")
    job = ImportJob.objects.get()
    assert (job.source, job.mapping["adres"]) == ("cli", "address")


def test_the_map_options_need_name_only_the_headers_the_template_does_not_know(firm_a, tmp_path):
    path = tmp_path / "relaties.csv"
    path.write_bytes(exact_csv(2))
    odd = {"Relatiecode": "external_reference", "Naam": "legal_name", "Plaats": "city"}
    odd |= {"Adresregel 1": "address", "Contactpersoon": "contact_name", "Telefoonnummer": ""}
    odd |= {"E-mailadres": "contact_email", "Btw-nummer": "vat_number", "Taal": "contact_locale"}
    assert set(odd) | {"Postcode", "Land", "Website"} == set(EXACT_FIELDS)

    code, out, _err = import_clients(path, "--firm", firm_a.firm.slug, "--dry-run", *maps(odd))

    assert code == 0, out
    assert not Client.objects.exists()
    assert ImportJob.objects.get().status == ImportStatus.PREVIEWED


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ("Naam=company", "company"),
        ("Naamm=legal_name", "Naamm"),
        ("Naam", "--map"),
    ],
)
def test_a_wrong_map_option_is_refused_before_anything_is_read(firm_a, tmp_path, option, named):
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(dutch_xlsx())
    full = maps(dict(zip(DUTCH, FIELDS, strict=True)))

    with pytest.raises(CommandError) as refused:
        import_clients(path, "--firm", firm_a.firm.slug, *full, "--map", option)

    assert named in str(refused.value)
    assert refused.value.returncode == 2
    assert not Client.objects.exists()


def test_without_map_options_the_refusal_suggests_them(firm_a, tmp_path):
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(dutch_xlsx())

    code, _out, err = import_clients(path, "--firm", firm_a.firm.slug, "--language", "en")

    assert code == 2
    assert '--map "Adres=address"' in err
    assert '--map "Contactpersoon=contact_name"' in err


def test_the_map_options_read_the_sheet_whose_columns_they_name(firm_a, tmp_path):
    path = tmp_path / "relaties.xlsx"
    path.write_bytes(relaties_and_archief())

    code, out, _err = import_clients(path, "--firm", firm_a.firm.slug, "--json", *maps(MAPPED))

    assert code == 0, out
    assert json.loads(out)["created"] == 1
    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Alpha BV"]
