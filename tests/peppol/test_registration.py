"""Registering a client through the firm's SMP: the background run against a local SMP and a
local SML, including the SMP failing, timing out, refusing and answering with a conflict."""

import pytest
from django.urls import reverse

from partnerspace.clients.models import Client, ClientHistory, ClientStatus
from partnerspace.clients.services import client_archive
from partnerspace.core.errors import Conflict, NotAllowed
from partnerspace.peppol import services
from partnerspace.peppol.models import (
    BIS_BILLING_CREDIT_NOTE,
    BIS_BILLING_INVOICE,
    ClientPeppol,
    Operation,
    RegistrationStatus,
)
from partnerspace.peppol.services import runner
from tests.factories import make_client
from tests.peppol.builders import configure

pytestmark = pytest.mark.django_db

PARTICIPANT = "iso6523-actorid-upis::0208:0123456749"
INVOICE = f"busdox-docid-qns::{BIS_BILLING_INVOICE}"
CREDIT_NOTE = f"busdox-docid-qns::{BIS_BILLING_CREDIT_NOTE}"


@pytest.fixture
def client_with_mandate(firm_a):
    return make_client(
        firm_a.admin,
        "Bakkerij Peeters BV",
        company_number="0123.456.749",
        vat_number="BE0123456749",
        peppol_mandate=True,
        postal_code="9000",
        city="Gent",
    )


def register(membership, client, capture):
    with capture(execute=True):
        services.registration_request(membership=membership, client=client)
    return ClientPeppol.objects.get(client=client)


def actions(client) -> list[str]:
    return list(
        ClientHistory.objects.filter(client=client)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def test_a_client_is_registered_with_its_service_group_metadata_and_business_card(
    firm_a, peppol, smp, sml, client_with_mandate, django_capture_on_commit_callbacks
):
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.REGISTERED
    assert state.registered_at is not None
    assert state.participant_id == PARTICIPANT
    assert smp.refused_xml == []
    assert set(smp.service_groups[PARTICIPANT]) == {INVOICE, CREDIT_NOTE}
    assert smp.service_groups[PARTICIPANT][INVOICE] == {
        "address": "https://ap.alfa.example/as4",
        "process": "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
        "transport_profile": "peppol-transport-as4-v2_0",
    }
    assert smp.business_cards[PARTICIPANT] == {"name": "Bakkerij Peeters BV", "country": "BE"}
    # The look-up came first: the participant's NAPTR name in the SML's zone.
    assert sml.queries[0] == (sml.name_of("0208:0123456749"), "NAPTR")
    assert actions(client_with_mandate)[-2:] == [
        "peppol_registration_requested",
        "peppol_registered",
    ]


def test_a_500_is_retried_and_the_second_attempt_registers(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    smp.fail(500, body="Database temporarily unavailable", kind="service_group")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.REGISTERED
    assert state.attempts == 2
    assert [c.status for c in smp.calls if c.kind == "service_group"] == [500, 200]


def test_a_failure_half_way_resumes_without_repeating_what_succeeded(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    smp.fail(503, kind="business_card")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.REGISTERED
    assert len(smp.writes(kind="service_group")) == 1
    assert len(smp.writes(kind="service_metadata")) == 2
    assert [c.status for c in smp.calls if c.kind == "business_card"] == [503, 200]


def test_a_timeout_is_retried(
    firm_a, peppol, smp, settings, client_with_mandate, django_capture_on_commit_callbacks
):
    settings.PARTNERSPACE_SMP_TIMEOUT = 0.3
    smp.delay(1.5, kind="service_group")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.REGISTERED
    assert state.attempts == 2


def test_a_retry_waits_with_back_off_on_a_deferring_backend(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    smp.fail(502)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    assert len(callbacks) == 1  # the task is enqueued only once the request commits

    outcome = services.registration_run(client_id=client_with_mandate.pk)

    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert outcome == "retrying"
    assert state.status == RegistrationStatus.PENDING
    assert state.next_attempt_at is not None
    assert "502" in state.smp_answer


def test_an_smp_that_keeps_failing_ends_in_failed_after_the_last_attempt(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    smp.fail(500, count=100)
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.FAILED
    assert state.attempts == services.MAX_ATTEMPTS
    assert state.error_code == "smp_unreachable"
    assert "500" in state.smp_answer


def test_a_403_fails_at_once_with_the_smps_answer_shown(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks, web, english
):
    configure(firm_a.admin, smp, secret="not-the-password")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.FAILED
    assert state.attempts == 1
    assert len(smp.calls) == 1  # not retried
    assert state.error_code == "smp_refused"
    assert "403" in state.smp_answer and "wrong credentials" in state.smp_answer
    page = web(firm_a.manager).get(reverse("clients:detail", args=["alfa", client_with_mandate.pk]))
    assert 'data-testid="peppol-failure"' in page.text
    assert "wrong credentials for the SMP" in page.text
    assert "The SMP refused the request." in page.text


def test_a_409_on_a_service_group_the_sml_shows_as_ours_continues(
    firm_a, peppol, smp, sml, client_with_mandate, django_capture_on_commit_callbacks
):
    # An earlier registration created it, and the SML already points at our SMP.
    sml.register("0208:0123456749", smp.url)
    smp.existing_elsewhere.add(PARTICIPANT)
    smp.service_groups[PARTICIPANT] = {}
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.REGISTERED
    assert [c.status for c in smp.calls if c.kind == "service_group"] == [409]
    assert len(smp.writes(kind="service_metadata")) == 2


def test_a_409_for_a_participant_the_sml_does_not_show_as_ours_fails(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    smp.existing_elsewhere.add(PARTICIPANT)
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.FAILED
    assert state.error_code == "conflict"
    assert "409" in state.smp_answer
    assert smp.writes(kind="service_metadata") == []


def test_a_participant_registered_with_another_smp_is_registered_elsewhere(
    firm_a, peppol, smp, sml, client_with_mandate, django_capture_on_commit_callbacks, web, english
):
    sml.register("0208:0123456749", "http://smp.other-provider.example")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.REGISTERED_ELSEWHERE
    assert state.other_smp == "http://smp.other-provider.example"
    assert smp.calls == []  # nothing is written to our SMP
    page = web(firm_a.manager).get(reverse("clients:detail", args=["alfa", client_with_mandate.pk]))
    assert "http://smp.other-provider.example" in page.text
    assert "migration key" in page.text


def test_the_sml_pointing_at_our_public_address_counts_as_ours(
    firm_a, smp, sml, client_with_mandate, django_capture_on_commit_callbacks
):
    configure(firm_a.admin, smp, smp_public_url="http://smp.alfa.example")
    sml.register("0208:0123456749", "http://smp.alfa.example")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.REGISTERED


def test_an_sml_that_does_not_answer_is_retried_then_fails(
    firm_a, peppol, smp, sml, client_with_mandate, django_capture_on_commit_callbacks
):
    sml.fail("0208:0123456749")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.FAILED
    assert state.error_code == "lookup_unavailable"
    assert smp.calls == []


def test_deregistering_deletes_business_card_metadata_and_service_group(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.deregistration_request(membership=firm_a.manager, client=client_with_mandate)

    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert state.status == RegistrationStatus.NOT_REGISTERED
    assert state.participant_id == ""
    assert smp.service_groups == {} and smp.business_cards == {}
    deletes = [c.kind for c in smp.calls if c.method == "DELETE"]
    assert deletes == ["business_card", "service_metadata", "service_metadata", "service_group"]
    assert actions(client_with_mandate)[-1] == "peppol_deregistered"


def test_a_refused_deregistration_is_a_failed_deregistration(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)
    smp.fail(403, body="Not the owner", method="DELETE")
    with django_capture_on_commit_callbacks(execute=True):
        services.deregistration_request(membership=firm_a.manager, client=client_with_mandate)

    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert (state.status, state.operation) == (RegistrationStatus.FAILED, Operation.DEREGISTER)
    assert "Not the owner" in state.smp_answer


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"peppol_mandate": False}, "no_mandate"),
        ({"company_number": "", "vat_number": ""}, "no_enterprise_number"),
    ],
)
def test_no_registration_without_mandate_or_enterprise_number(firm_a, peppol, fields, code):
    data = {"company_number": "0200000043", "peppol_mandate": True, **fields}
    client = make_client(firm_a.admin, **data)
    with pytest.raises(Conflict) as refused:
        services.registration_request(membership=firm_a.manager, client=client)
    assert refused.value.code == code


def test_no_registration_of_an_archived_client(firm_a, peppol, client_with_mandate):
    client_with_mandate.status = ClientStatus.ARCHIVED
    client_with_mandate.save(update_fields=["status"])
    with pytest.raises(Conflict) as refused:
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    assert refused.value.code == "archived"


def test_no_registration_before_the_firm_configured_its_smp(firm_a, client_with_mandate):
    with pytest.raises(Conflict) as refused:
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    assert refused.value.code == "smp_not_configured"


def test_a_registered_client_is_not_registered_twice(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as refused:
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    assert refused.value.code == "already_registered"
    assert len(smp.writes(kind="service_group")) == 1


def test_an_accountant_may_not_register_even_an_assigned_client(
    firm_a, peppol, client_with_mandate, web
):
    from partnerspace.clients.services import client_assignments_set

    client_assignments_set(
        membership=firm_a.admin, client=client_with_mandate, membership_ids=[firm_a.accountant.pk]
    )
    with pytest.raises(NotAllowed):
        services.registration_request(membership=firm_a.accountant, client=client_with_mandate)
    url = reverse("peppol:register", args=["alfa", client_with_mandate.pk])
    assert web(firm_a.accountant).post(url).status_code == 403
    assert not ClientPeppol.objects.filter(client=client_with_mandate).exists()


def test_the_page_polls_while_pending_and_stops_once_registered(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks, web, english
):
    browser = web(firm_a.manager)
    section = reverse("peppol:client_section", args=["alfa", client_with_mandate.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = browser.post(reverse("peppol:register", args=["alfa", client_with_mandate.pk]))
    assert response.status_code == 302
    pending = browser.get(section)
    assert 'hx-trigger="every 2s"' in pending.text
    assert ">Pending<" in pending.text

    for callback in callbacks:
        callback()

    registered = browser.get(section)
    assert "hx-trigger" not in registered.text
    assert ">Registered<" in registered.text


def test_the_import_hook_queues_clients_with_a_mandate_when_auto_registration_is_on(
    firm_a, smp, sml, django_capture_on_commit_callbacks
):
    configure(firm_a.admin, smp, auto_register=True)
    with_mandate = make_client(firm_a.admin, company_number="0200000043", peppol_mandate=True)
    without = make_client(firm_a.admin, company_number="0200000142")
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.registration_queue_after_import(
            firm=firm_a.firm, client_ids=[with_mandate.pk, without.pk], actor=firm_a.admin.user
        )
    assert queued == 1
    assert ClientPeppol.objects.get(client=with_mandate).status == RegistrationStatus.REGISTERED
    assert not ClientPeppol.objects.filter(client=without).exists()
    history = ClientHistory.objects.get(client=with_mandate, action="peppol_registration_requested")
    assert history.source == "import"


def test_the_import_hook_does_nothing_when_auto_registration_is_off(firm_a, peppol, smp):
    client = make_client(firm_a.admin, company_number="0200000043", peppol_mandate=True)
    assert services.registration_queue_after_import(firm=firm_a.firm, client_ids=[client.pk]) == 0
    assert not ClientPeppol.objects.exists()


def test_the_import_hook_ignores_clients_of_another_firm(firm_a, firm_b, smp, sml):
    configure(firm_a.admin, smp, auto_register=True)
    theirs = make_client(firm_b.admin, company_number="0200000043", peppol_mandate=True)
    assert services.registration_queue_after_import(firm=firm_a.firm, client_ids=[theirs.pk]) == 0


def test_a_mandate_ticked_but_never_confirmed_does_not_allow_registration(firm_a):
    client = make_client(firm_a.admin, company_number="0200000043", peppol_mandate=True)
    assert services.registration_problems(client) == []
    type(client).objects.filter(pk=client.pk).update(mandate_confirmed_at=None)
    client.refresh_from_db()
    assert services.registration_problems(client) == ["no_mandate"]


# Archiving ends the registration


def test_archiving_a_registered_client_deregisters_it(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)
    assert smp.service_groups
    with django_capture_on_commit_callbacks(execute=True):
        client_archive(membership=firm_a.manager, client=client_with_mandate)

    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert state.status == RegistrationStatus.NOT_REGISTERED
    assert smp.service_groups == {} and smp.business_cards == {}
    requested = ClientHistory.objects.get(
        client=client_with_mandate, action="peppol_deregistration_requested"
    )
    assert requested.actor == firm_a.manager.user
    assert actions(client_with_mandate)[-1] == "peppol_deregistered"


def test_archiving_a_client_that_was_never_registered_calls_no_smp(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_archive(membership=firm_a.manager, client=client_with_mandate)
    assert smp.calls == []
    assert not ClientPeppol.objects.filter(
        client=client_with_mandate, status=RegistrationStatus.PENDING
    ).exists()


def test_a_registration_archived_half_way_removes_what_it_created(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)
    # As a retry waiting after the service group was made, when the firm archives the client.
    ClientPeppol.objects.filter(client=client_with_mandate).update(
        status=RegistrationStatus.PENDING,
        operation=Operation.REGISTER,
        completed_steps=["service_group"],
    )
    Client.objects.filter(pk=client_with_mandate.pk).update(status=ClientStatus.ARCHIVED)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_run(client_id=client_with_mandate.pk)

    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert state.status == RegistrationStatus.NOT_REGISTERED
    assert smp.service_groups == {}


def test_a_registration_that_finishes_after_the_client_was_archived_is_undone(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks, monkeypatch
):
    card = runner.business_card_xml

    def archived_meanwhile(*args, **kwargs):
        Client.objects.filter(pk=client_with_mandate.pk).update(status=ClientStatus.ARCHIVED)
        return card(*args, **kwargs)

    monkeypatch.setattr(runner, "business_card_xml", archived_meanwhile)
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.NOT_REGISTERED
    assert smp.service_groups == {} and smp.business_cards == {}
    assert actions(client_with_mandate)[-3:] == [
        "peppol_registered",
        "peppol_deregistration_requested",
        "peppol_deregistered",
    ]


def test_an_import_queues_its_clients_with_a_mandate_in_the_importers_name(
    firm_a, smp, sml, django_capture_on_commit_callbacks
):
    from partnerspace.imports.pipeline import Importer
    from tests.imports.rows import client_row, sheet_of

    configure(firm_a.admin, smp, auto_register=True)
    rows = [client_row(1, peppol_mandate="Ja"), client_row(2, peppol_mandate="Nee")]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = Importer(firm=firm_a.firm, actor=firm_a.manager.user).run(sheet_of(rows))

    assert outcome.created == 2
    [state] = ClientPeppol.objects.all()
    assert state.status == RegistrationStatus.REGISTERED
    assert state.requested_by == firm_a.manager.user
    assert state.batch.created_by == firm_a.manager.user


def test_a_registration_that_fails_half_way_after_the_client_was_archived_is_cleaned_up(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks, monkeypatch
):
    card = runner.business_card_xml

    def archived_meanwhile(*args, **kwargs):
        Client.objects.filter(pk=client_with_mandate.pk).update(status=ClientStatus.ARCHIVED)
        return card(*args, **kwargs)

    monkeypatch.setattr(runner, "business_card_xml", archived_meanwhile)
    smp.fail(403, body="Not allowed", kind="business_card")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.NOT_REGISTERED
    assert smp.service_groups == {}
    assert actions(client_with_mandate)[-3:] == [
        "peppol_registration_failed",
        "peppol_deregistration_requested",
        "peppol_deregistered",
    ]


def test_bulk_archiving_deregisters_the_registered_clients_among_the_selection(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    from partnerspace.clients.services import clients_bulk_archive

    register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)
    other = make_client(firm_a.admin, "Slagerij Janssens BV")
    with django_capture_on_commit_callbacks(execute=True):
        clients_bulk_archive(membership=firm_a.manager, clients=[client_with_mandate, other])

    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert state.status == RegistrationStatus.NOT_REGISTERED
    assert smp.service_groups == {}
    assert not ClientPeppol.objects.filter(client=other).exists()


def test_the_last_failed_attempt_remembers_what_it_made_at_the_smp(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(runner, "MAX_ATTEMPTS", 1)
    smp.fail(503, kind="business_card")
    state = register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)

    assert state.status == RegistrationStatus.FAILED
    assert "service_group" in state.completed_steps
    # So archiving the client now removes what the failed registration left there.
    with django_capture_on_commit_callbacks(execute=True):
        client_archive(membership=firm_a.manager, client=client_with_mandate)
    assert smp.service_groups == {}


def test_a_draft_registered_on_peppol_is_not_deleted_until_it_is_deregistered(
    firm_a, peppol, smp, client_with_mandate, django_capture_on_commit_callbacks
):
    from partnerspace.clients.services import client_delete, clients_bulk_delete

    register(firm_a.manager, client_with_mandate, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as refused:
        client_delete(membership=firm_a.manager, client=client_with_mandate)
    assert refused.value.code == "registered"
    outcome = clients_bulk_delete(membership=firm_a.manager, clients=[client_with_mandate])
    assert (outcome.done, outcome.skipped) == (0, 1)
    assert Client.objects.filter(pk=client_with_mandate.pk).exists()
    assert smp.service_groups


def test_a_registration_another_run_holds_is_left_to_it_and_looked_at_again_when_it_ends(
    firm_a, peppol, smp, sml, settings, client_with_mandate, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    held_until = timezone.now() + timedelta(minutes=3)
    ClientPeppol.objects.filter(client=client_with_mandate).update(lease_until=held_until)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.registration_run(client_id=client_with_mandate.pk) == "claimed"
    assert smp.calls == []
    later = DBTaskResult.objects.get(run_after__gt=timezone.now(), run_after__year__lt=9999)
    assert held_until < later.run_after < held_until + timedelta(seconds=5)

    # Once the lease has run out (its worker is gone), the next run does the work, and each
    # call the SMP answered is kept at once, with the lease renewed.
    ClientPeppol.objects.filter(client=client_with_mandate).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    smp.fail(500, kind="business_card")
    assert services.registration_run(client_id=client_with_mandate.pk) == "retrying"
    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert state.completed_steps == sorted(
        ["service_group", f"metadata:{BIS_BILLING_INVOICE}", f"metadata:{BIS_BILLING_CREDIT_NOTE}"]
    )
    assert state.lease_until is None  # a retry waits in the queue, holding nothing
