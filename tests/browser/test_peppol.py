"""Confirm a mandate, activate e-invoicing, and watch the status go from pending to registered.

The whole path is real: the page, the database task queue a worker takes the registration
from (this test plays the worker, as `partnerspace db_worker` would), the SML look-up over DNS
and the SMP's REST API, both local servers started here.
"""

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_client
from tests.peppol.builders import configure
from tests.peppol.servers import LocalSml, LocalSmp

pytestmark = pytest.mark.browser

PARTICIPANT = "iso6523-actorid-upis::0208:0123456749"


@pytest.fixture
def network(settings):
    sml = LocalSml().start()
    smp = LocalSmp().start()
    settings.PARTNERSPACE_DNS_RESOLVER = sml.address
    settings.PARTNERSPACE_SML_ZONE = sml.zone
    settings.PARTNERSPACE_SMP_TIMEOUT = 5.0
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = ["127.0.0.1"]
    # The production queue instead of the tests' immediate one: the request only enqueues,
    # so "pending" is what the page shows until a worker runs the registration.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    yield sml, smp
    smp.stop()
    sml.stop()


def run_worker() -> None:
    """What `partnerspace db_worker --batch` does: run every task that is due, then stop."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    ).run()


def test_confirm_a_mandate_activate_e_invoicing_and_see_it_registered(page, firm_a, network):
    sml, smp = network
    configure(firm_a.admin, smp)
    firm_a.admin.user.language = "en"
    firm_a.admin.user.save(update_fields=["language"])
    client = make_client(
        firm_a.admin,
        "Bakkerij Peeters BV",
        company_number="0123.456.749",
        vat_number="BE0123456749",
    )

    log_in(page, "admin@alfa.example", PASSWORD)
    page.goto(f"/f/alfa/clients/{client.pk}/")
    section = page.get_by_test_id("e-invoicing")
    # Shown without the scheme, which only the SMP needs.
    expect(section.get_by_test_id("peppol-identifiers")).to_contain_text("0208:0123456749")
    expect(section.get_by_test_id("peppol-identifiers")).not_to_contain_text("iso6523")
    expect(section.get_by_test_id("peppol-identifiers")).to_contain_text("9925:BE0123456749")
    expect(section.get_by_test_id("mandate-state")).to_contain_text("Not signed")
    expect(section.get_by_test_id("activate-einvoicing")).to_have_count(0)

    section.get_by_test_id("confirm-mandate").click()
    expect(page.get_by_text("Mandate confirmed.")).to_be_visible()
    section = page.get_by_test_id("e-invoicing")
    expect(section.get_by_test_id("mandate-state")).to_contain_text("confirmed on")

    section.get_by_test_id("activate-einvoicing").click()
    expect(page.get_by_text("E-invoicing is being activated.")).to_be_visible()
    status = page.get_by_test_id("peppol-status")
    expect(status).to_have_text("Pending")
    expect(page.get_by_test_id("peppol-pending")).to_be_visible()
    assert smp.calls == []  # queued, not sent

    run_worker()

    # The section polls every two seconds while pending, and stops once it is not.
    expect(status).to_have_text("Registered", timeout=10_000)
    expect(page.get_by_test_id("e-invoicing")).not_to_have_attribute("hx-trigger", "every 2s")
    assert (sml.name_of("0208:0123456749"), "NAPTR") in sml.queries  # looked up first
    assert [call.participant for call in smp.writes(kind="service_group")] == [PARTICIPANT]
    assert len(smp.writes(kind="service_metadata")) == 2
    assert smp.business_cards[PARTICIPANT]["name"] == "Bakkerij Peeters BV"
    assert smp.refused_xml == []

    page.reload()
    expect(page.get_by_test_id("history")).to_contain_text("Registered on Peppol")
    expect(page.get_by_test_id("history")).to_contain_text("Peppol mandate confirmed")

    page.get_by_role("button", name="Look up in the Peppol network").click()
    # The local SML does not know the participant (the local SMP registers nowhere).
    expect(page.get_by_test_id("peppol-lookup")).to_contain_text("Not registered on Peppol")
