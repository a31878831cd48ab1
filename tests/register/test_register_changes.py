"""Wijzigingen in de KBO: the page, its count in the menu and on the Overview, and the two
actions on each change, checked by role and firm."""

import pytest
from django.core.management import call_command
from django.test import Client as BrowserClient
from django.urls import reverse

from partnerspace.clients.models import Client, ClientAssignment, ClientHistory, HistorySource
from partnerspace.register.models import ChangeKind, ChangeState, RegisterChange
from tests.factories import make_client
from tests.register.conftest import DUPONT, PEETERS, make_mover
from tests.register.watch_files import (
    MOVER_TO_BRUGGE,
    PEETERS_BANKRUPT_NV,
    dupont_named,
    merged,
    write,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(firm_a, full_zip, tmp_path):
    """Firm A's clients DUPONT (renamed), MOVER (moved, assigned to the accountant) and
    PEETERS (now an NV, bankrupt), flagged by update 141."""
    call_command("kbo_load", str(full_zip))
    clients = {
        "dupont": make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT),
        "mover": make_mover(firm_a.admin),
        "peeters": make_client(firm_a.admin, "Bakkerij Peeters", company_number=PEETERS),
    }
    ClientAssignment.objects.create(client=clients["mover"], membership=firm_a.accountant)
    update = merged(dupont_named("Boulangerie Dupont & Fils"), MOVER_TO_BRUGGE, PEETERS_BANKRUPT_NV)
    call_command("kbo_update", str(write(tmp_path, 141, update)))
    return clients


def change_of(client, kind):
    return RegisterChange.objects.get(client=client, kind=kind)


def page_url(people):
    return reverse("register:changes", args=[people.firm.slug])


def take_url(people, change):
    return reverse("register:change_take", args=[people.firm.slug, change.pk])


def dismiss_url(people, change):
    return reverse("register:change_dismiss", args=[people.firm.slug, change.pk])


def test_the_page_shows_each_change_with_before_and_after_in_dutch(firm_a, web, flagged):
    page = web(firm_a.manager).get(page_url(firm_a)).content.decode()

    assert "Wijzigingen in de KBO" in page
    assert page.count('data-testid="register-change"') == 4
    assert "<del>Boulangerie Dupont</del>" in page
    assert "<ins>Boulangerie Dupont &amp; Fils</ins>" in page
    assert "<del>Besloten vennootschap</del>" in page
    assert "<ins>Naamloze vennootschap</ins>" in page
    assert "<ins>Opening faillissement</ins>" in page
    assert "<del>Wetstraat 16, 1000 Brussel</del>" in page
    assert "<ins>Markt 1, 8000 Brugge</ins>" in page


def test_the_page_speaks_french_and_english(firm_a, web, flagged):
    browser = web(firm_a.manager)
    for language, title, label in (
        ("fr", "Modifications dans la BCE", "Ouverture de faillite"),
        ("en", "Register changes", "Opening faillissement"),  # no English in the KBO's codes
    ):
        user = firm_a.manager.user
        user.language = language
        user.save(update_fields=["language"])
        page = browser.get(page_url(firm_a), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert title in page, language
        assert label in page, language


def test_the_menu_and_the_overview_count_the_open_changes(firm_a, web, flagged):
    overview = web(firm_a.admin).get(reverse("firms:overview", args=[firm_a.firm.slug]))
    html = overview.content.decode()

    assert '<span class="nav-count" data-testid="nav-register-count">4</span>' in html
    assert 'data-testid="figure-register-changes"><strong>4</strong>' in html


def test_an_accountant_sees_and_counts_only_their_own_clients_changes(firm_a, web, flagged):
    browser = web(firm_a.accountant)
    page = browser.get(page_url(firm_a)).content.decode()

    assert page.count('data-testid="register-change"') == 1
    assert "Verhuizers Peeters" in page
    assert 'data-testid="nav-register-count">1</span>' in page
    others = change_of(flagged["dupont"], ChangeKind.NAME)
    assert browser.post(take_url(firm_a, others)).status_code == 404
    assert browser.post(dismiss_url(firm_a, others)).status_code == 404
    assert change_of(flagged["dupont"], ChangeKind.NAME).state == ChangeState.OPEN


@pytest.mark.parametrize("role", ["admin", "manager", "accountant"])
def test_whoever_may_edit_the_client_takes_the_name_over_with_history_source_register(
    firm_a, web, flagged, role
):
    people = getattr(firm_a, role)
    client = flagged["mover"] if role == "accountant" else flagged["dupont"]
    kind = ChangeKind.ADDRESS if role == "accountant" else ChangeKind.NAME
    change = change_of(client, kind)

    response = web(people).post(take_url(firm_a, change))

    assert response.status_code == 302
    client.refresh_from_db()
    if kind == ChangeKind.NAME:
        assert client.legal_name == "Boulangerie Dupont & Fils"
    else:
        assert (client.street, client.city) == ("Markt", "Brugge")
    entry = ClientHistory.objects.filter(client=client).latest("id")
    assert (entry.source, entry.action) == (HistorySource.REGISTER, "updated")
    change.refresh_from_db()
    assert (change.state, change.resolved_by) == (ChangeState.TAKEN, people.user)


def test_a_change_without_a_client_field_is_taken_into_the_history(firm_a, web, flagged):
    change = change_of(flagged["peeters"], ChangeKind.SITUATION)

    web(firm_a.manager).post(take_url(firm_a, change))

    entry = ClientHistory.objects.filter(client=flagged["peeters"]).latest("id")
    assert (entry.source, entry.action) == (HistorySource.REGISTER, "register_noted")
    assert entry.changes == [
        {"field": "juridical_situation", "old": "Normale toestand", "new": "Opening faillissement"}
    ]
    page = web(firm_a.manager).get(
        reverse("clients:detail", args=[firm_a.firm.slug, flagged["peeters"].pk])
    )
    assert "Wijziging in de KBO overgenomen" in page.content.decode()


def test_dismiss_closes_the_change_without_touching_the_client(firm_a, web, flagged):
    change = change_of(flagged["dupont"], ChangeKind.NAME)
    history = ClientHistory.objects.filter(client=flagged["dupont"]).count()

    response = web(firm_a.manager).post(dismiss_url(firm_a, change))

    assert response.status_code == 302
    change.refresh_from_db()
    assert change.state == ChangeState.DISMISSED
    assert Client.objects.get(pk=flagged["dupont"].pk).legal_name == "Dupont Brood"
    assert ClientHistory.objects.filter(client=flagged["dupont"]).count() == history
    # Once closed, a second action says so and changes nothing.
    again = web(firm_a.manager).post(take_url(firm_a, change), follow=True).content.decode()
    assert "al overgenomen of genegeerd" in again
    assert Client.objects.get(pk=flagged["dupont"].pk).legal_name == "Dupont Brood"


def test_another_firm_gets_404_for_the_page_and_every_change(firm_a, firm_b, web, flagged):
    browser = web(firm_b.admin)
    change = change_of(flagged["dupont"], ChangeKind.NAME)

    assert browser.get(page_url(firm_a)).status_code == 404
    assert browser.post(take_url(firm_a, change)).status_code == 404
    assert browser.post(take_url(firm_b, change)).status_code == 404
    assert browser.post(dismiss_url(firm_b, change)).status_code == 404
    assert change_of(flagged["dupont"], ChangeKind.NAME).state == ChangeState.OPEN


def test_the_actions_need_the_csrf_token(firm_a, flagged):
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(firm_a.admin.user)
    change = change_of(flagged["dupont"], ChangeKind.NAME)

    assert browser.post(take_url(firm_a, change)).status_code == 403
    assert browser.post(dismiss_url(firm_a, change)).status_code == 403
    assert change_of(flagged["dupont"], ChangeKind.NAME).state == ChangeState.OPEN
