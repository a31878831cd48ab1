"""The client page's VIES section and button, the bulk action on the list's selection, the
list's filter with its counts, and the firm's own VAT number in its settings: roles and
tenant isolation included."""

import pytest
from django.urls import reverse

from partnerspace.clients.services import client_assignments_set
from partnerspace.vies.models import VatCheck
from partnerspace.vies.services import vat_checks_run
from tests.factories import make_client
from tests.imports.rows import enterprise_number

pytestmark = pytest.mark.django_db

VAT = f"BE{enterprise_number(1)}"


def vat(n: int) -> str:
    return f"BE{enterprise_number(n)}"


@pytest.fixture
def checked(firm_a, vies):
    """A client of firm A that VIES answered about, with the firm as requester."""
    firm_a.firm.vat_number = vat(50)
    firm_a.firm.save()
    vies.knows(VAT, "BAKKERIJ PEETERS", "Kerkstraat 1, 9000 Gent")
    client = make_client(firm_a.admin, "Bakkerij Peeters BV", vat_number=VAT)
    vat_checks_run()
    return client


def detail(client) -> str:
    return reverse("clients:detail", args=[client.firm.slug, client.pk])


def test_the_client_page_shows_the_state_date_consultation_number_name_and_address(
    firm_a, web, checked, english
):
    page = web(firm_a.manager).get(detail(checked)).text
    check = VatCheck.objects.get(client=checked)

    assert 'data-testid="vies-state">Valid in VIES<' in page
    assert check.consultation_number in page
    assert "BAKKERIJ PEETERS" in page and "Kerkstraat 1, 9000 Gent" in page
    assert 'data-testid="vies-check"' in page


def test_unavailable_is_shown_as_unavailable_never_as_invalid(firm_a, web, vies, english):
    vies.trouble(code="MS_UNAVAILABLE")
    client = make_client(firm_a.admin, vat_number=VAT)
    vat_checks_run()

    page = web(firm_a.manager).get(detail(client)).text

    assert 'data-testid="vies-state">VIES unavailable<' in page
    assert "did not answer" in page
    assert "Not valid" not in page


def test_the_button_queues_a_check_and_the_request_asks_vies_nothing(firm_a, web, checked, vies):
    calls = len(vies.calls)

    response = web(firm_a.manager).post(reverse("vies:check", args=["alfa", checked.pk]))

    assert response.status_code == 302
    assert VatCheck.objects.get(client=checked).is_queued
    assert len(vies.calls) == calls


def test_an_accountant_sees_the_state_but_may_not_ask_for_a_check(firm_a, web, checked):
    client_assignments_set(
        membership=firm_a.admin, client=checked, membership_ids=[firm_a.accountant.pk]
    )
    accountant = web(firm_a.accountant)

    page = accountant.get(detail(checked)).text
    response = accountant.post(reverse("vies:check", args=["alfa", checked.pk]))

    assert 'data-testid="vies-state"' in page
    assert 'data-testid="vies-check"' not in page
    assert response.status_code == 403
    assert not VatCheck.objects.get(client=checked).is_queued


def test_another_firm_finds_neither_the_section_nor_the_button(firm_b, web, checked):
    other = web(firm_b.admin)

    assert other.post(reverse("vies:check", args=["beta", checked.pk])).status_code == 404
    assert other.get(reverse("vies:client_section", args=["beta", checked.pk])).status_code == 404
    assert other.post(reverse("vies:check", args=["alfa", checked.pk])).status_code == 404
    assert not VatCheck.objects.get(client=checked).is_queued


def test_the_section_alone_is_what_the_page_polls(firm_a, web, checked):
    response = web(firm_a.manager).get(reverse("vies:client_section", args=["alfa", checked.pk]))

    assert response.status_code == 200
    assert 'id="vies"' in response.text
    assert (
        web(firm_a.manager)
        .post(reverse("vies:client_section", args=["alfa", checked.pk]))
        .status_code
        == 405
    )


def select(browser, clients) -> str:
    ids = [client.pk for client in clients]
    return browser.post(
        reverse("clients:selection", args=["alfa"]), {"visible": ids, "selected": ids}
    ).text


def test_the_bulk_action_queues_the_selection_and_skips_clients_without_a_vat_number(
    firm_a, web, vies, english
):
    with_vat = [make_client(firm_a.admin, vat_number=vat(n)) for n in (1, 2)]
    without = make_client(firm_a.admin)
    VatCheck.objects.update(queued_at=None)
    manager = web(firm_a.manager)
    bar = select(manager, [*with_vat, without])
    assert reverse("vies:bulk_check", args=["alfa"]) in bar

    response = manager.post(reverse("vies:bulk_check", args=["alfa"]), follow=True)

    assert set(VatCheck.objects.exclude(queued_at=None).values_list("client_id", flat=True)) == {
        client.pk for client in with_vat
    }
    assert "2 clients queued" in response.text and "1 skipped" in response.text
    assert vies.calls == []


def test_the_bulk_action_is_refused_to_an_accountant(firm_a, web, vies):
    client = make_client(firm_a.admin, vat_number=VAT)
    VatCheck.objects.update(queued_at=None)
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    accountant = web(firm_a.accountant)
    bar = select(accountant, [client])

    assert reverse("vies:bulk_check", args=["alfa"]) not in bar
    assert accountant.post(reverse("vies:bulk_check", args=["alfa"])).status_code == 403
    assert not VatCheck.objects.get(client=client).is_queued


def test_the_bulk_action_never_reaches_another_firms_clients(firm_a, firm_b, web, vies):
    theirs = make_client(firm_a.admin, vat_number=VAT)
    VatCheck.objects.update(queued_at=None)
    other = web(firm_b.admin)
    select_b = other.post(
        reverse("clients:selection", args=["beta"]),
        {"visible": [theirs.pk], "selected": [theirs.pk]},
    )
    assert select_b.status_code == 200

    other.post(reverse("vies:bulk_check", args=["beta"]))

    assert not VatCheck.objects.get(client=theirs).is_queued


@pytest.fixture
def three_states(firm_a, vies):
    """Active clients: one valid, one invalid, one VIES could not answer about."""
    from partnerspace.clients.models import Client, ClientStatus

    vies.knows(vat(1))
    valid = make_client(firm_a.admin, "Geldig BV", vat_number=vat(1))
    vat_checks_run()
    invalid = make_client(firm_a.admin, "Ongeldig BV", vat_number=vat(2))
    vat_checks_run()
    vies.trouble(code="TIMEOUT")
    unavailable = make_client(firm_a.admin, "Onbereikbaar BV", vat_number=vat(3))
    vat_checks_run()
    Client.objects.update(status=ClientStatus.ACTIVE)
    return valid, invalid, unavailable


def listed(response) -> set[str]:
    return {client.legal_name for client in response.context["page"].rows}


def test_the_list_filters_on_the_vies_state_with_counts_and_with_the_other_filters(
    firm_a, web, three_states, english
):
    manager = web(firm_a.manager)
    url = reverse("clients:list", args=["alfa"])

    invalid = manager.get(url, {"tab": "active", "vies": "invalid"})
    unavailable = manager.get(url, {"tab": "active", "vies": "unavailable"})
    combined = manager.get(url, {"tab": "active", "vies": "invalid", "q": "Onbereikbaar"})
    nonsense = manager.get(url, {"tab": "active", "vies": "nonsense"})

    assert listed(invalid) == {"Ongeldig BV"}
    assert listed(unavailable) == {"Onbereikbaar BV"}
    assert listed(combined) == set()
    assert len(listed(nonsense)) == 3
    assert "VAT not valid in VIES (1)" in invalid.text
    assert "VIES unavailable (1)" in invalid.text
    assert 'value="invalid" selected' in invalid.text


def test_an_accountant_filters_and_counts_only_their_own_clients(firm_a, web, three_states):
    _valid, _invalid, unavailable = three_states
    client_assignments_set(
        membership=firm_a.admin, client=unavailable, membership_ids=[firm_a.accountant.pk]
    )
    url = reverse("clients:list", args=["alfa"])

    response = web(firm_a.accountant).get(url, {"tab": "active", "vies": "invalid"})

    assert listed(response) == set()
    [vies] = [shown for shown in response.context["extra_filters"] if shown["param"] == "vies"]
    counts = {value: count for value, _label, count in vies["choices"]}
    assert (counts["invalid"], counts["unavailable"]) == (0, 1)  # the unavailable one only


def test_the_firm_sets_its_own_vat_number_in_its_settings(firm_a, web, english):
    admin = web(firm_a.admin)
    url = reverse("firms:settings", args=["alfa"])

    refused = admin.post(url, {"name": "Alfa", "vat_number": "CHE-123.456.788"})
    saved = admin.post(url, {"name": "Alfa", "vat_number": "be 0403.019.261"})

    assert refused.status_code == 200 and "EU VAT number" in refused.text
    assert saved.status_code == 302
    firm_a.firm.refresh_from_db()
    assert firm_a.firm.vat_number == "BE0403019261"
    assert 'value="BE 0403.019.261"' in admin.get(url).text
    assert web(firm_a.manager).post(url, {"name": "X", "vat_number": ""}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_large_firms_vies_counts_are_kept_until_a_vies_answer_changes_them(
    firm_a, web, vies, monkeypatch, english
):
    """Committed for real: each commit wakes the worker (immediate here), and each answer
    raises the firm's clients_version once it commits."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerspace.clients import selectors
    from partnerspace.vies.models import ViesAnswer
    from partnerspace.vies.services import vat_check_request

    monkeypatch.setattr(selectors, "COUNTS_CACHE_FROM", 1)
    client = make_client(firm_a.admin, vat_number=vat(1))  # checked at once: not valid
    browser = web(firm_a.manager)
    url = reverse("clients:list", args=["alfa"]) + "?tab=inactive"

    def invalid_count() -> int:
        return int(re.search(r"VAT not valid in VIES \((\d+)\)", browser.get(url).text).group(1))

    assert invalid_count() == 1
    with CaptureQueriesContext(connection) as queries:
        browser.get(url)
    assert not any("vies_vatcheck" in query["sql"] for query in queries)

    vies.knows(vat(1))
    ViesAnswer.objects.all().delete()
    vat_check_request(membership=firm_a.manager, client=client)

    assert VatCheck.objects.get().state == "valid"
    assert invalid_count() == 0


def test_a_vat_number_vies_does_not_cover_is_said_so_with_no_check_to_ask(
    firm_a, web, vies, english
):
    client = make_client(firm_a.admin, "Alpine AG", country="CH", vat_number="CHE-123.456.788")
    page = web(firm_a.manager).get(detail(client)).text
    assert "Not checked in VIES yet." not in page
    assert "VIES checks VAT numbers of the European Union only." in page
    assert 'data-testid="vies-check"' not in page
