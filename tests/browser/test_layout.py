"""The pages a bookkeeper uses most, on a wide screen (1440 px) and a phone (390 px): the client
list, a client's page, Klant toevoegen and the import preview. Nothing runs wider than the
window, and every action of the last row's ⋯ menu can be seen and clicked. Each page is kept
as a screenshot (in PARTNERSPACE_SCREENSHOTS when set, else the test's own folder)."""

import os
from pathlib import Path

import pytest
import xlsxwriter
from playwright.sync_api import expect

from partnerspace.clients.models import Client
from partnerspace.clients.services import contact_add
from partnerspace.imports.columns import headers_for
from tests.browser.conftest import log_in
from tests.browser.test_new_user import hit_by_a_click
from tests.factories import PASSWORD, make_client

pytestmark = pytest.mark.browser

WIDTHS = {"wide": (1440, 900), "phone": (390, 844)}


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("PARTNERSPACE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def portfolio(firm_a):
    names = [
        "Bakkerij Aerts BV",
        "Brouwerij Claes NV",
        "Drukkerij Janssens BV",
        "Garage Maes BVBA",
        "Schrijnwerkerij Van den Bossche-Vandenberghe BV",
    ]
    clients = [
        make_client(
            firm_a.admin,
            name,
            company_number=number,
            street="Veldstraat",
            house_number="12",
            box="A",
            postal_code="9000",
            city="Gent",
            iban="BE71096123456769",
        )
        for name, number in zip(
            names,
            ["0403019261", "0403170701", "0202239951", "0417497106", "0453834195"],
            strict=True,
        )
    ]
    contact_add(
        membership=firm_a.admin,
        client=clients[0],
        data={
            "first_name": "Pieter",
            "last_name": "Van den Bossche-Vandenberghe",
            "email": "pieter.vandenbossche-vandenberghe@bakkerij-aerts.example",
            "locale": "nl-BE",
            "phone": "+32 9 123 45 67",
        },
    )
    Client.objects.filter(pk=clients[1].pk).update(status="active")
    return clients


def open_page(browser, live_server, size):
    width, height = WIDTHS[size]
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, "admin@alfa.example", PASSWORD)
    return context, page


def overflow(page) -> int:
    """How many pixels the page runs wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def keep(page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    assert overflow(page) <= 0, f"{name} runs {overflow(page)} px wider than the window"


def import_file(path: Path) -> Path:
    headers = headers_for("nl")
    rows = [
        ["Bakkerij Wouters BV", "BE", "an@wouters.example", "An", "Wouters", "nl-BE"],
        ["Slagerij Peeters BV", "BE", "jan@peeters.example", "Jan", "Peeters", "nl-BE"],
        ["Fout BV", "Atlantis", "", "", "", ""],
    ]
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Klanten")
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    workbook.close()
    return path


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_main_pages_fit_the_window_and_the_last_rows_menu_works(
    browser, live_server, transactional_db, firm_a, portfolio, screenshots, tmp_path, settings, size
):
    settings.MEDIA_ROOT = tmp_path / "media"
    context, page = open_page(browser, live_server, size)
    try:
        page.goto("/f/alfa/clients/?tab=inactive")
        expect(page.get_by_test_id("client-table")).to_be_visible()
        keep(page, screenshots, f"{size}-client-list")

        last = page.get_by_test_id("client-table").locator("tbody tr").last
        last.locator("summary").click()
        actions = last.locator(".menu-items").locator("a, button")
        expect(actions).to_have_count(3)  # Openen, Details bewerken, Verwijderen
        for action in actions.all():
            expect(action).to_be_visible()
            assert hit_by_a_click(action), action.text_content()
        page.screenshot(path=str(screenshots / f"{size}-client-list-menu.png"))
        page.keyboard.press("Escape")

        page.goto(f"/f/alfa/clients/{portfolio[0].pk}/")
        expect(page.get_by_test_id("client-details")).to_be_visible()
        keep(page, screenshots, f"{size}-client-page")

        page.goto("/f/alfa/clients/new/")
        expect(page.get_by_role("heading", name="Klant toevoegen")).to_be_visible()
        keep(page, screenshots, f"{size}-add-client")

        page.goto("/f/alfa/imports/")
        page.get_by_label("Je opgeslagen .xlsx-bestand").set_input_files(
            import_file(tmp_path / "klanten.xlsx")
        )
        page.get_by_test_id("upload-submit").click()
        expect(page.get_by_test_id("count-created")).to_have_text("2")
        keep(page, screenshots, f"{size}-import-preview")
    finally:
        context.close()


def test_on_a_phone_the_menu_folds_away_behind_one_button(browser, live_server, firm_a):
    context, page = open_page(browser, live_server, "phone")
    try:
        nav = page.get_by_role("navigation", name="Hoofdnavigatie")
        clients = nav.get_by_role("link", name="Klanten")
        expect(clients).to_be_hidden()
        toggle = nav.get_by_role("button", name="Menu")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        clients.click()
        expect(page.get_by_role("heading", name="Klanten", exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name="Klanten")).to_be_hidden()
    finally:
        context.close()


def test_on_a_wide_screen_the_menu_is_always_there(browser, live_server, firm_a):
    context, page = open_page(browser, live_server, "wide")
    try:
        nav = page.get_by_role("navigation", name="Hoofdnavigatie")
        expect(nav.get_by_role("link", name="Klanten")).to_be_visible()
        expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_list_shows_each_clients_invitation_and_peppol_state(
    browser, live_server, transactional_db, firm_a, portfolio, screenshots, size
):
    from datetime import timedelta

    from django.utils import timezone

    from partnerspace.invitations.models import Invitation
    from partnerspace.peppol.models import ClientPeppol, RegistrationStatus

    invited = portfolio[0]
    Invitation.objects.create(
        firm=firm_a.firm,
        client=invited,
        email="pieter@bakkerij-aerts.example",
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )
    ClientPeppol.objects.create(client=invited, status=RegistrationStatus.REGISTERED)
    context, page = open_page(browser, live_server, size)
    try:
        page.goto("/f/alfa/clients/?tab=inactive")
        row = page.locator(f'tr[data-client="{invited.pk}"]')
        invitation = row.locator(".col-invitation .badge")
        peppol = row.locator(".col-peppol .badge")
        expect(invitation).to_have_text("Verstuurd")
        expect(peppol).to_have_text("Geregistreerd")
        width = WIDTHS[size][0]
        for badge in (invitation, peppol):
            box = badge.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        if size == "phone":
            # Compact: on the card's third line, the invitation left and Peppol right.
            name_box = row.locator(".col-name").bounding_box()
            assert invitation.bounding_box()["y"] > name_box["y"]
            assert peppol.bounding_box()["x"] > invitation.bounding_box()["x"]
        keep(page, screenshots, f"{size}-client-list-states")
    finally:
        context.close()
