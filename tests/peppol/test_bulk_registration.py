"""A firm with 1,000 imported clients with mandates registers them all with one bulk action;
the progress is visible, and a second run registers nothing twice."""

import pytest
from django.urls import reverse
from django.utils import timezone

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.peppol.models import ClientPeppol, PeppolBatch, RegistrationStatus
from tests.peppol.builders import be_number

pytestmark = pytest.mark.django_db

COUNT = 1000


def imported_clients(firm, count: int, **fields) -> list[Client]:
    """Clients as an import leaves them (Mandaat = Ja), created in one statement."""
    now = timezone.now()
    start = Client.objects.count()
    mandate = fields.pop("peppol_mandate", True)
    rows = [
        Client(
            **{
                "firm": firm,
                "legal_name": f"Klant {start + n:04d} BV",
                "sort_name": f"klant {start + n:04d} bv",
                "country": "BE",
                "company_number": be_number(start + n),
                "peppol_mandate": mandate,
                "mandate_confirmed_at": now if mandate else None,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
        )
        for n in range(count)
    ]
    return Client.objects.bulk_create(rows, batch_size=500)


def select(browser, clients) -> None:
    """Tick every row, a page of 100 at a time, as the list does."""
    ids = [client.pk for client in clients]
    for start in range(0, len(ids), 100):
        page = ids[start : start + 100]
        response = browser.post(
            reverse("clients:selection", args=["alfa"]), {"visible": page, "selected": page}
        )
        assert response.status_code == 200


def test_one_bulk_action_registers_a_thousand_clients_once(
    firm_a, peppol, smp, web, api, english, django_capture_on_commit_callbacks
):
    clients = imported_clients(firm_a.firm, COUNT)
    without_mandate = imported_clients(firm_a.firm, 2, peppol_mandate=False)
    archived = imported_clients(firm_a.firm, 1, status=ClientStatus.ARCHIVED)
    browser = web(firm_a.manager)
    select(browser, clients + without_mandate + archived)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = browser.post(reverse("peppol:bulk_registration", args=["alfa"]))
    batch = PeppolBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("peppol:batch", args=["alfa", batch.pk])
    assert batch.total == COUNT
    assert batch.skipped == {
        "no_mandate": 2,
        "no_enterprise_number": 0,
        "archived": 1,
        "already": 0,
    }

    # Queued, nothing sent yet: the progress page shows it and keeps polling.
    page = browser.get(response.url)
    assert 'hx-trigger="every 2s"' in page.text
    assert "2 without a confirmed mandate, 1 archived" in page.text
    progress = api(firm_a.manager).get(f"/peppol/batches/{batch.pk}").json()
    assert (progress["done"], progress["pending"], progress["total"]) == (0, COUNT, COUNT)
    assert smp.calls == []

    for callback in callbacks:  # the commit: the batch's task, which runs one per client
        callback()

    progress = api(firm_a.manager).get(f"/peppol/batches/{batch.pk}").json()
    assert (progress["done"], progress["registered"], progress["pending"]) == (COUNT, COUNT, 0)
    assert ClientPeppol.objects.filter(status=RegistrationStatus.REGISTERED).count() == COUNT
    service_groups = smp.writes(kind="service_group")
    assert len(service_groups) == COUNT
    assert len({call.participant for call in service_groups}) == COUNT
    assert len(smp.writes(kind="service_metadata")) == 2 * COUNT
    assert len(smp.writes(kind="business_card")) == COUNT
    assert smp.refused_xml == []
    finished = browser.get(response.url)
    assert "hx-trigger" not in finished.text
    assert "Done" in finished.text

    # The second run: the same selection, nothing is registered again.
    calls_before = len(smp.calls)
    select(browser, clients + without_mandate + archived)
    with django_capture_on_commit_callbacks(execute=True):
        again = browser.post(reverse("peppol:bulk_registration", args=["alfa"]), follow=True)
    assert len(smp.calls) == calls_before
    assert PeppolBatch.objects.count() == 1
    assert "0 clients queued for e-invoicing." in again.text
    assert "1,000 registered or pending already" in again.text or (
        "1000 registered or pending already" in again.text
    )


def test_clients_pending_already_are_skipped_too(
    firm_a, peppol, smp, web, english, django_capture_on_commit_callbacks
):
    clients = imported_clients(firm_a.firm, 3)
    browser = web(firm_a.manager)
    select(browser, clients)
    with django_capture_on_commit_callbacks(execute=False):
        browser.post(reverse("peppol:bulk_registration", args=["alfa"]))
    select(browser, clients)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = browser.post(reverse("peppol:bulk_registration", args=["alfa"]), follow=True)
    assert callbacks == []
    assert "3 registered or pending already" in response.text
    assert PeppolBatch.objects.count() == 1


def test_the_bulk_action_needs_the_smp_configured(firm_a, web, english):
    clients = imported_clients(firm_a.firm, 2)
    browser = web(firm_a.manager)
    select(browser, clients)
    response = browser.post(reverse("peppol:bulk_registration", args=["alfa"]), follow=True)
    assert "SMP is not configured (Settings → Peppol)" in response.text
    assert not ClientPeppol.objects.exists()


def test_the_bulk_bar_offers_both_peppol_actions_to_managers_only(firm_a, web):
    clients = imported_clients(firm_a.firm, 1)
    manager = web(firm_a.manager)
    select(manager, clients)
    bar = manager.post(
        reverse("clients:selection", args=["alfa"]),
        {"visible": [clients[0].pk], "selected": [clients[0].pk]},
    ).text
    assert reverse("peppol:bulk_registration", args=["alfa"]) in bar
    assert reverse("peppol:bulk_mandates", args=["alfa"]) in bar

    from partnerspace.clients.services import client_assignments_set

    client_assignments_set(
        membership=firm_a.admin, client=clients[0], membership_ids=[firm_a.accountant.pk]
    )
    accountant = web(firm_a.accountant)
    bar = accountant.post(
        reverse("clients:selection", args=["alfa"]),
        {"visible": [clients[0].pk], "selected": [clients[0].pk]},
    ).text
    assert reverse("peppol:bulk_registration", args=["alfa"]) not in bar
    assert accountant.post(reverse("peppol:bulk_registration", args=["alfa"])).status_code == 403
