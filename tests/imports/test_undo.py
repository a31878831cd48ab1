"""Undo a whole import: what it created and nobody touched goes, what it updated gets its
earlier values back, whatever changed since stays and is listed with the reason."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from partnerspace.clients.lifecycle import client_status_change
from partnerspace.clients.models import (
    Client,
    ClientAssignment,
    ClientHistory,
    ClientStatus,
    Contact,
    HistorySource,
)
from partnerspace.clients.services import client_assignments_set, client_update, contact_update
from partnerspace.core.errors import Conflict, NotAllowed
from partnerspace.firms.models import AuditEvent
from partnerspace.imports import services, undo
from partnerspace.imports.models import ImportJob, ImportMode, ImportStatus

from .rows import client_row, xlsx_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def imported(membership, rows, mode=ImportMode.CREATE) -> ImportJob:
    """An import from the page: uploaded, checked, imported."""
    job = services.import_job_create(
        membership=membership, file_name="klanten.xlsx", content=xlsx_of(rows), mode=mode
    )
    services.import_preview(job=job)
    job = services.import_start(membership=membership, job=job)
    assert job.status == ImportStatus.DONE
    return job


def undone(membership, import_id) -> undo.UndoPlan:
    """Confirm the undo as the page and the API do; its background run (the tests' tasks
    run at once) starts when the confirming transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.import_undo_start(membership=membership, import_id=import_id)
    job = ImportJob.objects.get(pk=import_id)
    assert job.undo_result is not None, "the undo did not finish"
    return undo.UndoPlan.from_json(job.undo_result)


def by_name(name: str) -> Client:
    return Client.objects.get(legal_name=name)


def test_the_clients_an_import_created_and_nobody_touched_are_deleted_with_all_they_have(firm_a):
    job = imported(firm_a.manager, [client_row(1), client_row(2)])
    first = by_name("Bakkerij 1 BV")
    ClientAssignment.objects.create(client=first, membership=firm_a.accountant)
    kept_by_hand = Client.objects.create(firm=firm_a.firm, legal_name="By hand BV")

    plan = undone(firm_a.manager, job.pk)

    assert (plan.deleted, plan.restored, plan.left_alone) == (2, 0, 0)
    assert sorted(item["name"] for item in plan.to_delete) == ["Bakkerij 1 BV", "Bakkerij 2 BV"]
    assert list(Client.objects.all()) == [kept_by_hand]
    assert not Contact.objects.exists()
    assert not ClientAssignment.objects.exists()
    job.refresh_from_db()
    assert job.undone_at is not None
    assert job.undone_by == firm_a.manager.user
    assert job.undo_result["deleted"] == 2


def test_each_deletion_and_the_undo_itself_are_in_the_firms_audit_log(firm_a):
    job = imported(firm_a.admin, [client_row(1)])
    undone(firm_a.admin, job.pk)

    deleted = AuditEvent.objects.get(action="client.deleted")
    assert deleted.target_label == "Bakkerij 1 BV"
    assert deleted.data["reason"] == "import_undone"
    assert deleted.data["import"] == job.pk
    assert deleted.actor == firm_a.admin.user
    whole = AuditEvent.objects.get(action="import.undone")
    assert whole.target_id == str(job.pk)
    assert whole.data == {"deleted": 1, "restored": 0, "left_alone": 0}


def test_a_client_invited_edited_or_given_staff_since_the_import_is_left_alone_and_listed(firm_a):
    job = imported(firm_a.manager, [client_row(n) for n in (1, 2, 3, 4)])
    invited = by_name("Bakkerij 1 BV")
    client_status_change(
        client=invited, status=ClientStatus.INVITED, actor=None, source=HistorySource.SYSTEM,
        action="invited",
    )  # fmt: skip
    client_update(
        membership=firm_a.manager, client=by_name("Bakkerij 2 BV"), data={"city": "Brugge"}
    )
    client_assignments_set(
        membership=firm_a.admin, client=by_name("Bakkerij 3 BV"),
        membership_ids=[firm_a.accountant.pk],
    )  # fmt: skip

    plan = undone(firm_a.manager, job.pk)

    assert (plan.deleted, plan.restored, plan.left_alone) == (1, 0, 3)
    reasons = {item["name"]: item["reason"] for item in plan.kept}
    assert reasons == {
        "Bakkerij 1 BV": "invited",
        "Bakkerij 2 BV": "edited",
        "Bakkerij 3 BV": "edited",
    }
    assert all(item["message"] for item in plan.kept)
    assert sorted(Client.objects.values_list("legal_name", flat=True)) == [
        "Bakkerij 1 BV",
        "Bakkerij 2 BV",
        "Bakkerij 3 BV",
    ]
    assert by_name("Bakkerij 2 BV").city == "Brugge"


def test_a_client_whose_contact_was_changed_since_is_left_alone(firm_a):
    job = imported(firm_a.manager, [client_row(1)])
    contact = Contact.objects.get()
    contact_update(membership=firm_a.manager, contact=contact, data={"first_name": "Els"})

    plan = services.import_undo_plan(membership=firm_a.manager, import_id=job.pk)

    assert (plan.deleted, plan.left_alone) == (0, 1)
    assert plan.kept[0]["reason"] == "edited"


def test_the_clients_an_import_updated_get_their_earlier_values_back(firm_a):
    imported(firm_a.manager, [client_row(1), client_row(2)])
    second = imported(
        firm_a.manager,
        [
            client_row(1, city="Brugge", street="Markt", contact_first_name="Els"),
            client_row(2, contact_email="nieuw@bakkerij2.be"),
            client_row(3),
        ],
        mode=ImportMode.UPDATE,
    )
    assert (second.created, second.updated) == (1, 2)

    plan = undone(firm_a.admin, second.pk)

    assert (plan.deleted, plan.restored, plan.left_alone) == (1, 2, 0)
    first = by_name("Bakkerij 1 BV")
    assert (first.street, first.city) == ("Kerkstraat", "Gent")
    assert first.contacts.get().first_name == "An"
    # The contact the update added goes; the one the client had stays its primary.
    assert list(by_name("Bakkerij 2 BV").contacts.values_list("email", "is_primary")) == [
        ("contact2@bakkerij2.be", True)
    ]
    assert not Client.objects.filter(legal_name="Bakkerij 3 BV").exists()
    row = first.history.first()
    assert (row.action, row.source, row.actor) == (
        undo.UNDONE_ACTION,
        HistorySource.IMPORT,
        firm_a.admin.user,
    )
    assert {"field": "city", "old": "Brugge", "new": "Gent"} in row.changes


def test_an_updated_client_changed_again_since_keeps_its_values_and_is_listed(firm_a):
    imported(firm_a.manager, [client_row(1)])
    second = imported(firm_a.manager, [client_row(1, city="Brugge")], mode=ImportMode.UPDATE)
    client_update(membership=firm_a.manager, client=by_name("Bakkerij 1 BV"), data={"iban": ""})

    plan = undone(firm_a.admin, second.pk)

    assert (plan.restored, plan.left_alone) == (0, 1)
    assert by_name("Bakkerij 1 BV").city == "Brugge"


def test_a_dry_run_says_what_the_undo_will_do_and_changes_nothing(firm_a):
    job = imported(firm_a.manager, [client_row(1), client_row(2)])
    client_update(
        membership=firm_a.manager, client=by_name("Bakkerij 2 BV"), data={"city": "Brugge"}
    )
    before = (Client.objects.count(), ClientHistory.objects.count(), AuditEvent.objects.count())

    plan = services.import_undo_plan(membership=firm_a.manager, import_id=job.pk)

    assert (plan.deleted, plan.restored, plan.left_alone) == (1, 0, 1)
    assert plan.to_delete == [{"id": by_name("Bakkerij 1 BV").pk, "name": "Bakkerij 1 BV"}]
    after = (Client.objects.count(), ClientHistory.objects.count(), AuditEvent.objects.count())
    assert after == before
    job.refresh_from_db()
    assert job.undone_at is None


def test_undoing_twice_does_nothing_the_second_time(firm_a):
    job = imported(firm_a.manager, [client_row(1)])
    undone(firm_a.manager, job.pk)
    # The same clients again: a second undo must not delete them.
    imported(firm_a.manager, [client_row(1)])
    events = AuditEvent.objects.count()

    with pytest.raises(Conflict) as refused:
        undone(firm_a.admin, job.pk)

    assert refused.value.code == "already_undone"
    assert Client.objects.count() == 1
    assert AuditEvent.objects.count() == events
    job.refresh_from_db()
    assert job.undone_by == firm_a.manager.user


def test_an_undo_claimed_meanwhile_is_refused_by_the_database_not_only_by_the_check(firm_a):
    """Two undos at once: both pass the first check; the claim, one conditional update on the
    job's row, lets only one through."""
    job = imported(firm_a.manager, [client_row(1)])
    stale = ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(undone_at=timezone.now())  # the other undo

    with pytest.raises(Conflict) as refused:
        services.import_undo_run(job=stale, actor=firm_a.admin.user, dry_run=False)

    assert refused.value.code == "already_undone"
    assert Client.objects.count() == 1


def test_an_import_older_than_30_days_is_refused_with_a_translated_message(firm_a):
    job = imported(firm_a.manager, [client_row(1)])
    long_ago = timezone.now() - timedelta(days=31)
    ImportJob.objects.filter(pk=job.pk).update(
        import_started_at=long_ago, started_at=long_ago, created_at=long_ago
    )

    with translation.override("nl"), pytest.raises(Conflict) as refused:
        services.import_undo_plan(membership=firm_a.manager, import_id=job.pk)

    assert refused.value.code == "undo_too_late"
    assert "30 dagen" in str(refused.value.message)
    assert Client.objects.count() == 1


def test_a_check_that_wrote_nothing_has_nothing_to_undo(firm_a):
    job = services.import_job_create(
        membership=firm_a.manager, file_name="k.xlsx", content=xlsx_of([client_row(1)])
    )
    services.import_preview(job=job)

    with pytest.raises(Conflict) as refused:
        services.import_undo_plan(membership=firm_a.manager, import_id=job.pk)

    assert refused.value.code == "nothing_to_undo"


def test_another_firms_import_is_not_found_and_an_accountant_may_not_undo(firm_a, firm_b):
    job = imported(firm_a.manager, [client_row(1)])

    with pytest.raises(Http404):
        undone(firm_b.admin, job.pk)
    with pytest.raises(NotAllowed):
        undone(firm_a.accountant, job.pk)

    assert Client.objects.count() == 1


def test_an_undone_import_cannot_be_resumed(firm_a):
    job = imported(firm_a.manager, [client_row(1)])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.INTERRUPTED)
    undone(firm_a.manager, job.pk)

    assert not ImportJob.objects.get(pk=job.pk).can_resume


def test_the_undo_works_in_batches_of_a_fixed_number_of_queries(firm_a):
    """Deleting twice as many clients takes as many queries: a query count per batch, not
    per client."""

    def queries_to_undo(rows: int, first: int) -> int:
        job = imported(firm_a.manager, [client_row(first + n) for n in range(rows)])
        stale = ImportJob.objects.get(pk=job.pk)
        with CaptureQueriesContext(connection) as captured:
            plan = undo.undo_plan(stale, write=True, actor=firm_a.manager.user, batch_size=100)
        assert plan.deleted == rows
        return len(captured)

    assert queries_to_undo(40, 1) == queries_to_undo(80, 100)


def test_a_client_registered_on_peppol_since_the_import_is_left_alone(firm_a):
    from partnerspace.clients.history import history_record

    job = imported(firm_a.manager, [client_row(1, peppol_mandate="Ja")])
    # As the Peppol app records a registration it asked for, after the import.
    history_record(
        client=by_name("Bakkerij 1 BV"), actor=None, source=HistorySource.SYSTEM,
        action="peppol_registration_requested",
    )  # fmt: skip

    plan = undone(firm_a.manager, job.pk)

    assert (plan.deleted, plan.left_alone) == (0, 1)
    assert plan.kept[0]["reason"] == "peppol"
    assert Client.objects.count() == 1


def test_the_history_of_an_update_by_import_holds_the_values_it_replaced(firm_a):
    """The undo's only source: each field's old value, and the contact's earlier values."""
    imported(firm_a.manager, [client_row(1)])
    second = imported(
        firm_a.manager, [client_row(1, city="Brugge", contact_first_name="Els")],
        mode=ImportMode.UPDATE,
    )  # fmt: skip

    row = ClientHistory.objects.get(action="updated")

    assert row.operation == undo.import_operation(second.token)
    assert {"field": "city", "old": "Gent", "new": "Brugge"} in row.changes
    contact = next(change for change in row.changes if change["field"] == "contact")
    assert contact["contact_id"] == Contact.objects.get().pk
    assert contact["before"] == {"first_name": "An"}


class Crash(Exception):
    """The process running the undo dies (a kill, out of memory): nothing after it runs."""


def test_an_undo_whose_run_died_is_taken_up_by_the_recovery_pass_from_its_last_batch(
    firm_a, monkeypatch, settings
):
    from partnerspace.imports.recovery import import_undos_recover

    job = imported(firm_a.manager, [client_row(n) for n in range(1, 6)])
    with TestCase.captureOnCommitCallbacks(execute=False):  # queued, not yet taken
        services.import_undo_start(membership=firm_a.manager, import_id=job.pk)
    monkeypatch.setattr(undo, "BATCH_SIZE", 2)
    batch = undo._batch
    calls = {"n": 0}

    def dies_in_the_second_batch(*args, **kwargs):
        calls["n"] += 1
        batch(*args, **kwargs)
        if calls["n"] == 2:
            raise Crash

    monkeypatch.setattr(undo, "_batch", dies_in_the_second_batch)
    with pytest.raises(Crash):
        services.import_undo_continue(job_id=job.pk)

    job.refresh_from_db()
    # The first batch is written and counted; the second rolled back with the crash.
    assert (job.undo_processed, job.undo_total, job.undo_result) == (2, 5, None)
    assert Client.objects.count() == 3
    assert job.undo_running and not services.undo_stalled(job)  # its lease still runs
    assert import_undos_recover() == []

    monkeypatch.setattr(undo, "_batch", batch)
    later = timezone.now() + timedelta(seconds=settings.PARTNERSPACE_IMPORT_LEASE_SECONDS + 1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert import_undos_recover(now=later) == [job.pk]

    job.refresh_from_db()
    assert not Client.objects.exists()
    # Counted once each: the clients the dead run deleted are not listed as "gone".
    assert (job.undo_result["deleted"], job.undo_result["left_alone"]) == (5, 0)
    assert (job.undo_processed, job.undo_lease_until) == (5, None)
    assert AuditEvent.objects.filter(action="import.undone").count() == 1
    assert AuditEvent.objects.filter(action="client.deleted").count() == 5


def test_an_undo_left_without_a_lease_by_an_older_run_is_finished_by_recovery(firm_a):
    """An undo claimed before undos ran in the background, whose process died: undone_at
    set, no result, no lease. The recovery pass finishes it."""
    from partnerspace.imports.recovery import import_undos_recover

    job = imported(firm_a.manager, [client_row(1)])
    ImportJob.objects.filter(pk=job.pk).update(
        undone_at=timezone.now(), undone_by=firm_a.manager.user
    )

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert import_undos_recover() == [job.pk]

    job.refresh_from_db()
    assert job.undo_result["deleted"] == 1
    assert not Client.objects.exists()


def test_a_run_that_lost_its_lease_writes_nothing_more(firm_a, monkeypatch):
    """Two runs of one undo (the first thought dead, the second queued by recovery): the
    first's next batch finds it is no longer the undo's latest run and rolls back."""
    job = imported(firm_a.manager, [client_row(n) for n in range(1, 5)])
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.import_undo_start(membership=firm_a.manager, import_id=job.pk)
    monkeypatch.setattr(undo, "BATCH_SIZE", 2)
    batch = undo._batch

    def another_run_takes_over(*args, **kwargs):
        batch(*args, **kwargs)
        ImportJob.objects.filter(pk=job.pk).update(undo_attempts=99)

    monkeypatch.setattr(undo, "_batch", another_run_takes_over)

    assert services.import_undo_continue(job_id=job.pk) is None

    job.refresh_from_db()
    assert (job.undo_processed, job.undo_result) == (0, None)
    assert Client.objects.count() == 4


def test_restoring_updated_clients_takes_a_fixed_number_of_queries_per_batch(firm_a):
    """40 or 80 clients restored (their details and contact person) in one batch: as many
    queries, not ~19 per client."""

    def queries_to_restore(rows: int, first: int) -> int:
        numbers = range(first, first + rows)
        imported(firm_a.manager, [client_row(n) for n in numbers])
        update = imported(
            firm_a.manager,
            [client_row(n, city="Brugge", contact_first_name="Els") for n in numbers],
            mode=ImportMode.UPDATE,
        )
        assert update.updated == rows
        with CaptureQueriesContext(connection) as captured:
            plan = undo.undo_plan(update, write=True, actor=firm_a.manager.user)
        assert (plan.restored, plan.left_alone) == (rows, 0)
        assert set(Client.objects.filter(pk__in=[c["id"] for c in plan.to_restore])
                   .values_list("city", flat=True)) == {"Gent"}  # fmt: skip
        assert not Contact.objects.filter(first_name="Els").exists()
        return len(captured)

    assert queries_to_restore(40, 1) == queries_to_restore(80, 100)


def test_a_restore_that_would_duplicate_another_client_is_left_alone_with_the_reason(firm_a):
    imported(firm_a.manager, [client_row(1)])
    second = imported(
        firm_a.manager, [client_row(1, external_reference="K-NEW")], mode=ImportMode.UPDATE
    )
    # Meanwhile another client took the reference the import replaced.
    Client.objects.create(firm=firm_a.firm, legal_name="Other BV", external_reference="K-00001")

    plan = undone(firm_a.admin, second.pk)

    assert (plan.restored, plan.left_alone) == (0, 1)
    assert plan.kept[0]["reason"] == "already_exists"
    assert by_name("Bakkerij 1 BV").external_reference == "K-NEW"


def test_a_mandate_is_given_back_only_by_someone_who_may_change_mandates(firm_a):
    imported(firm_a.manager, [client_row(1), client_row(2)])
    second = imported(
        firm_a.manager,
        [client_row(1, peppol_mandate="Ja"), client_row(2, city="Brugge")],
        mode=ImportMode.UPDATE,
    )
    assert by_name("Bakkerij 1 BV").peppol_mandate

    plan = services.import_undo_run(
        job=second, actor=firm_a.accountant.user, dry_run=False, may_change_mandate=False
    )

    assert (plan.restored, plan.left_alone) == (1, 1)
    assert plan.kept[0]["name"] == "Bakkerij 1 BV"
    assert plan.kept[0]["reason"] == "not_allowed"
    assert by_name("Bakkerij 1 BV").peppol_mandate
    assert by_name("Bakkerij 2 BV").city == "Gent"
