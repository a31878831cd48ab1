"""VIES checks of clients' VAT numbers: queued by any door, made by the worker only.

A check is asked for by marking the client's VatCheck row queued (`vat_checks_queue`, in the
transaction of the change that asks for it) and waking the worker once that commits. The
worker's run (`vat_checks_run`) first takes one of the VIES_SLOTS slots of the installation,
then the due checks one by one; with no slot free it ends at once, since the runs holding the
slots take up whatever is due. A number VIES answered in the last VIES_CACHE is not asked
again: that answer is used. A failure that may pass (MS_UNAVAILABLE, TIMEOUT, …) is tried
again with back-off, and shows as "unavailable", never as "invalid".
"""

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.clients.counts import clients_changed
from partnerspace.clients.models import Client, ClientStatus
from partnerspace.core.bulk import BulkOutcome
from partnerspace.core.errors import Conflict, require_role, require_same_firm
from partnerspace.core.retry import backoff_delay, enqueue_after
from partnerspace.firms.models import Membership
from partnerspace.identifiers.rules import vies_parts
from partnerspace.vies.models import VatCheck, ViesAnswer, ViesSlot, ViesState
from partnerspace.vies.rest import ViesResult, vies_ask, vies_enabled

log = logging.getLogger(__name__)

# At most this many calls to VIES at once in the whole installation, whatever the number of
# workers: VIES answers more with MS_MAX_CONCURRENT_REQ than with a number.
VIES_SLOTS = 2
# A number VIES answered is not asked again for this long.
VIES_CACHE = timedelta(hours=24)
# Attempts before a check that keeps failing is left "unavailable" (back-off: core.retry,
# 1 min to 6 h between them, about ten hours in all).
MAX_ATTEMPTS = 6
# How long a run holds the check it took: far above one call (bounded by
# PARTNERSPACE_VIES_TIMEOUT); past it, its worker is gone and another run takes it.
CHECK_LEASE = timedelta(minutes=3)
# How long one run keeps going before it hands over to a fresh task, queued behind what
# waits (below RUN_LEASE): a batch of thousands of checks shares the worker with imports and
# invitations instead of holding it for minutes.
RUN_BUDGET = timedelta(seconds=30)
# The task's own lease (core.recovery): a run never lasts longer.
RUN_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class ToCheck:
    """A client whose VAT number is to be checked: its id, firm and number as it is now."""

    client_id: int
    firm_id: int
    vat_number: str | None


def _slot_lease() -> timedelta:
    return timedelta(seconds=float(settings.PARTNERSPACE_VIES_TIMEOUT) + 30)


# Queueing


def vat_checks_queue(*, clients: Iterable[ToCheck]) -> int:
    """Ask for a check of each client's VAT number, in the caller's transaction, in a fixed
    number of queries; the worker is woken once it commits. A client whose number VIES does
    not know (none, or outside the EU) loses its VIES state. A new number starts over as
    "being checked"; the same number keeps what VIES said until the new answer. Returns how
    many checks were queued (0 when the installation makes no VIES checks)."""
    if not vies_enabled():
        return 0
    wanted = {item.client_id: item for item in clients}
    if not wanted:
        return 0
    now = timezone.now()
    with transaction.atomic():
        existing = {
            check.client_id: check
            for check in VatCheck.objects.select_for_update().filter(client_id__in=list(wanted))
        }
        gone: list[int] = []
        new: list[VatCheck] = []
        changed: list[VatCheck] = []
        # The firms whose count of clients per VIES state changes (the list's filter).
        recount: set[int] = set()
        for client_id, item in wanted.items():
            parts = vies_parts(item.vat_number)
            check = existing.get(client_id)
            if parts is None:
                if check is not None:
                    gone.append(check.pk)
                    recount.add(check.firm_id)
                continue
            if check is None:
                check = VatCheck(
                    client_id=client_id,
                    firm_id=item.firm_id,
                    country_code=parts[0],
                    number=parts[1],
                )
                new.append(check)
                recount.add(item.firm_id)
            else:
                changed.append(check)
                if (check.country_code, check.number) != parts:
                    _forget_answer(check, parts)
                    recount.add(check.firm_id)
            check.queued_at = check.queued_at or now
            check.attempts = 0
            check.next_attempt_at = None
            # A run asking about the old number finds its lease gone and drops the answer.
            check.lease_until = None
        if gone:
            VatCheck.objects.filter(pk__in=gone).delete()
        VatCheck.objects.bulk_create(new, batch_size=1000)
        VatCheck.objects.bulk_update(changed, _QUEUE_FIELDS, batch_size=1000)
        clients_changed(firm_ids=recount)
    queued = len(new) + len(changed)
    if queued:
        transaction.on_commit(_wake, robust=True)
    return queued


_QUEUE_FIELDS = [
    "state",
    "country_code",
    "number",
    "checked_at",
    "error_code",
    "answered_at",
    "answer_valid",
    "request_date",
    "consultation_number",
    "requester",
    "vies_name",
    "vies_address",
    "queued_at",
    "attempts",
    "next_attempt_at",
    "lease_until",
]


def _forget_answer(check: VatCheck, parts: tuple[str, str]) -> None:
    """What VIES said was about another number."""
    check.country_code, check.number = parts
    check.state = ViesState.PENDING
    check.checked_at = None
    check.error_code = ""
    check.answered_at = None
    check.answer_valid = None
    check.request_date = ""
    check.consultation_number = ""
    check.requester = ""
    check.vies_name = ""
    check.vies_address = ""


def _wake() -> None:
    from partnerspace.vies.tasks import run_vat_checks

    run_vat_checks.enqueue()


def vat_check_request(*, membership: Membership, client: Client) -> VatCheck:
    """Check the client's VAT number now (in the background), on a staff member's demand."""
    require_role(membership.can_check_vat)
    require_same_firm(membership, client)
    _refuse_unless_enabled()
    if vies_parts(client.vat_number) is None:
        raise Conflict(
            "no_vat_number",
            _("This client has no EU VAT number that VIES can check."),
            field="vat_number",
        )
    vat_checks_queue(clients=[ToCheck(client.pk, client.firm_id, client.vat_number)])
    return VatCheck.objects.get(client=client)


def vat_checks_bulk_request(*, membership: Membership, clients: Iterable[Client]) -> BulkOutcome:
    """Check the VAT numbers of a selection; clients without one VIES knows are skipped."""
    require_role(membership.can_check_vat)
    _refuse_unless_enabled()
    clients = list(clients)
    for client in clients:
        require_same_firm(membership, client)
    checkable = [
        ToCheck(client.pk, client.firm_id, client.vat_number)
        for client in clients
        if vies_parts(client.vat_number) is not None
    ]
    queued = vat_checks_queue(clients=checkable)
    return BulkOutcome(done=queued, skipped=len(clients) - queued)


def _refuse_unless_enabled() -> None:
    if not vies_enabled():
        raise Conflict("vies_off", _("This installation makes no VIES checks."))


# The concurrency limit


def slot_acquire(holder: str) -> int | None:
    """Take a free slot for `holder`; None when all VIES_SLOTS are held. Each attempt is one
    conditional UPDATE, outside any transaction, which the database grants to one process."""
    ViesSlot.objects.bulk_create(
        [ViesSlot(number=number) for number in range(VIES_SLOTS)], ignore_conflicts=True
    )
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    for number in range(VIES_SLOTS):
        if (
            ViesSlot.objects.filter(free, number=number).update(
                holder=holder, lease_until=now + _slot_lease()
            )
            == 1
        ):
            return number
    return None


def slot_renew(number: int, holder: str) -> bool:
    return bool(
        ViesSlot.objects.filter(number=number, holder=holder).update(
            lease_until=timezone.now() + _slot_lease()
        )
    )


def slot_release(number: int, holder: str) -> None:
    ViesSlot.objects.filter(number=number, holder=holder).update(holder="", lease_until=None)


# The worker's run


def _due(now: datetime) -> Q:
    return (
        Q(queued_at__isnull=False)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    )


def _claim_next() -> VatCheck | None:
    """Take the oldest due check, holding it for CHECK_LEASE; None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        check = (
            VatCheck.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("queued_at", "pk")
            .first()
        )
        if check is None:
            return None
        check.lease_until = now + CHECK_LEASE
        check.attempts += 1
        check.save(update_fields=["lease_until", "attempts"])
        return check


def vat_checks_run() -> int:
    """The task body: make the due checks, at most VIES_SLOTS runs at once; how many done."""
    holder = uuid.uuid4().hex
    ends_at = time.monotonic() + RUN_BUDGET.total_seconds()
    done = 0
    while True:
        slot = slot_acquire(holder)
        if slot is None:
            return done  # the runs holding the slots take up what is due
        try:
            while time.monotonic() < ends_at:
                check = _claim_next()
                if check is None:
                    break
                slot_renew(slot, holder)
                vat_check_make(check)
                done += 1
        finally:
            slot_release(slot, holder)
        due = VatCheck.objects.filter(_due(timezone.now())).exists()
        if due and time.monotonic() >= ends_at:
            _wake()  # a fresh task goes on
            break
        if not due:
            # Anything queued while this run held its slot was seen above; a retry later on
            # wakes a run then.
            break
    _come_back_for_retries()
    return done


def vat_checks_recover() -> int:
    """A recovery pass of the workers (core.recovery): due checks that no run is taking up
    (the wake-up after their commit was lost, or the run holding a slot died) get a run.
    Nothing while a run holds a slot: it takes up whatever is due."""
    if not vies_enabled():
        return 0
    now = timezone.now()
    if ViesSlot.objects.filter(lease_until__gte=now).exists():
        return 0
    # A check queued a moment ago has its own wake-up on the way.
    waiting = VatCheck.objects.filter(_due(now), queued_at__lt=now - timedelta(minutes=1))
    if not waiting.exists():
        return 0
    _wake()
    return 1


def _come_back_for_retries() -> None:
    from partnerspace.vies.tasks import run_vat_checks

    if not run_vat_checks.get_backend().supports_defer:
        return  # the immediate backend (tests) would run it now, and again, for ever
    earliest = VatCheck.objects.filter(
        queued_at__isnull=False, next_attempt_at__gt=timezone.now()
    ).aggregate(at=Min("next_attempt_at"))["at"]
    if earliest is not None:
        enqueue_after(run_vat_checks, earliest - timezone.now() + timedelta(seconds=1))


def vat_check_make(check: VatCheck) -> str:
    """Make one check the run holds: from a fresh answer when there is one, else by asking
    VIES (outside any transaction). Returns the state written."""
    client = Client.objects.select_related("firm").filter(pk=check.client_id).first()
    if client is None:
        return "gone"
    requester_parts = vies_parts(client.firm.vat_number)
    requester = "".join(requester_parts) if requester_parts else ""
    # With a requester the answer is the firm's own (ViesAnswer); without, shared.
    owner = client.firm if requester else None
    cached = (
        ViesAnswer.objects.filter(
            country_code=check.country_code,
            number=check.number,
            requester=requester,
            firm=owner,
            answered_at__gte=timezone.now() - VIES_CACHE,
        )
        .order_by()
        .first()
    )
    # The firm's own answer keeps its time, beside its consultation number; a fresh one, or a
    # shared one (no requester), is dated now: a shared one's time would tell of another firm.
    answered_at = cached.answered_at if cached is not None and owner is not None else None
    if cached is not None:
        result = ViesResult(
            valid=cached.valid,
            error_code=cached.error_code,
            request_date=cached.request_date,
            consultation_number=cached.consultation_number,
            name=cached.name,
            address=cached.address,
        )
    else:
        result = vies_ask(check.country_code, check.number, requester=requester_parts)
        if result.valid is not None:
            ViesAnswer.objects.update_or_create(
                country_code=check.country_code,
                number=check.number,
                requester=requester,
                firm=owner,
                defaults={
                    "valid": result.valid,
                    "error_code": result.error_code,
                    "request_date": result.request_date,
                    "consultation_number": result.consultation_number,
                    "name": result.name,
                    "address": result.address,
                    "answered_at": timezone.now(),
                },
            )
    return _finish(check, result, requester, answered_at=answered_at)


@transaction.atomic
def _finish(
    claimed: VatCheck, result: ViesResult, requester: str, *, answered_at: datetime | None = None
) -> str:
    check = VatCheck.objects.select_for_update().filter(pk=claimed.pk).first()
    if (
        check is None
        or check.lease_until != claimed.lease_until
        or (check.country_code, check.number) != (claimed.country_code, claimed.number)
    ):
        return "superseded"  # queued again (another number, or asked again) meanwhile
    now = timezone.now()
    if _state_after(result) != check.state:
        clients_changed(firm_ids=[check.firm_id])  # the list's counts per state
    check.checked_at = now
    check.lease_until = None
    if result.valid is not None:
        check.state = _state_after(result)
        check.error_code = result.error_code
        check.answered_at = answered_at or now
        check.answer_valid = result.valid
        check.request_date = result.request_date
        check.consultation_number = result.consultation_number
        check.requester = requester
        check.vies_name = result.name
        check.vies_address = result.address
        check.queued_at = None
        check.next_attempt_at = None
        check.save()
        return check.state
    check.state = ViesState.UNAVAILABLE
    check.error_code = result.error_code
    if result.retryable and check.attempts < MAX_ATTEMPTS:
        check.next_attempt_at = now + backoff_delay(check.attempts)
        log.warning(
            "VIES check of client %s failed (%s); attempt %s, next in %s",
            check.client_id,
            result.error_code,
            check.attempts,
            check.next_attempt_at - now,
        )
    else:
        check.queued_at = None
        check.next_attempt_at = None
        log.warning(
            "VIES check of client %s failed (%s); not tried again",
            check.client_id,
            result.error_code,
        )
    check.save()
    return check.state


def _state_after(result: ViesResult) -> str:
    if result.valid is None:
        return ViesState.UNAVAILABLE
    return ViesState.VALID if result.valid else ViesState.INVALID


def vat_checks_of_company_follow(*, client: Client) -> list[ToCheck]:
    """The other firms' records of the client's company take its new VAT number with it
    (companies mirrors it): they are checked as well."""
    if not client.company_id:
        return []
    return [
        ToCheck(other.pk, other.firm_id, client.vat_number)
        for other in Client.objects.filter(company_id=client.company_id, status=ClientStatus.ACTIVE)
        .exclude(pk=client.pk)
        .only("pk", "firm_id")
    ]
