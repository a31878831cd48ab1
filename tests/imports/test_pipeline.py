"""The import's rules, through the Importer: every row code, warnings, update mode, duplicates
within the file, in the firm and between two writers, dry runs; and the file-level codes
through the services."""

import pytest
from django.utils import translation

from partnerspace.clients.models import Client, ClientAssignment, ClientHistory, Contact
from partnerspace.clients.services import contact_add
from partnerspace.configuration.models import ClientIntegration
from partnerspace.configuration.services import integration_install, template_create
from partnerspace.imports import reading, services
from partnerspace.imports.columns import COLUMNS, headers_for
from partnerspace.imports.models import ImportIssue, ImportStatus
from partnerspace.imports.pipeline import Importer
from tests.factories import make_client

from .builders import xlsx
from .rows import (
    KEYS,
    client_row,
    client_values,
    codes,
    enterprise_number,
    run,
    sheet_of,
    xlsx_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def standaard(firm_a):
    exact = integration_install(
        membership=firm_a.admin, key="exact_online", settings={"region": "be"}
    )
    return template_create(
        membership=firm_a.admin,
        name="Standaard",
        user_ids=[firm_a.accountant.pk],
        integrations=[{"integration": exact.pk}],
        is_default=True,
    )


@pytest.fixture
def zonder(firm_a):
    return template_create(membership=firm_a.admin, name="Zonder integraties")


def counts() -> dict[str, int]:
    return {
        "clients": Client.objects.count(),
        "contacts": Contact.objects.count(),
        "history": ClientHistory.objects.count(),
        "assignments": ClientAssignment.objects.count(),
        "integrations": ClientIntegration.objects.count(),
    }


# --------------------------------------------------------------------------------------
# A good file
# --------------------------------------------------------------------------------------


def test_a_valid_file_creates_each_client_with_its_primary_contact_and_history(firm_a):
    outcome = run(firm_a.firm, [client_row(1), client_row(2, peppol_mandate="Ja")])

    assert (outcome.rows, outcome.created, outcome.refused, outcome.errors) == (2, 2, 0, [])
    client = Client.objects.get(firm=firm_a.firm, company_number=enterprise_number(2))
    assert client.legal_name == "Bakkerij 2 BV"
    assert client.vat_number == f"BE{enterprise_number(2)}"
    assert client.external_reference == "K-00002"
    assert (client.street, client.house_number, client.postal_code, client.city) == (
        "Kerkstraat",
        "2",
        "9000",
        "Gent",
    )
    assert client.peppol_mandate is True
    assert client.status == "draft"
    contact = client.contacts.get()
    assert (contact.email, contact.first_name, contact.locale, contact.is_primary) == (
        "contact2@bakkerij2.be",
        "An",
        "nl-BE",
        True,
    )
    entry = ClientHistory.objects.get(client=client)
    assert (entry.source, entry.action) == ("import", "created")
    assert sorted(outcome.created_ids) == sorted(
        Client.objects.filter(firm=firm_a.firm).values_list("id", flat=True)
    )


def test_the_actor_is_recorded_on_the_clients_and_their_history(firm_a):
    run(firm_a.firm, [client_row(1)], actor=firm_a.manager.user)

    client = Client.objects.get(firm=firm_a.firm)
    assert client.created_by == firm_a.manager.user
    assert client.history.get().actor == firm_a.manager.user


# --------------------------------------------------------------------------------------
# Every row code
# --------------------------------------------------------------------------------------

ROW_CODES = [
    ({"legal_name": ""}, "legal_name", "required"),
    ({"contact_email": ""}, "contact_email", "required"),
    ({"contact_first_name": ""}, "contact_first_name", "required"),
    ({"contact_last_name": ""}, "contact_last_name", "required"),
    ({"contact_locale": ""}, "contact_locale", "required"),
    ({"country": ""}, "country", "required"),
    ({"legal_name": "B" * 201}, "legal_name", "too_long"),
    ({"city": "G" * 101}, "city", "too_long"),
    ({"contact_first_name": "A" * 101}, "contact_first_name", "too_long"),
    ({"country": "Atlantis"}, "country", "invalid_country"),
    ({"contact_email": "an.peeters"}, "contact_email", "invalid_email"),
    ({"contact_locale": "klingon"}, "contact_locale", "invalid_locale"),
    ({"company_number": "12345", "vat_number": ""}, "company_number", "invalid_company_number"),
    (
        {"company_number": "0403019262", "vat_number": ""},
        "company_number",
        "company_number_checksum",
    ),
    ({"vat_number": "BE12", "company_number": ""}, "vat_number", "invalid_vat"),
    ({"vat_number": "BE0403019262", "company_number": ""}, "vat_number", "vat_checksum"),
    (
        {"company_number": enterprise_number(1), "vat_number": f"BE{enterprise_number(7)}"},
        "vat_number",
        "vat_company_number_mismatch",
    ),
    ({"iban": "BE00 1234 5678"}, "iban", "invalid_iban"),
    ({"peppol_mandate": "misschien"}, "peppol_mandate", "invalid_mandate"),
    ({"template": "Bestaat niet"}, "template", "unknown_template"),
]


@pytest.mark.parametrize(
    ("cells", "field", "code"), ROW_CODES, ids=[f"{c[2]}-{c[1]}" for c in ROW_CODES]
)
def test_each_rule_refuses_its_row_with_its_code_and_the_other_rows_are_imported(
    firm_a, cells, field, code
):
    outcome = run(firm_a.firm, [client_row(1, **cells), client_row(2), client_row(3)])

    assert codes(outcome) == [(2, field, code)]
    issue = outcome.errors[0]
    assert issue.message  # explained to the person
    assert (outcome.rows, outcome.created, outcome.refused) == (3, 2, 1)
    assert outcome.refused_rows == {2}
    assert not Client.objects.filter(legal_name=client_values(1, **cells)["legal_name"]).exists()


def test_a_bad_value_is_reported_as_typed(firm_a):
    outcome = run(firm_a.firm, [client_row(1, contact_email="an@@bakkerij.be")])
    assert outcome.errors[0].value == "an@@bakkerij.be"


def test_every_error_of_a_row_is_reported_at_once(firm_a):
    row = client_row(
        1,
        legal_name="",
        country="Atlantis",
        contact_email="nope",
        peppol_mandate="misschien",
        template="Onbekend",
    )
    outcome = run(firm_a.firm, [row])

    assert sorted(codes(outcome)) == sorted(
        [
            (2, "legal_name", "required"),
            (2, "country", "invalid_country"),
            (2, "contact_email", "invalid_email"),
            (2, "peppol_mandate", "invalid_mandate"),
            (2, "template", "unknown_template"),
        ]
    )
    assert outcome.refused == 1


def test_a_date_in_a_text_column_refuses_the_row(firm_a):
    import datetime

    headers = headers_for("nl")
    row = client_row(1)
    row[KEYS.index("house_number")] = datetime.date(2024, 3, 1)
    outcome = run(firm_a.firm, reading.read_table(xlsx([headers, row]), filename="k.xlsx"))

    assert codes(outcome) == [(2, "house_number", "date_in_text_column")]
    assert outcome.errors[0].value == "2024-03-01"


# --------------------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------------------


def test_a_number_repeated_in_the_file_refuses_every_occurrence_after_the_first(firm_a):
    number = enterprise_number(1)
    rows = [
        client_row(1, company_number=number, vat_number=""),
        client_row(2, company_number=number, vat_number=""),
        client_row(3),
        client_row(4, company_number=number, vat_number=""),
    ]
    with translation.override("en"):
        outcome = run(firm_a.firm, rows)

    assert codes(outcome) == [
        (3, "company_number", "duplicate_in_file"),
        (5, "company_number", "duplicate_in_file"),
    ]
    assert all("row 2" in issue.message for issue in outcome.errors)
    assert (outcome.created, outcome.refused) == (2, 2)
    assert Client.objects.get(company_number=number).legal_name == "Bakkerij 1 BV"


def test_a_vat_number_and_a_reference_repeated_are_duplicates_too(firm_a):
    rows = [
        client_row(1),
        client_row(2, vat_number=f"BE{enterprise_number(1)}", company_number=""),
        client_row(3, external_reference="K-00001"),
    ]
    outcome = run(firm_a.firm, rows)

    assert (3, "vat_number", "duplicate_in_file") in codes(outcome)
    assert (4, "external_reference", "duplicate_in_file") in codes(outcome)
    assert outcome.created == 1


def test_a_client_already_in_the_firm_is_refused_and_named(firm_a):
    existing = make_client(
        firm_a.manager, "Bakkerij Bestaat BV", company_number=enterprise_number(1)
    )
    outcome = run(firm_a.firm, [client_row(1, vat_number=""), client_row(2)])

    assert codes(outcome) == [(2, "company_number", "already_exists")]
    assert existing.legal_name in outcome.errors[0].message
    assert outcome.created == 1
    assert Client.objects.filter(firm=firm_a.firm).count() == 2


def test_another_firms_client_with_the_same_number_is_no_duplicate(firm_a, firm_b):
    make_client(firm_b.manager, "Elders BV", company_number=enterprise_number(1))
    outcome = run(firm_a.firm, [client_row(1)])
    assert (outcome.created, outcome.errors) == (1, [])


def test_the_same_file_twice_creates_nothing_the_second_time(firm_a):
    rows = [client_row(n) for n in range(1, 6)]
    first = run(firm_a.firm, rows)
    before = counts()
    second = run(firm_a.firm, rows)

    assert first.created == 5
    assert (second.created, second.refused) == (0, 5)
    assert {issue.code for issue in second.errors} == {"already_exists"}
    assert counts() == before


def test_a_client_created_meanwhile_is_refused_by_the_database_and_the_batch_goes_on(firm_a):
    """Another import (or a person) creates a client after this import looked at the firm's
    numbers: the unique constraint refuses that row alone."""
    sheet = sheet_of([client_row(1), client_row(2), client_row(3)])
    importer = Importer(firm=firm_a.firm)
    rival = make_client(
        firm_a.manager, "Sneller BV", company_number=enterprise_number(2), vat_number=""
    )

    outcome = importer.run(sheet)

    assert codes(outcome) == [(3, "company_number", "already_exists")]
    assert rival.legal_name in outcome.errors[0].message
    assert (outcome.created, outcome.refused) == (2, 1)
    names = set(Client.objects.filter(firm=firm_a.firm).values_list("legal_name", flat=True))
    assert names == {"Bakkerij 1 BV", "Sneller BV", "Bakkerij 3 BV"}
    # the refused row left nothing behind: one contact and one history entry per client
    assert Contact.objects.filter(client__firm=firm_a.firm).count() == 3
    assert not Client.objects.filter(legal_name="Bakkerij 2 BV").exists()


# --------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------


def test_repaired_values_are_imported_with_a_warning_giving_before_and_after(firm_a):
    number = enterprise_number(1)
    dotted = f"{number[:4]}.{number[4:7]}.{number[7:]}"
    outcome = run(
        firm_a.firm,
        [client_row(1, company_number=dotted, vat_number="", country="belgië", iban="")],
    )

    assert outcome.created == 1
    warnings = {(w["row"], w["field"]): w for w in outcome.as_json()["warnings"]}
    assert warnings[(2, "company_number")] == {
        "row": 2,
        "field": "company_number",
        "code": "normalized",
        "value": dotted,
        "normalized": number,
    }
    assert warnings[(2, "country")]["normalized"] == "BE"
    assert Client.objects.get().company_number == number


def test_a_bare_language_is_completed_from_the_country_with_a_warning(firm_a):
    outcome = run(firm_a.firm, [client_row(1, contact_locale="fr")])
    warning = next(w for w in outcome.warnings if w.warning.field == "contact_locale")
    assert (warning.warning.value, warning.warning.normalized) == ("fr", "fr-BE")
    assert Contact.objects.get().locale == "fr-BE"


# --------------------------------------------------------------------------------------
# The file's shape
# --------------------------------------------------------------------------------------


def test_blank_rows_are_skipped_and_rows_keep_the_numbers_excel_shows(firm_a):
    blank = [None] * len(KEYS)
    rows = [headers_for("nl"), client_row(1), blank, blank, client_row(2, country="Atlantis")]
    sheet = reading.read_table(xlsx(rows, first_row=2), filename="k.xlsx")
    outcome = run(firm_a.firm, sheet)

    assert outcome.rows == 2
    assert codes(outcome) == [(7, "country", "invalid_country")]
    assert outcome.created == 1


def test_columns_in_another_order_and_in_french_are_read_by_their_headers(firm_a):
    order = list(reversed(range(len(COLUMNS))))
    headers = [headers_for("fr")[i] for i in order]
    row = client_row(1, peppol_mandate="Oui")
    outcome = run(
        firm_a.firm,
        reading.read_table(xlsx([headers, [row[i] for i in order]]), filename="k.xlsx"),
    )

    assert (outcome.created, outcome.errors) == (1, [])
    client = Client.objects.get()
    assert (client.legal_name, client.city, client.peppol_mandate) == (
        "Bakkerij 1 BV",
        "Gent",
        True,
    )
    assert client.contacts.get().email == "contact1@bakkerij1.be"


def test_optional_columns_may_be_left_out(firm_a):
    headers = headers_for("en")[:6]
    outcome = run(
        firm_a.firm,
        reading.read_table(xlsx([headers, client_row(1)[:6]]), filename="k.xlsx"),
    )
    assert (outcome.created, outcome.errors) == (1, [])
    assert Client.objects.get().company_number is None


# --------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------


def test_the_template_is_found_whatever_its_case(firm_a, standaard, zonder):
    outcome = run(firm_a.firm, [client_row(1, template="zonder INTEGRATIES")])

    assert outcome.errors == []
    client = Client.objects.get()
    assert (client.template, client.template_name) == (zonder, "Zonder integraties")
    assert not ClientIntegration.objects.filter(client=client).exists()


def test_an_empty_template_cell_applies_the_default_template_with_its_people_and_integrations(
    firm_a, standaard, zonder
):
    outcome = run(firm_a.firm, [client_row(1, template="", external_reference="4711")])

    assert outcome.errors == []
    client = Client.objects.get()
    assert client.template == standaard
    assert list(client.assigned.all()) == [firm_a.accountant]
    link = ClientIntegration.objects.get(client=client)
    assert link.firm_integration.key == "exact_online"
    assert link.settings == {"division": "4711"}
    applied = ClientHistory.objects.get(client=client, action="template_applied")
    assert applied.source == "import"


def test_without_a_default_template_an_empty_cell_applies_none(firm_a, zonder):
    run(firm_a.firm, [client_row(1)])
    client = Client.objects.get()
    assert (client.template, client.template_name) == (None, "")
    assert not client.assigned.exists()


def test_another_firms_template_is_unknown(firm_a, firm_b):
    template_create(membership=firm_b.admin, name="Van Bêta")
    outcome = run(firm_a.firm, [client_row(1, template="Van Bêta")])
    assert codes(outcome) == [(2, "template", "unknown_template")]


# --------------------------------------------------------------------------------------
# Update mode
# --------------------------------------------------------------------------------------


def test_update_mode_updates_the_client_a_row_matches_and_an_empty_cell_keeps_the_value(firm_a):
    client = make_client(
        firm_a.manager,
        "Oude Naam BV",
        company_number=enterprise_number(1),
        street="Veldstraat",
        city="Gent",
        contact={
            "first_name": "An",
            "last_name": "Peeters1",
            "email": "contact1@bakkerij1.be",
            "locale": "nl-BE",
        },
    )
    row = client_row(1, vat_number="", street="", city="Brugge", external_reference="")
    outcome = run(firm_a.firm, [row, client_row(2)], update=True)

    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.refused) == (1, 1, 0, 0)
    client.refresh_from_db()
    assert client.legal_name == "Bakkerij 1 BV"
    assert client.city == "Brugge"
    assert client.street == "Veldstraat"  # the empty cell kept it
    assert client.external_reference is None
    assert client.contacts.count() == 1
    entry = client.history.filter(action="updated").get()
    assert entry.source == "import"
    changed = {change["field"]: (change["old"], change["new"]) for change in entry.changes}
    assert changed["city"] == ("Gent", "Brugge")
    assert changed["legal_name"] == ("Oude Naam BV", "Bakkerij 1 BV")
    assert "street" not in changed


def test_update_mode_counts_a_row_that_changes_nothing_as_unchanged(firm_a):
    run(firm_a.firm, [client_row(1)])
    history = ClientHistory.objects.count()
    outcome = run(firm_a.firm, [client_row(1)], update=True)

    assert (outcome.updated, outcome.unchanged, outcome.created) == (0, 1, 0)
    assert ClientHistory.objects.count() == history


def test_update_mode_refuses_a_row_whose_numbers_belong_to_two_clients(firm_a):
    first = make_client(firm_a.manager, "Eerste BV", company_number=enterprise_number(1))
    second = make_client(firm_a.manager, "Tweede BV", external_reference="K-00009")
    row = client_row(1, vat_number="", external_reference="K-00009")
    outcome = run(firm_a.firm, [row], update=True)

    assert [code for _, _, code in codes(outcome)] == ["ambiguous_match"]
    assert first.legal_name in outcome.errors[0].message
    assert second.legal_name in outcome.errors[0].message
    assert Client.objects.get(pk=first.pk).legal_name == "Eerste BV"


def test_update_mode_with_a_new_email_changes_the_primary_contact(firm_a):
    """The file's contact columns are the primary contact (the export writes that one), so
    export, edit the address, import in update mode round-trips."""
    client = make_client(firm_a.manager, "Klant BV", company_number=enterprise_number(1))
    contact_add(
        membership=firm_a.manager,
        client=client,
        data={"first_name": "Els", "last_name": "Maes", "email": "els@klant.be", "locale": "nl-BE"},
    )
    old = client.contacts.get(is_primary=True)
    outcome = run(firm_a.firm, [client_row(1, contact_email="nieuw@klant.be")], update=True)

    assert outcome.updated == 1
    primary = client.contacts.get(is_primary=True)
    assert (primary.pk, primary.email) == (old.pk, "nieuw@klant.be")
    assert sorted(client.contacts.values_list("email", flat=True)) == [
        "els@klant.be",
        "nieuw@klant.be",
    ]
    entry = client.history.get(action="updated")
    change = next(c for c in entry.changes if c["field"] == "contact")
    assert old.email in change["old"] and "nieuw@klant.be" in change["new"]


def test_update_mode_with_the_address_of_another_contact_updates_that_contact(firm_a):
    client = make_client(firm_a.manager, "Klant BV", company_number=enterprise_number(1))
    contact_add(
        membership=firm_a.manager,
        client=client,
        data={"first_name": "Els", "last_name": "Maes", "email": "els@klant.be", "locale": "nl-BE"},
    )
    primary = client.contacts.get(is_primary=True)
    row = client_row(1, contact_email="els@klant.be", contact_last_name="Maes-Peeters")
    run(firm_a.firm, [row], update=True)

    assert client.contacts.get(email="els@klant.be").last_name == "Maes-Peeters"
    assert client.contacts.get(is_primary=True).email == primary.email


def test_an_update_refused_by_the_database_leaves_the_client_and_its_contacts_untouched(firm_a):
    """Another writer takes the external reference the row gives its client after the import
    looked: the row is refused as a whole, its new contact too."""
    client = make_client(
        firm_a.manager, "Klant BV", company_number=enterprise_number(1), city="Gent"
    )
    contacts = sorted(client.contacts.values_list("email", flat=True))
    row = client_row(
        1, vat_number="", external_reference="K-77", city="Brugge", contact_email="nieuw@klant.be"
    )
    sheet = sheet_of([row, client_row(2)])
    importer = Importer(firm=firm_a.firm, update=True)
    make_client(firm_a.manager, "Sneller BV", external_reference="K-77")

    outcome = importer.run(sheet)

    assert codes(outcome) == [(2, "external_reference", "already_exists")]
    assert (outcome.updated, outcome.created, outcome.refused) == (0, 1, 1)
    client.refresh_from_db()
    assert (client.city, client.external_reference) == ("Gent", None)
    assert sorted(client.contacts.values_list("email", flat=True)) == contacts
    assert not client.history.filter(action="updated").exists()


def test_a_client_deleted_while_the_import_runs_is_created_again_from_its_row(firm_a):
    client = make_client(firm_a.manager, "Klant BV", company_number=enterprise_number(1))
    sheet = sheet_of([client_row(1, vat_number=""), client_row(2)])
    importer = Importer(firm=firm_a.firm, update=True)
    Client.objects.filter(pk=client.pk).delete()

    outcome = importer.run(sheet)

    assert (outcome.errors, outcome.created, outcome.updated) == ([], 2, 0)
    assert Client.objects.get(company_number=enterprise_number(1)).legal_name == "Bakkerij 1 BV"


def _active(client):
    """The client as it is once it accepted its invitation: linked to its own company."""
    from partnerspace.companies.models import Company

    company = Company.objects.create(
        legal_name=client.legal_name, country="BE", company_number=client.company_number
    )
    Client.objects.filter(pk=client.pk).update(status="active", company=company)


def test_update_mode_refuses_changing_the_details_an_active_client_keeps_itself(firm_a):
    client = make_client(
        firm_a.manager, "Bakkerij 1 BV", company_number=enterprise_number(1), city="Gent"
    )
    _active(client)
    row = client_row(1, vat_number="", city="Brugge", external_reference="", iban="", street="",
                     house_number="", postal_code="")  # fmt: skip
    outcome = run(firm_a.firm, [row], update=True)

    assert [(field, code) for _, field, code in codes(outcome)] == [("city", "owned_by_client")]
    assert client.legal_name in outcome.errors[0].message
    client.refresh_from_db()
    assert client.city == "Gent"


def test_update_mode_changes_the_firms_own_fields_of_an_active_client(firm_a):
    client = make_client(firm_a.manager, "Bakkerij 1 BV", company_number=enterprise_number(1))
    _active(client)
    row = client_row(1, vat_number="", external_reference="K-9", iban="", street="",
                     house_number="", postal_code="", city="")  # fmt: skip
    outcome = run(firm_a.firm, [row], update=True)

    assert (outcome.errors, outcome.updated) == ([], 1)
    client.refresh_from_db()
    assert client.external_reference == "K-9"


def test_update_mode_confirms_the_mandate_as_the_form_does(firm_a):
    client = make_client(firm_a.manager, "Klant BV", company_number=enterprise_number(1))
    run(
        firm_a.firm,
        [client_row(1, vat_number="", peppol_mandate="Ja")],
        update=True,
        actor=firm_a.manager.user,
    )

    client.refresh_from_db()
    assert client.peppol_mandate is True
    assert client.mandate_confirmed_by == firm_a.manager.user
    assert client.mandate_confirmed_at is not None


def test_update_mode_refuses_withdrawing_the_mandate_of_a_registered_client(firm_a):
    from partnerspace.peppol.models import ClientPeppol, RegistrationStatus

    client = make_client(
        firm_a.manager, "Klant BV", company_number=enterprise_number(1), peppol_mandate=True
    )
    ClientPeppol.objects.create(client=client, status=RegistrationStatus.REGISTERED)
    outcome = run(firm_a.firm, [client_row(1, vat_number="", peppol_mandate="Nee")], update=True)

    assert [(field, code) for _, field, code in codes(outcome)] == [
        ("peppol_mandate", "registered")
    ]
    client.refresh_from_db()
    assert client.peppol_mandate is True
    assert client.mandate_confirmed_at is not None


def test_update_mode_withdraws_the_mandate_of_an_unregistered_client(firm_a):
    client = make_client(
        firm_a.manager, "Klant BV", company_number=enterprise_number(1), peppol_mandate=True
    )
    run(firm_a.firm, [client_row(1, vat_number="", peppol_mandate="Nee")], update=True)

    client.refresh_from_db()
    assert (client.peppol_mandate, client.mandate_confirmed_at) == (False, None)


# --------------------------------------------------------------------------------------
# Dry run
# --------------------------------------------------------------------------------------


def test_a_dry_run_checks_everything_and_writes_nothing(firm_a, standaard):
    make_client(firm_a.manager, "Bestaat BV", company_number=enterprise_number(3))
    before = counts()
    rows = [client_row(1), client_row(2, country="Atlantis"), client_row(3, city="Brugge")]
    outcome = run(firm_a.firm, rows, dry_run=True, update=True)

    assert (outcome.created, outcome.updated, outcome.refused) == (1, 1, 1)
    assert counts() == before
    assert Client.objects.get(company_number=enterprise_number(3)).city == ""


# --------------------------------------------------------------------------------------
# File-level codes, through the services
# --------------------------------------------------------------------------------------


def _refused(firm_a, content: bytes, name: str = "klanten.xlsx"):
    job = services.import_job_create(membership=firm_a.manager, file_name=name, content=content)
    if job.status != ImportStatus.REFUSED:
        assert services.import_preview(job=job) is None
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED
    issue = ImportIssue.objects.get(job=job)
    assert (issue.row, issue.is_error, issue.code) == (None, True, job.file_error["code"])
    assert issue.message == job.file_error["message"]
    assert Client.objects.count() == 0
    return job


def test_a_damaged_file_is_refused_as_unreadable(firm_a):
    content = xlsx_of([client_row(1)])
    job = _refused(firm_a, content[: len(content) // 2])
    assert job.file_error["code"] == "unreadable_file"


def test_a_file_that_is_no_spreadsheet_is_refused_as_unsupported(firm_a):
    job = _refused(firm_a, b"%PDF-1.7\n" + b"\x00" * 100, name="klanten.pdf")
    assert job.file_error["code"] == "unsupported_format"


def test_an_empty_file_and_a_file_of_headers_only_are_refused_as_empty(firm_a):
    assert _refused(firm_a, b"").file_error["code"] == "empty_file"
    job = _refused(firm_a, xlsx([headers_for("nl")]))
    assert (job.file_error["code"], job.file_error["detail"]) == (
        "empty_file",
        {"reason": "no_rows"},
    )


def test_a_file_without_a_required_column_is_refused_naming_it(firm_a):
    headers = headers_for("nl")
    keep = [i for i, key in enumerate(KEYS) if key != "country"]
    rows = [[headers[i] for i in keep], [client_row(1)[i] for i in keep]]
    job = _refused(firm_a, xlsx(rows))

    assert job.file_error["code"] == "missing_columns"
    assert job.file_error["detail"] == {"columns": ["country"]}


def test_a_file_over_the_size_limit_is_refused_and_not_kept(firm_a, monkeypatch):
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 1000)
    job = _refused(firm_a, xlsx_of([client_row(1)]))

    assert job.file_error["code"] == "file_too_large"
    assert not job.file


def test_a_file_over_the_row_limit_is_refused(firm_a, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    job = _refused(firm_a, xlsx_of([client_row(n) for n in range(1, 5)]))

    assert job.file_error["code"] == "too_many_rows"
    assert job.file_error["detail"] == {"limit": 3}


def test_a_file_at_the_row_limit_is_read(firm_a, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    job = services.import_job_create(
        membership=firm_a.manager,
        file_name="k.xlsx",
        content=xlsx_of([client_row(n) for n in range(1, 4)]),
    )
    outcome = services.import_preview(job=job)
    assert outcome is not None
    assert outcome.created == 3


def test_update_mode_recognises_a_client_without_numbers_by_name_and_contact_address(firm_a):
    plain = {"company_number": "", "vat_number": "", "external_reference": ""}
    run(firm_a.firm, [client_row(1, **plain, contact_email="eigenaar@bakkerij.be")])
    client = Client.objects.get(firm=firm_a.firm)
    changed = client_row(1, **plain, contact_email="eigenaar@bakkerij.be", city="Brugge")
    outcome = run(firm_a.firm, [changed], update=True)

    assert (outcome.created, outcome.updated) == (0, 1)
    assert Client.objects.filter(firm=firm_a.firm).count() == 1
    client.refresh_from_db()
    assert client.city == "Brugge"


def test_update_mode_creates_a_numberless_client_it_cannot_recognise(firm_a):
    plain = {"company_number": "", "vat_number": "", "external_reference": ""}
    run(firm_a.firm, [client_row(1, **plain, contact_email="eigenaar@bakkerij.be")])
    other = client_row(1, **plain, contact_email="iemand.anders@bakkerij.be")
    outcome = run(firm_a.firm, [other], update=True)

    assert (outcome.created, outcome.updated) == (1, 0)
    assert Client.objects.filter(firm=firm_a.firm).count() == 2


def test_imported_clients_are_found_by_search_and_the_index_is_live_again_after(firm_a):
    from partnerspace.clients.selectors import ClientFilters, client_page

    run(firm_a.firm, [client_row(1, legal_name="Zeldzame Naam BV"), client_row(2)])
    found = client_page(firm_a.admin, ClientFilters(query="zeldzame", tab="all"))
    assert [client.legal_name for client in found.rows] == ["Zeldzame Naam BV"]
    # A client added by hand afterwards is indexed by the trigger as before.
    make_client(firm_a.admin, "Andere Unieke BV")
    found = client_page(firm_a.admin, ClientFilters(query="unieke", tab="all"))
    assert [client.legal_name for client in found.rows] == ["Andere Unieke BV"]


NO_NUMBERS = {"company_number": "", "vat_number": "", "external_reference": ""}


def test_the_same_file_of_clients_without_numbers_twice_creates_nothing_the_second_time(firm_a):
    rows = [client_row(1, **NO_NUMBERS), client_row(2, **NO_NUMBERS)]
    first = run(firm_a.firm, rows)
    second = run(firm_a.firm, rows)

    assert (first.created, first.refused) == (2, 0)
    assert (second.created, second.refused) == (0, 2)
    assert codes(second) == [
        (2, "legal_name", "already_exists"),
        (3, "legal_name", "already_exists"),
    ]
    assert "contact1@bakkerij1.be" in second.errors[0].message
    assert Client.objects.filter(firm=firm_a.firm).count() == 2


def test_a_client_without_numbers_twice_in_one_file_is_a_duplicate_in_the_file(firm_a):
    row = client_row(1, **NO_NUMBERS, legal_name="Bakkerij Één")
    again = client_row(1, **NO_NUMBERS, legal_name="BAKKERIJ EEN")  # same name, folded
    outcome = run(firm_a.firm, [row, again])

    assert codes(outcome) == [(3, "legal_name", "duplicate_in_file")]
    assert outcome.created == 1


def test_a_duplicate_number_is_reported_with_the_rows_other_errors(firm_a):
    """Row 2 has a bad IBAN and row 3 repeats its enterprise number: both are told at once."""
    outcome = run(firm_a.firm, [client_row(1, iban="BE00 0000"), client_row(1)])

    assert (2, "iban", "invalid_iban") in codes(outcome)
    assert (3, "company_number", "duplicate_in_file") in codes(outcome)
    assert outcome.created == 0


def test_an_existing_number_is_reported_with_the_rows_other_errors(firm_a):
    existing = make_client(firm_a.manager, "Bestaand BV", company_number=enterprise_number(1))
    outcome = run(firm_a.firm, [client_row(1, iban="BE00 0000", vat_number="")])

    assert sorted(codes(outcome)) == [
        (2, "company_number", "already_exists"),
        (2, "iban", "invalid_iban"),
    ]
    assert any(existing.legal_name in issue.message for issue in outcome.errors)


def test_an_update_keeps_the_clients_template_and_says_so(firm_a):
    template_create(membership=firm_a.admin, name="Standaard")
    client = make_client(firm_a.manager, "Klant BV", company_number=enterprise_number(1))
    row = client_row(1, template="Bestaat niet", city="Brugge")
    outcome = run(firm_a.firm, [row], update=True)

    assert (outcome.updated, outcome.refused) == (1, 0)
    [warning] = [w.warning for w in outcome.warnings if w.warning.field == "template"]
    assert (warning.code, warning.value) == ("template_not_changed", "Bestaat niet")
    assert "Bestaat niet" in warning.message
    client.refresh_from_db()
    assert (client.city, client.template_id) == ("Brugge", None)


def test_an_update_naming_the_clients_own_template_says_nothing_about_it(firm_a):
    """An exported file names each client's template: importing it back warns of none."""
    template = template_create(membership=firm_a.admin, name="Standaard")
    client = make_client(
        firm_a.manager, "Klant BV", company_number=enterprise_number(1), template=template
    )
    outcome = run(firm_a.firm, [client_row(1, template="STANDAARD", city="Brugge")], update=True)

    assert outcome.updated == 1
    assert not [w for w in outcome.warnings if w.warning.field == "template"]
    client.refresh_from_db()
    assert client.city == "Brugge"
