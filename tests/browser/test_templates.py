"""Configuration templates through the Dutch pages: install two integrations, build a template
in the three-step wizard, add a client with it, override a setting on the client, then change
the template and see that the client keeps what it was given."""

import re

import pytest
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from partnerspace.configuration.models import ClientIntegration
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

MAILBOX = "peeters@dossiers.octopus.example"


def go_to(page, link: str) -> None:
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role("link", name=link).click()


def install_integrations(page) -> None:
    """Exact Online (the firm's region is asked) and Octopus (nothing to ask), as an
    administrator does it: Instellingen → Integraties."""
    go_to(page, "Instellingen")
    page.locator(".card").filter(
        has=page.get_by_role("heading", name="Integraties", exact=True)
    ).get_by_role("link", name="Beheren").click()
    expect(page.get_by_role("heading", name="Integraties", exact=True)).to_be_visible()

    catalog = page.get_by_test_id("integrations")
    catalog.locator('tr[data-integration="exact_online"]').get_by_role(
        "link", name="Installeren"
    ).click()
    expect(page.get_by_role("heading", name="Exact Online")).to_be_visible()
    page.get_by_label("Exact Online-regio").fill("be")
    page.get_by_role("button", name="Installeren").click()
    expect(page.get_by_text("Exact Online geïnstalleerd.")).to_be_visible()

    catalog.locator('tr[data-integration="octopus"]').get_by_role(
        "button", name="Installeren"
    ).click()
    expect(page.get_by_text("Octopus geïnstalleerd.")).to_be_visible()
    for key in ("exact_online", "octopus"):
        row = catalog.locator(f'tr[data-integration="{key}"]')
        expect(row.get_by_text("Geïnstalleerd")).to_be_visible()


def open_templates(page) -> None:
    go_to(page, "Klanten")
    page.get_by_test_id("templates-gear").click()
    expect(page.get_by_role("heading", name="Configuratiesjablonen")).to_be_visible()


def expect_step(page, name: str) -> None:
    expect(page.locator('ol.steps [aria-current="step"]')).to_have_text(name)


def test_a_template_gives_a_new_client_its_staff_and_integrations_and_later_edits_leave_it(
    page, firm_a
):
    log_in(page, "admin@alfa.example", PASSWORD)
    install_integrations(page)

    # The wizard: Naam en beschrijving → Gebruikers toewijzen → Integraties toevoegen.
    open_templates(page)
    page.get_by_role("link", name="Nieuw sjabloon maken").first.click()
    expect_step(page, "Naam en beschrijving")
    page.get_by_label("Naam", exact=True).fill("Bakkerijen")
    page.get_by_label("Beschrijving").fill("Marc beheert ze; documenten naar Exact en Octopus.")
    page.get_by_role("button", name="Doorgaan").click()

    expect_step(page, "Gebruikers toewijzen")
    users = page.get_by_test_id("template-users")
    expect(users.get_by_role("checkbox")).to_have_count(3)
    users.get_by_label("Marc Tester").check()
    page.get_by_role("button", name="Doorgaan").click()

    expect_step(page, "Integraties toevoegen")
    integrations = page.get_by_test_id("template-integrations")
    integrations.get_by_label("Exact Online").check()
    integrations.get_by_label("Octopus").check()
    # Exact's division stays empty: each client's external reference fills it. Octopus's
    # mailbox differs per client, so the template cannot know it either.
    expect(page.get_by_label("Divisie (bedrijfscode)")).to_have_value("")
    expect(page.get_by_label("Adres van de dossiermailbox")).to_have_value("")
    page.get_by_role("button", name="Sjabloon opslaan").click()

    expect(page.get_by_text("Sjabloon Bakkerijen opgeslagen.")).to_be_visible()
    row = page.get_by_test_id("templates").locator('tr[data-template="Bakkerijen"]')
    expect(row).to_contain_text("Marc Tester")
    expect(row).to_contain_text("Exact Online")
    expect(row).to_contain_text("Octopus")

    # Klant toevoegen offers the template first.
    go_to(page, "Klanten")
    page.get_by_role("link", name="Klant toevoegen").click()
    page.get_by_role("radio", name=re.compile("Bakkerijen")).check()
    page.get_by_role("button", name="Doorgaan").click()
    expect(page.get_by_text("Bakkerijen", exact=True)).to_be_visible()
    page.get_by_label("Bedrijfsnaam").fill("Bakkerij Peeters BV")
    page.get_by_label("Externe referentie").fill("123456")
    page.get_by_label("Voornaam").fill("Els")
    page.get_by_label("Achternaam").fill("Peeters")
    page.get_by_label("E-mailadres").fill("els@peeters.example")
    page.get_by_label("Taal").select_option("nl-BE")
    page.get_by_role("button", name="Toevoegen", exact=True).click()

    expect(page.get_by_role("heading", name="Bakkerij Peeters BV")).to_be_visible()
    client = Client.objects.get(firm=firm_a.firm, legal_name="Bakkerij Peeters BV")
    expect(page.get_by_test_id("client-details")).to_contain_text("Bakkerijen")
    staff = page.get_by_test_id("assigned-staff")
    expect(page.locator("#staff").get_by_role("heading")).to_have_text("Toegewezen medewerkers")
    expect(staff.get_by_label("Marc Tester")).to_be_checked()
    expect(staff.get_by_label("Anna Tester")).not_to_be_checked()
    expect(staff.get_by_label("Bart Tester")).not_to_be_checked()

    linked = page.get_by_test_id("client-integrations")
    exact = linked.locator('tr[data-integration="exact_online"]')
    octopus = linked.locator('tr[data-integration="octopus"]')
    expect(linked.locator("tr[data-integration]")).to_have_count(2)
    expect(exact.locator('[data-setting="division"]')).to_have_text("123456")
    expect(exact.get_by_text("Instellingen onvolledig")).to_have_count(0)
    expect(octopus.get_by_text("Instellingen onvolledig")).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text("Sjabloon toegepast")

    # The client's own Octopus mailbox, through the row's Instellingen.
    octopus.get_by_role("link", name="Instellingen").click()
    expect(page.get_by_role("heading", name="Octopus")).to_be_visible()
    page.get_by_label("Adres van de dossiermailbox").fill(MAILBOX)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Instellingen van Octopus opgeslagen.")).to_be_visible()
    expect(octopus.locator('[data-setting="dossier_mailbox"]')).to_have_text(MAILBOX)
    expect(octopus.get_by_text("Instellingen onvolledig")).to_have_count(0)
    # Filling in what the template left open is no departure from it.
    expect(page.get_by_test_id("template-differences")).to_have_count(0)

    # Edit the template: Marc no longer, and a firm-wide Octopus mailbox.
    open_templates(page)
    row = page.get_by_test_id("templates").locator('tr[data-template="Bakkerijen"]')
    row.locator("summary").click()  # its ⋯ menu
    row.get_by_role("link", name="Bewerken").click()
    expect_step(page, "Naam en beschrijving")
    expect(page.get_by_label("Naam", exact=True)).to_have_value("Bakkerijen")
    page.get_by_role("button", name="Doorgaan").click()
    expect_step(page, "Gebruikers toewijzen")
    users = page.get_by_test_id("template-users")
    expect(users.get_by_label("Marc Tester")).to_be_checked()
    users.get_by_label("Marc Tester").uncheck()
    page.get_by_role("button", name="Doorgaan").click()
    expect_step(page, "Integraties toevoegen")
    integrations = page.get_by_test_id("template-integrations")
    expect(integrations.get_by_label("Exact Online")).to_be_checked()
    expect(integrations.get_by_label("Octopus")).to_be_checked()
    page.get_by_label("Adres van de dossiermailbox").fill("documenten@octopus.example")
    page.get_by_role("button", name="Sjabloon opslaan").click()
    expect(page.get_by_text("Sjabloon Bakkerijen opgeslagen.")).to_be_visible()
    row = page.get_by_test_id("templates").locator('tr[data-template="Bakkerijen"]')
    expect(row).not_to_contain_text("Marc Tester")

    # The client keeps its staff and integrations, and says where it now differs.
    go_to(page, "Klanten")
    # A new client is a Draft, under Niet actief.
    page.get_by_role("link").filter(has=page.get_by_test_id("count-inactive")).click()
    page.get_by_test_id("client-table").get_by_role("link", name="Bakkerij Peeters BV").click()
    expect(page.get_by_role("heading", name="Bakkerij Peeters BV")).to_be_visible()
    staff = page.get_by_test_id("assigned-staff")
    expect(staff.get_by_label("Marc Tester")).to_be_checked()
    expect(staff.get_by_label("Anna Tester")).not_to_be_checked()
    expect(linked.locator("tr[data-integration]")).to_have_count(2)
    expect(exact.locator('[data-setting="division"]')).to_have_text("123456")
    expect(octopus.locator('[data-setting="dossier_mailbox"]')).to_have_text(MAILBOX)
    differences = page.get_by_test_id("template-differences")
    expect(differences).to_contain_text("Wijkt af van het sjabloon Bakkerijen")
    expect(differences).to_contain_text("Marc Tester extra toegewezen")
    expect(differences).to_contain_text("Eigen instellingen voor Octopus")
    expect(differences).not_to_contain_text("Exact Online")

    assert list(client.assignments.values_list("membership", flat=True)) == [firm_a.manager.pk]
    settings = {
        link.firm_integration.key: link.settings
        for link in ClientIntegration.objects.filter(client=client).select_related(
            "firm_integration"
        )
    }
    assert settings == {
        "exact_online": {"division": "123456"},
        "octopus": {"dossier_mailbox": MAILBOX},
    }
