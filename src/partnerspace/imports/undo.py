"""Undo a whole import, from the history rows it wrote.

Every history row an import writes carries its operation ("import:<token>",
clients.history.history_operation). From those rows, batch by batch:
- a client it created that is still a Draft with no change since is deleted (with its
  contacts, links and staff assignments; a line in the firm's audit log);
- a client it updated gets the values that row replaced (its "old" values) back;
- any other client changed since (invited, activated, archived, edited, registered on Peppol,
  deleted) is left alone, and listed with the reason.
A dry run computes the same plan and writes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerspace.accounts.models import User
from partnerspace.clients import events
from partnerspace.clients.history import history_operation
from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.clients.services import clients_drafts_delete, clients_values_restore
from partnerspace.core.errors import Conflict, ServiceError
from partnerspace.imports.models import ImportJob, ImportStatus

# An import can be undone for this many days after it ran.
UNDO_DAYS = 30
# History rows of the import handled per batch (and per transaction when writing).
BATCH_SIZE = 500
# Clients listed by name in each list of a plan; the counts hold them all.
LISTED = 500
# The history action of a restore, as the client's page shows it.
UNDONE_ACTION = "import_undone"

REASONS = {
    "gone": gettext_lazy("Deleted since the import."),
    "invited": gettext_lazy("Invited since the import."),
    "activated": gettext_lazy("Active since the import."),
    "archived": gettext_lazy("Archived since the import."),
    "peppol": gettext_lazy("Registered on Peppol since the import."),
    "edited": gettext_lazy("Changed since the import."),
}
STATUS_REASONS: dict[str, str] = {
    ClientStatus.INVITED: "invited",
    ClientStatus.ACTIVE: "activated",
    ClientStatus.ARCHIVED: "archived",
}
ACTION_REASONS = {"invited": "invited", "accepted": "activated", "registered": "activated"}


def import_operation(token: str) -> str:
    """The operation the history rows of the import with this token carry."""
    return f"import:{token}"


def undo_operation(job: ImportJob) -> str:
    """The operation the undo's own history rows carry: not the import's, so that they
    count as a change since the import."""
    return f"undo:{job.token}"


def undo_deadline(job: ImportJob):
    return (job.import_started_at or job.started_at or job.created_at) + timedelta(days=UNDO_DAYS)


def undo_refusal(job: ImportJob) -> Conflict | None:
    """Why this import cannot be undone now, or None."""
    if job.undone_at is not None:
        return Conflict("already_undone", _("This import was undone already."))
    if job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}:
        return Conflict(
            "import_running", _("This import is still running: undo it once it has finished.")
        )
    if job.import_started_at is None or job.status not in {
        ImportStatus.DONE,
        ImportStatus.INTERRUPTED,
        ImportStatus.FAILED,
    }:
        return Conflict(
            "nothing_to_undo", _("This import wrote no client: there is nothing to undo.")
        )
    if timezone.now() > undo_deadline(job):
        return Conflict(
            "undo_too_late",
            _(
                "This import ran more than %(days)s days ago: it can no longer be undone. "
                "Delete or change its clients in the client list."
            )
            % {"days": UNDO_DAYS},
        )
    return None


@dataclass
class UndoPlan:
    """What an undo will do (a dry run) or did: counts, and the first LISTED of each list."""

    deleted: int = 0
    restored: int = 0
    left_alone: int = 0
    to_delete: list[dict[str, Any]] = field(default_factory=list)
    to_restore: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)

    def delete(self, client_id: int, name: str) -> None:
        self.deleted += 1
        if len(self.to_delete) < LISTED:
            self.to_delete.append({"id": client_id, "name": name})

    def restore(self, client_id: int, name: str, fields: list[str]) -> None:
        self.restored += 1
        if len(self.to_restore) < LISTED:
            self.to_restore.append({"id": client_id, "name": name, "fields": fields})

    def keep(self, client_id: int, name: str, reason: str, message: str) -> None:
        self.left_alone += 1
        if len(self.kept) < LISTED:
            self.kept.append({"id": client_id, "name": name, "reason": reason, "message": message})

    def as_json(self) -> dict[str, Any]:
        return {
            "deleted": self.deleted,
            "restored": self.restored,
            "left_alone": self.left_alone,
            "to_delete": self.to_delete,
            "to_restore": self.to_restore,
            "left_alone_clients": self.kept,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "UndoPlan":
        return cls(
            deleted=data.get("deleted", 0),
            restored=data.get("restored", 0),
            left_alone=data.get("left_alone", 0),
            to_delete=data.get("to_delete", []),
            to_restore=data.get("to_restore", []),
            kept=data.get("left_alone_clients", []),
        )


@dataclass(frozen=True, slots=True)
class _Row:
    history_id: int
    client_id: int
    action: str
    changes: list[dict[str, Any]]

    @property
    def name(self) -> str:
        """The client's name as the import wrote it (a client gone has no other)."""
        for change in self.changes:
            if change["field"] == "legal_name":
                return str(change["new"] or "")
        return ""


def undo_rows(job: ImportJob) -> QuerySet[ClientHistory]:
    """The history rows the undo goes through: the clients the import created or updated."""
    return ClientHistory.objects.filter(
        operation=import_operation(job.token), action__in=("created", "updated")
    ).order_by("id")


def undo_plan(
    job: ImportJob,
    *,
    write: bool,
    actor: User | None = None,
    may_change_mandate: bool = True,
    batch_size: int | None = None,
    after: int = 0,
    plan: UndoPlan | None = None,
    on_batch: Callable[[int, int, UndoPlan], None] | None = None,
) -> UndoPlan:
    """The undo of `job`, batch by batch: planned (write False) or done. The caller claimed
    the job for a write (imports.services.import_undo_start).

    A write goes on after the history row `after`, adding to `plan` (what earlier batches
    did), and calls `on_batch(last history id, rows handled, plan)` inside each batch's
    transaction: what it records there commits with the batch, or not at all, so that a run
    that dies is taken up after its last whole batch (imports.services.import_undo_continue).
    `on_batch` may raise to roll its batch back."""
    plan = plan if plan is not None else UndoPlan()
    batch_size = batch_size or BATCH_SIZE
    rows_of_import = undo_rows(job)
    last = after
    while True:
        rows = [
            _Row(*values)
            for values in rows_of_import.filter(id__gt=last).values_list(
                "id", "client_id", "action", "changes"
            )[:batch_size]
        ]
        if not rows:
            return plan
        last = rows[-1].history_id
        if write:
            with transaction.atomic(), history_operation(undo_operation(job)):
                _batch(job, rows, plan, write=True, actor=actor, mandate=may_change_mandate)
                if on_batch is not None:
                    on_batch(last, len(rows), plan)
        else:
            _batch(job, rows, plan, write=False, actor=actor, mandate=may_change_mandate)


def _batch(
    job: ImportJob,
    rows: list[_Row],
    plan: UndoPlan,
    *,
    write: bool,
    actor: User | None,
    mandate: bool,
) -> None:
    operation = import_operation(job.token)
    ids = [row.client_id for row in rows]
    query = Client.objects.filter(pk__in=ids, firm_id=job.firm_id)
    if write:
        query = query.select_for_update()
    clients = {
        pk: (status, name) for pk, status, name in query.values_list("pk", "status", "legal_name")
    }
    # The rows written since the import's row of each client: by anyone but the import,
    # and the Peppol registration the import asked for, which ran after it.
    since: dict[int, list[tuple[int, str, list]]] = {}
    later = (
        ClientHistory.objects.filter(client_id__in=ids, id__gt=rows[0].history_id)
        .exclude(Q(operation=operation) & ~Q(action__startswith="peppol_"))
        .values_list("client_id", "id", "action", "changes")
    )
    for client_id, history_id, action, changes in later:
        since.setdefault(client_id, []).append((history_id, action, changes))
    to_delete: dict[int, str] = {}
    to_restore: list[tuple[_Row, str]] = []
    for row in rows:
        found = clients.get(row.client_id)
        if found is None:
            plan.keep(row.client_id, row.name, "gone", str(REASONS["gone"]))
            continue
        status, name = found
        reason = _reason(row, status, since.get(row.client_id, ()))
        if reason is not None:
            plan.keep(row.client_id, name, reason, str(REASONS[reason]))
        elif row.action == "created":
            to_delete[row.client_id] = name
        else:
            to_restore.append((row, name))
    _deletions(job, to_delete, plan, write=write, actor=actor)
    refused: dict[int, ServiceError] = {}
    if write and to_restore:
        refused = clients_values_restore(
            firm_id=job.firm_id,
            restores=[(row.client_id, row.changes) for row, _name in to_restore],
            actor=actor,
            source=HistorySource.IMPORT,
            action=UNDONE_ACTION,
            may_change_mandate=mandate,
        )
    for row, name in to_restore:
        refusal = refused.get(row.client_id)
        if refusal is None:
            plan.restore(row.client_id, name, [change["field"] for change in row.changes])
        else:
            plan.keep(row.client_id, name, refusal.code, str(refusal.message))


def _reason(row: _Row, status: str, since) -> str | None:
    """Why the client must be left alone: changed since the import (None: it was not)."""
    later = [entry for entry in since if entry[0] > row.history_id]
    if row.action == "created" and status in STATUS_REASONS:
        return STATUS_REASONS[status]
    for _id, action, changes in later:
        if action in ACTION_REASONS:
            return ACTION_REASONS[action]
        if action == "status_changed":
            new = next((c["new"] for c in changes if c["field"] == "status"), None)
            if new in STATUS_REASONS:
                return STATUS_REASONS[new]
    if any(action.startswith("peppol_") for _id, action, _c in later):
        return "peppol"
    if later:
        return "edited"
    return None


def _deletions(
    job: ImportJob, wanted: dict[int, str], plan: UndoPlan, *, write: bool, actor: User | None
) -> None:
    if not wanted:
        return
    if write:
        deleted, refused = clients_drafts_delete(
            firm_id=job.firm_id,
            actor=actor,
            client_ids=list(wanted),
            audit_data={"reason": "import_undone", "import": job.pk},
        )
    else:
        refused = events.deletion_refusals(list(wanted))
        deleted = [pk for pk in wanted if pk not in refused]
    for pk in deleted:
        plan.delete(pk, wanted[pk])
    for pk, refusal in refused.items():
        plan.keep(pk, wanted[pk], refusal.code, str(refusal.message))
