"""/metrics for Prometheus: behind a token; requests, tasks, mails, imports and Peppol."""

import pytest
from django.test import Client as Browser
from prometheus_client import REGISTRY

from partnerspace.imports.models import ImportJob, ImportStatus
from partnerspace.peppol.models import ClientPeppol, RegistrationStatus
from tests.factories import make_client

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def scrape(settings):
    settings.PARTNERSPACE_METRICS_TOKEN = TOKEN

    def scrape() -> str:
        response = Browser(headers={"Authorization": f"Bearer {TOKEN}"}).get("/metrics")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.text

    return scrape


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_without_a_token_setting_there_are_no_metrics(settings):
    settings.PARTNERSPACE_METRICS_TOKEN = ""
    assert Browser().get("/metrics").status_code == 404
    assert Browser(headers={"Authorization": "Bearer "}).get("/metrics").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_metrics_want_the_token(settings, authorization):
    settings.PARTNERSPACE_METRICS_TOKEN = TOKEN
    headers = {"Authorization": authorization} if authorization else {}
    response = Browser(headers=headers).get("/metrics")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "partnerspace" not in response.text


def test_request_latency_per_view(firm_a, web, scrape):
    labels = {"view": "clients:list", "method": "GET"}
    before = value("partnerspace_request_duration_seconds_count", **labels)
    web(firm_a.admin).get("/f/alfa/clients/")
    assert value("partnerspace_request_duration_seconds_count", **labels) == before + 1
    assert value("partnerspace_requests_total", **labels, status="200") >= 1
    text = scrape()
    assert (
        'partnerspace_request_duration_seconds_bucket{le="0.1",method="GET",view="clients:list"}'
        in text
    )


def test_a_method_nobody_uses_is_counted_as_other_not_as_a_series_of_its_own(scrape):
    """Anyone may send any method: each new one would be a series for ever."""
    labels = {"view": "unmatched", "status": "404"}
    before = value("partnerspace_requests_total", **labels, method="other")
    for number in range(20):
        Browser().generic(f"PROBE{chr(65 + number)}", "/nothing-here/")
    assert value("partnerspace_requests_total", **labels, method="other") == before + 20
    assert "PROBE" not in scrape()


def test_tasks_by_outcome(scrape):
    from partnerspace.firms.tasks import send_staff_invitation

    labels = {"task": "partnerspace.firms.tasks.send_staff_invitation", "outcome": "successful"}
    before = value("partnerspace_tasks_total", **labels)
    send_staff_invitation.enqueue(123456)  # the immediate backend of the tests runs it now
    assert value("partnerspace_tasks_total", **labels) == before + 1
    assert value("partnerspace_task_duration_seconds_count", **labels) >= 1
    assert (
        'partnerspace_tasks_total{outcome="successful",task="partnerspace.firms.tasks.send_staff_invitation"}'
        in scrape()
    )


def test_invitation_mails_sent_and_failed(firm_a, settings, django_capture_on_commit_callbacks):
    from tests.invitations.helpers import draft_client, send_invitation
    from tests.invitations.test_delivery import FlakyBackend

    template = "invitations/email/invitation"
    sent = value("partnerspace_mails_total", template=template, outcome="sent")
    failed = value("partnerspace_mails_total", template=template, outcome="failed")
    settings.EMAIL_BACKEND = "tests.invitations.test_delivery.FlakyBackend"
    FlakyBackend.failures = 1
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, draft_client(firm_a.admin))
    assert value("partnerspace_mails_total", template=template, outcome="failed") == failed + 1
    assert value("partnerspace_mails_total", template=template, outcome="sent") == sent + 1


def test_imported_rows_and_peppol_registrations_are_read_from_the_database(firm_a, scrape):
    ImportJob.objects.create(
        firm=firm_a.firm, token="t1", status=ImportStatus.DONE, created=7, updated=2, refused=1
    )
    ImportJob.objects.create(
        firm=firm_a.firm, token="t2", status=ImportStatus.PREVIEWED, created=50
    )
    for status in (
        RegistrationStatus.REGISTERED,
        RegistrationStatus.REGISTERED,
        RegistrationStatus.FAILED,
    ):
        ClientPeppol.objects.create(client=make_client(firm_a.admin), status=status)

    text = scrape()
    assert 'partnerspace_imported_rows_total{outcome="created"} 7.0' in text
    assert 'partnerspace_imported_rows_total{outcome="updated"} 2.0' in text
    assert 'partnerspace_imported_rows_total{outcome="refused"} 1.0' in text
    assert 'partnerspace_peppol_registrations{state="registered"} 2.0' in text
    assert 'partnerspace_peppol_registrations{state="failed"} 1.0' in text
    assert 'partnerspace_peppol_registrations{state="pending"} 0.0' in text
    assert "partnerspace_tasks_waiting 0.0" in text
    # Labels name views, tasks and states: no firm, no person.
    assert "alfa" not in text.lower() and "@" not in text
