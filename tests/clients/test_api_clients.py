"""/api/v1/clients: the JSON door to the same services, rules, permissions and isolation."""

import pytest

from partnerspace.accounts.models import User
from partnerspace.clients.models import Client, ClientAssignment, ClientHistory, ClientStatus
from partnerspace.configuration.models import ClientIntegration, ConfigurationTemplate
from partnerspace.configuration.services import (
    integration_install,
    template_create,
    template_delete,
)
from tests.factories import make_client

pytestmark = pytest.mark.django_db

JAN = {"first_name": "Jan", "last_name": "Peeters", "email": "jan@alfa.example", "locale": "nl-BE"}
OTHER_NUMBER = "0417000030"  # a valid enterprise number other than 0403.019.261


def new_client(**fields) -> dict:
    return {"legal_name": "Alfa Bouw BV", "contacts": [JAN], "template": None, **fields}


def errors_of(response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.content
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


# Creating


def test_create_normalizes_a_messy_vat_number_and_warns_with_before_and_after(firm_a, api):
    response = api(firm_a.manager).post("/clients", new_client(vat_number="be 0403.019.261"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["vat_number"] == "BE0403019261"
    assert body["company_number"] == "0403019261"
    assert body["status"] == "draft"
    # One warning per repair (separators removed, capitals), each with before and after.
    warnings = [w for w in body["warnings"] if w["field"] == "vat_number"]
    assert len(warnings) >= 1
    for warning in warnings:
        assert warning["code"] == "normalized"
        assert (warning["value"], warning["normalized"]) == ("be 0403.019.261", "BE0403019261")
        assert "be 0403.019.261" in warning["message"]
        assert "BE0403019261" in warning["message"]
    stored = Client.objects.get(pk=body["id"])
    assert (stored.firm, stored.vat_number) == (firm_a.firm, "BE0403019261")
    assert stored.history.filter(action="created", source="api").exists()


def test_create_answers_the_client_with_its_contacts_and_primary(firm_a, api):
    els = {**JAN, "first_name": "Els", "email": "els@alfa.example", "is_primary": True}
    response = api(firm_a.manager).post("/clients", new_client(contacts=[JAN, els]))

    assert response.status_code == 201, response.content
    contacts = response.json()["contacts"]
    assert [(c["email"], c["is_primary"]) for c in contacts] == [
        ("els@alfa.example", True),
        ("jan@alfa.example", False),
    ]
    assert all(isinstance(c["id"], int) for c in contacts)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"legal_name": ""}, "legal_name", "required"),
        ({"legal_name": "x" * 201}, "legal_name", "too_long"),
        ({"country": "Narnia"}, "country", "invalid_country"),
        ({"company_number": "123"}, "company_number", "invalid_company_number"),
        ({"company_number": "0403019262"}, "company_number", "company_number_checksum"),
        ({"vat_number": "BE12"}, "vat_number", "invalid_vat"),
        ({"vat_number": "BE0403019262"}, "vat_number", "vat_checksum"),
        (
            {"company_number": "0403019261", "vat_number": f"BE{OTHER_NUMBER}"},
            "vat_number",
            "vat_company_number_mismatch",
        ),
        ({"iban": "BE71 0961 2345 6768"}, "iban", "invalid_iban"),
        ({"peppol_mandate": "misschien"}, "peppol_mandate", "invalid_mandate"),
        ({"contacts": [{**JAN, "email": "jan@"}]}, "contacts.0.email", "invalid_email"),
        ({"contacts": [{**JAN, "locale": "xx-QQ"}]}, "contacts.0.locale", "invalid_locale"),
        ({"contacts": [{**JAN, "phone": "call me"}]}, "contacts.0.phone", "invalid_phone"),
        ({"contacts": [{**JAN, "last_name": ""}]}, "contacts.0.last_name", "required"),
        ({"contacts": []}, "contacts", "required"),
    ],
)
def test_every_refused_value_answers_422_with_its_code_and_a_message(
    firm_a, api, fields, field, code
):
    response = api(firm_a.manager).post("/clients", new_client(**fields))

    assert (field, code) in errors_of(response)
    [error] = [e for e in response.json()["errors"] if e["field"] == field]
    assert error["message"]
    assert error["message"] != code
    assert not Client.objects.exists()


def test_all_errors_come_at_once(firm_a, api):
    response = api(firm_a.manager).post(
        "/clients",
        new_client(legal_name="", vat_number="BE12", contacts=[{**JAN, "email": "jan@"}]),
    )

    assert errors_of(response) == {
        ("legal_name", "required"),
        ("vat_number", "invalid_vat"),
        ("contacts.0.email", "invalid_email"),
    }


def test_a_malformed_body_answers_422_in_the_same_shape(firm_a, api):
    response = api(firm_a.manager).post("/clients", new_client(assigned_users="everyone"))

    assert ("assigned_users", "invalid") in errors_of(response)


@pytest.mark.parametrize(
    ("existing", "sent", "field"),
    [
        # A Belgian VAT number carries its enterprise number: the conflict names that one.
        ({"vat_number": "BE0403019261"}, {"vat_number": "BE 0403.019.261"}, "company_number"),
        (
            {"country": "NL", "vat_number": "NL004495445B01"},
            {"country": "NL", "vat_number": "nl 0044.95.445.b01"},
            "vat_number",
        ),
        ({"company_number": "0403019261"}, {"company_number": "403019261"}, "company_number"),
        (
            {"external_reference": "K-001"},
            {"external_reference": "K-001"},
            "external_reference",
        ),
    ],
)
def test_a_duplicate_answers_409_already_exists_with_the_existing_id(
    firm_a, api, existing, sent, field
):
    first = make_client(firm_a.admin, "Bestaande BV", **existing)

    response = api(firm_a.manager).post("/clients", new_client(**sent))

    assert response.status_code == 409, response.content
    body = response.json()
    assert (body["code"], body["field"], body["existing_id"]) == ("already_exists", field, first.pk)
    assert "Bestaande BV" in body["message"]
    assert Client.objects.count() == 1


def test_the_same_company_in_another_firm_is_allowed(firm_a, firm_b, api):
    make_client(firm_b.admin, "Alfa Bouw BV", vat_number="BE0403019261", external_reference="K1")

    response = api(firm_a.manager).post(
        "/clients", new_client(vat_number="BE0403019261", external_reference="K1")
    )

    assert response.status_code == 201, response.content


def test_an_accountant_cannot_create_a_client(firm_a, api):
    response = api(firm_a.accountant).post("/clients", new_client())

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert not Client.objects.exists()


# Templates, assignments and integrations at creation


@pytest.fixture
def standard(firm_a):
    integration_install(membership=firm_a.admin, key="octopus")
    return template_create(
        membership=firm_a.admin,
        name="Standaard",
        user_ids=[firm_a.accountant.pk],
        integrations=[{"integration": "octopus", "settings": {}}],
        is_default=True,
    )


@pytest.fixture
def other_template(firm_a):
    return template_create(membership=firm_a.admin, name="Vrije beroepen")


def test_template_by_id_applies_its_staff_and_integrations(firm_a, api, standard):
    response = api(firm_a.manager).post("/clients", new_client(template=standard.pk))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["template"] == {"id": standard.pk, "name": "Standaard"}
    assert body["assigned_users"] == [firm_a.accountant.pk]
    [link] = body["integrations"]
    assert (link["key"], link["is_complete"]) == ("octopus", False)


def test_template_by_name_in_any_case(firm_a, api, standard, other_template):
    response = api(firm_a.manager).post("/clients", new_client(template="VRIJE Beroepen"))

    assert response.status_code == 201, response.content
    assert response.json()["template"]["id"] == other_template.pk


def test_the_default_template_when_the_key_is_omitted(firm_a, api, standard, other_template):
    body = new_client()
    del body["template"]

    response = api(firm_a.manager).post("/clients", body)

    assert response.status_code == 201, response.content
    assert response.json()["template"]["id"] == standard.pk


def test_no_template_when_it_is_null(firm_a, api, standard):
    response = api(firm_a.manager).post("/clients", new_client(template=None))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["template"], body["assigned_users"], body["integrations"]) == (None, [], [])


@pytest.mark.parametrize("reference", ["Bestaat niet", "id of firm B"])
def test_an_unknown_or_foreign_template_answers_422_unknown_template(
    firm_a, firm_b, api, reference
):
    foreign = ConfigurationTemplate.objects.create(firm=firm_b.firm, name="Sjabloon Bêta")
    template = foreign.pk if reference == "id of firm B" else reference

    response = api(firm_a.manager).post("/clients", new_client(template=template))

    assert errors_of(response) == {("template", "unknown_template")}
    assert response.json()["errors"][0]["message"]
    assert not Client.objects.exists()


def test_assigned_users_come_on_top_of_the_template(firm_a, api, standard):
    response = api(firm_a.manager).post(
        "/clients",
        new_client(template="standaard", assigned_users=[firm_a.manager.pk, firm_a.accountant.pk]),
    )

    assert response.status_code == 201, response.content
    assert response.json()["assigned_users"] == sorted([firm_a.manager.pk, firm_a.accountant.pk])


def test_another_firms_staff_in_assigned_users_answers_422(firm_a, firm_b, api):
    response = api(firm_a.manager).post(
        "/clients", new_client(assigned_users=[firm_b.accountant.pk])
    )

    assert errors_of(response) == {("assigned_users", "unknown_user")}
    assert not ClientAssignment.objects.exists()
    assert not Client.objects.exists()


def test_integrations_by_key_or_id_are_linked_with_their_settings(firm_a, api):
    octopus = integration_install(membership=firm_a.admin, key="octopus")
    integration_install(membership=firm_a.admin, key="winbooks")

    response = api(firm_a.manager).post(
        "/clients",
        new_client(
            external_reference="WB-7",
            integrations=[
                {"integration": octopus.pk, "settings": {"dossier_mailbox": "Alfa@Octopus.be"}},
                {"integration": "winbooks"},
            ],
        ),
    )

    assert response.status_code == 201, response.content
    links = {link["key"]: link for link in response.json()["integrations"]}
    assert links["octopus"]["id"] == octopus.pk
    assert links["octopus"]["settings"] == {"dossier_mailbox": "Alfa@octopus.be"}
    # WinBooks keys clients by their external reference: it fills the dossier code.
    assert links["winbooks"]["settings"] == {"dossier": "WB-7"}
    assert all(link["is_complete"] for link in links.values())
    linked = ClientHistory.objects.filter(
        client_id=response.json()["id"], action="integration_linked"
    )
    assert set(linked.values_list("source", flat=True)) == {"api"}


def test_settings_given_by_hand_complete_the_templates_link(firm_a, api, standard):
    response = api(firm_a.manager).post(
        "/clients",
        new_client(
            template=standard.pk,
            integrations=[{"integration": "octopus", "settings": {"dossier_mailbox": "a@b.be"}}],
        ),
    )

    assert response.status_code == 201, response.content
    [link] = response.json()["integrations"]
    assert (link["settings"], link["is_complete"]) == ({"dossier_mailbox": "a@b.be"}, True)


def test_integration_errors_name_the_item_and_nothing_is_saved(firm_a, api):
    integration_install(membership=firm_a.admin, key="octopus")

    response = api(firm_a.manager).post(
        "/clients",
        new_client(
            integrations=[
                {"integration": "octopus", "settings": {}},
                {"integration": "yuki", "settings": {}},
            ]
        ),
    )

    assert errors_of(response) == {
        ("integrations.0.settings.dossier_mailbox", "required"),
        ("integrations.1.integration", "unknown_integration"),
    }
    assert not Client.objects.exists()
    assert not ClientIntegration.objects.exists()


# Reading


def test_a_client_answers_every_documented_field(firm_a, api, standard):
    client = make_client(
        firm_a.admin, "Bakkerij Peeters", vat_number="BE0403019261", template=standard
    )

    response = api(firm_a.manager).get(f"/clients/{client.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "legal_name", "country", "company_number", "vat_number", "external_reference",
        "iban", "street", "house_number", "box", "postal_code", "city", "peppol_mandate",
        "notes", "status", "template", "template_name", "assigned_users", "integrations",
        "contacts", "mandate_confirmed_at", "created_at", "updated_at", "register_changes",
        "vies",
    }  # fmt: skip
    assert (body["id"], body["legal_name"], body["vat_number"]) == (
        client.pk,
        "Bakkerij Peeters",
        "BE0403019261",
    )
    assert body["template_name"] == "Standaard"
    [contact] = body["contacts"]
    assert contact["is_primary"] is True


def test_a_deleted_template_leaves_its_name(firm_a, api, standard):
    client = make_client(firm_a.admin, template=standard)
    template_delete(membership=firm_a.admin, template=standard)

    body = api(firm_a.manager).get(f"/clients/{client.pk}").json()

    assert (body["template"], body["template_name"]) == (None, "Standaard")


def test_an_accountant_sees_only_assigned_clients(firm_a, api):
    mine = make_client(firm_a.admin, "Mijn Klant BV")
    ClientAssignment.objects.create(client=mine, membership=firm_a.accountant)
    other = make_client(firm_a.admin, "Andere Klant BV")
    accountant = api(firm_a.accountant)

    listed = accountant.get("/clients").json()

    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert listed["count"] == 1
    assert accountant.get(f"/clients/{mine.pk}").status_code == 200
    assert accountant.get(f"/clients/{other.pk}").status_code == 404
    assert accountant.patch(f"/clients/{other.pk}", {"city": "Gent"}).status_code == 404
    assert accountant.delete(f"/clients/{other.pk}").status_code == 404


def test_another_firms_client_is_404(firm_a, firm_b, api):
    theirs = make_client(firm_b.admin)

    response = api(firm_a.admin).get(f"/clients/{theirs.pk}")

    assert response.status_code == 404
    assert "detail" in response.json()


# The list


def test_the_list_pages_through_clients_sorted_by_name(firm_a, api):
    for name in ("Charlie BV", "Alfa BV", "Bravo BV"):
        make_client(firm_a.admin, name)
    manager = api(firm_a.manager)

    first = manager.get("/clients?page_size=2").json()
    second = manager.get("/clients?page_size=2&page=2").json()

    assert [row["legal_name"] for row in first["results"]] == ["Alfa BV", "Bravo BV"]
    assert (first["count"], first["count_is_capped"], first["next_page"]) == (3, False, 2)
    assert (first["page"], first["page_size"]) == (1, 2)
    assert [row["legal_name"] for row in second["results"]] == ["Charlie BV"]
    assert second["next_page"] is None


def test_page_size_defaults_to_50_and_500_is_the_most(firm_a, api):
    manager = api(firm_a.manager)

    assert manager.get("/clients").json()["page_size"] == 50
    assert manager.get("/clients?page_size=500").status_code == 200
    assert ("page_size", "invalid") in errors_of(manager.get("/clients?page_size=501"))
    assert ("page", "invalid") in errors_of(manager.get("/clients?page=0"))


@pytest.mark.parametrize(
    "search", ["0403.019.261", "BE 0403 019 261", "be0403019261", "bakkerij", "PEETERS", "jan@"]
)
def test_search_finds_a_client_in_any_spelling(firm_a, api, search):
    wanted = make_client(
        firm_a.admin,
        "Bakkerij Peeters",
        vat_number="BE0403019261",
        contact={**JAN, "email": "jan@bakkerij.example"},
    )
    make_client(firm_a.admin, "Slagerij Janssens", vat_number=f"BE{OTHER_NUMBER}")

    response = api(firm_a.manager).get("/clients", {"search": search})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_a_search_longer_than_the_list_reads_is_refused_by_name(firm_a, api):
    manager = api(firm_a.manager)
    assert manager.get("/clients", {"search": "bakkerij " * 22}).status_code == 200  # 198
    response = manager.get("/clients", {"search": "x" * 201})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"], error["message"]) == (
        "search",
        "invalid",
        "Geef hoogstens 200 tekens.",
    )


def test_search_by_contact_email(firm_a, api):
    wanted = make_client(firm_a.admin, "Alfa BV", contact={**JAN, "email": "boekhouding@x.be"})
    make_client(firm_a.admin, "Bravo BV")

    results = api(firm_a.manager).get("/clients", {"search": "boekhouding@x.be"}).json()

    assert [row["id"] for row in results["results"]] == [wanted.pk]


def test_the_list_filters_by_status_template_and_assigned_staff(firm_a, api, other_template):
    plain = make_client(firm_a.admin, "Alfa BV")
    from_template = make_client(firm_a.admin, "Bravo BV", template=other_template)
    active = make_client(firm_a.admin, "Charlie BV")
    Client.objects.filter(pk=active.pk).update(status=ClientStatus.ACTIVE)
    ClientAssignment.objects.create(client=plain, membership=firm_a.accountant)
    manager = api(firm_a.manager)

    def ids(**query):
        return [row["id"] for row in manager.get("/clients", query).json()["results"]]

    assert ids(status="active") == [active.pk]
    assert ids(status="draft") == [plain.pk, from_template.pk]
    assert ids(template=other_template.pk) == [from_template.pk]
    assert ids(assigned_to=firm_a.accountant.pk) == [plain.pk]
    assert ("status", "invalid") in errors_of(manager.get("/clients?status=gone"))


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(
    firm_a, api, standard, django_assert_max_num_queries
):
    for number in range(30):
        client = make_client(firm_a.admin, f"Klant {number:02d} BV", template=standard)
        ClientAssignment.objects.create(client=client, membership=firm_a.manager)
    manager = api(firm_a.manager)
    manager.get("/me")  # the token's first use writes last_used_at; not this test's subject

    with django_assert_max_num_queries(8):
        response = manager.get("/clients?page_size=100")

    rows = response.json()["results"]
    assert len(rows) == 30
    assert all(row["contacts"] and row["integrations"] for row in rows)
    assert all(len(row["assigned_users"]) == 2 for row in rows)


# Changing


def test_patch_changes_only_the_fields_sent(firm_a, api):
    client = make_client(firm_a.admin, "Alfa BV", vat_number="BE0403019261", city="Gent")

    response = api(firm_a.manager).patch(
        f"/clients/{client.pk}", {"city": "Brugge", "iban": "be71 0961 2345 6769"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["iban"]) == ("Brugge", "BE71096123456769")
    assert (body["legal_name"], body["vat_number"]) == ("Alfa BV", "BE0403019261")
    assert {w["field"] for w in body["warnings"]} == {"iban"}
    history = ClientHistory.objects.get(client=client, action="updated")
    assert history.source == "api"
    assert {change["field"] for change in history.changes} == {"city", "iban"}


def test_patch_null_clears_an_optional_number(firm_a, api):
    client = make_client(firm_a.admin, external_reference="K-1")

    body = api(firm_a.manager).patch(f"/clients/{client.pk}", {"external_reference": None}).json()

    assert body["external_reference"] is None


def test_patch_with_a_refused_value_changes_nothing(firm_a, api):
    client = make_client(firm_a.admin, "Alfa BV", city="Gent")

    response = api(firm_a.manager).patch(
        f"/clients/{client.pk}", {"city": "Brugge", "vat_number": "BE0403019262"}
    )

    assert errors_of(response) == {("vat_number", "vat_checksum")}
    assert Client.objects.get(pk=client.pk).city == "Gent"


def test_patch_to_a_duplicate_answers_409_with_the_existing_id(firm_a, api):
    existing = make_client(firm_a.admin, vat_number="BE0403019261")
    client = make_client(firm_a.admin)

    response = api(firm_a.manager).patch(f"/clients/{client.pk}", {"vat_number": "0403019261"})

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["existing_id"]) == (
        "already_exists",
        existing.pk,
    )


def test_patch_assigned_users_replaces_the_set(firm_a, api, standard):
    client = make_client(firm_a.admin, template=standard)  # the accountant is assigned

    response = api(firm_a.manager).patch(
        f"/clients/{client.pk}", {"assigned_users": [firm_a.manager.pk]}
    )

    assert response.status_code == 200, response.content
    assert response.json()["assigned_users"] == [firm_a.manager.pk]


def test_patch_assigned_users_refuses_another_firms_staff(firm_a, firm_b, api):
    client = make_client(firm_a.admin)

    response = api(firm_a.manager).patch(
        f"/clients/{client.pk}", {"assigned_users": [firm_b.manager.pk]}
    )

    assert errors_of(response) == {("assigned_users", "unknown_user")}


def test_an_accountant_edits_an_assigned_client_but_not_its_staff(firm_a, api):
    client = make_client(firm_a.admin)
    ClientAssignment.objects.create(client=client, membership=firm_a.accountant)
    accountant = api(firm_a.accountant)

    assert accountant.patch(f"/clients/{client.pk}", {"city": "Gent"}).status_code == 200
    refused = accountant.patch(
        f"/clients/{client.pk}", {"city": "Brugge", "assigned_users": [firm_a.accountant.pk]}
    )
    assert refused.status_code == 403
    # Refused as a whole: the city sent with it is not kept either.
    assert Client.objects.get(pk=client.pk).city == "Gent"


def test_patch_status_archived_archives(firm_a, api):
    client = make_client(firm_a.admin)

    response = api(firm_a.manager).patch(f"/clients/{client.pk}", {"status": "archived"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "archived"
    assert Client.objects.get(pk=client.pk).status == ClientStatus.ARCHIVED


def test_patch_status_unchanged_is_no_change(firm_a, api):
    client = make_client(firm_a.admin)

    response = api(firm_a.manager).patch(
        f"/clients/{client.pk}", {"status": "draft", "city": "Gent"}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["city"]) == ("draft", "Gent")


@pytest.mark.parametrize("status", ["active", "invited"])
def test_any_other_status_change_answers_409(firm_a, api, status):
    client = make_client(firm_a.admin)

    response = api(firm_a.manager).patch(
        f"/clients/{client.pk}", {"status": status, "city": "Gent"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_status_change"
    assert response.json()["message"]
    stored = Client.objects.get(pk=client.pk)
    assert (stored.status, stored.city) == (ClientStatus.DRAFT, "")


# Deleting


def test_delete_a_draft_answers_204(firm_a, api):
    client = make_client(firm_a.admin)

    response = api(firm_a.manager).delete(f"/clients/{client.pk}")

    assert response.status_code == 204
    assert not Client.objects.filter(pk=client.pk).exists()


def test_delete_an_active_client_answers_409_not_draft(firm_a, api):
    client = make_client(firm_a.admin, "Alfa BV")
    Client.objects.filter(pk=client.pk).update(status=ClientStatus.ACTIVE)

    response = api(firm_a.manager).delete(f"/clients/{client.pk}")

    assert response.status_code == 409
    assert response.json()["code"] == "not_draft"
    assert "Alfa BV" in response.json()["message"]
    assert Client.objects.filter(pk=client.pk).exists()


def test_an_accountant_cannot_delete_an_assigned_client(firm_a, api):
    client = make_client(firm_a.admin)
    ClientAssignment.objects.create(client=client, membership=firm_a.accountant)

    response = api(firm_a.accountant).delete(f"/clients/{client.pk}")

    assert response.status_code == 403
    assert Client.objects.filter(pk=client.pk).exists()


# Language and documentation


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Ce champ est obligatoire."),
        ("nl", "Dit veld is verplicht."),
        ("en", "This field is required."),
    ],
)
def test_messages_speak_the_token_owners_language(firm_a, api, language, message):
    User.objects.filter(pk=firm_a.manager.user_id).update(language=language)

    response = api(firm_a.manager).post("/clients", new_client(legal_name=""))

    [error] = response.json()["errors"]
    assert error["message"] == message


def test_the_openapi_documents_the_error_shapes():
    from partnerspace.api.api import api

    schema = api.get_openapi_schema()
    create = schema["paths"]["/api/v1/clients"]["post"]["responses"]
    components = schema["components"]["schemas"]

    assert {201, 403, 409, 422} <= set(create)
    assert "existing_id" in components["ConflictOut"]["properties"]
    assert {"field", "code", "message"} <= set(components["FieldErrorOut"]["properties"])
    delete = schema["paths"]["/api/v1/clients/{client_id}"]["delete"]["responses"]
    assert {204, 404, 409} <= set(delete)
