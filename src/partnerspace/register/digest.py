"""The register watch's digest: after an update, one e-mail per person, listing the changes
the update flagged for the clients assigned to them, in the person's language.

Run by the worker (register.tasks) once the watch pass has committed. A firm may switch the
digest off (`Firm.register_digest`). Each person's mail is claimed first (RegisterDigestSent),
so a task that runs twice sends it once; a mail that fails gives its claim back and the task
fails, for the queue to run it again. A claim still unsent after CLAIM_LEASE was left by a
worker that stopped mid-send: the next run takes it again (core.recovery queues the task
again after the lease, and a run that finds a younger claim comes back when it runs out), so
no digest is lost.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks.base import Task

from partnerspace.clients.models import ClientAssignment
from partnerspace.core.delivery import CLAIM_LEASE
from partnerspace.core.mail import mail_send
from partnerspace.core.retry import enqueue_after
from partnerspace.firms.models import Membership
from partnerspace.register.models import ChangeState, RegisterChange, RegisterDigestSent
from partnerspace.register.selectors import ChangeShown, change_shown, register_codes

logger = logging.getLogger(__name__)

TEMPLATE = "register/email/digest"


@dataclass
class DigestClient:
    name: str
    path: str
    changes: list[ChangeShown] = field(default_factory=list)


def _recipients(extract_number: int) -> dict[int, list[RegisterChange]]:
    """The open changes this update flagged, by the membership of each person assigned to
    their client, in firms that want the digest."""
    changes = (
        RegisterChange.objects.filter(
            extract_number=extract_number, state=ChangeState.OPEN, firm__register_digest=True
        )
        .select_related("client")
        .order_by("client__sort_name", "client_id", "kind")
    )
    by_client: dict[int, list[RegisterChange]] = defaultdict(list)
    for change in changes:
        by_client[change.client_id].append(change)
    if not by_client:
        return {}
    by_membership: dict[int, list[RegisterChange]] = defaultdict(list)
    for client_id, membership_id in ClientAssignment.objects.filter(
        client_id__in=list(by_client)
    ).values_list("client_id", "membership_id"):
        by_membership[membership_id].extend(by_client[client_id])
    return by_membership


def register_digests_send(*, extract_number: int, task: Task[..., Any] | None = None) -> int:
    """Send this update's digests not yet sent; how many were sent. `task` (called with the
    extract number) is queued again for when a claim another run holds runs out."""
    by_membership = _recipients(extract_number)
    memberships = Membership.objects.filter(
        pk__in=list(by_membership), user__is_active=True
    ).select_related("user", "firm")
    sent = 0
    failed: Exception | None = None
    held_until: datetime | None = None
    for membership in memberships:
        changes = by_membership[membership.pk]
        claim = _claim(extract_number, membership, len(changes))
        if claim is None:
            continue  # sent already
        if isinstance(claim, datetime):  # another run holds it until then
            held_until = claim if held_until is None else max(held_until, claim)
            continue
        mine = RegisterDigestSent.objects.filter(pk=claim.pk, claimed_at=claim.claimed_at)
        try:
            _send(membership, changes)
        except Exception as error:
            mine.filter(sent_at__isnull=True).delete()
            logger.warning("register: a digest e-mail was not sent", exc_info=True)
            failed = error
            continue
        mine.update(sent_at=timezone.now())
        sent += 1
    if held_until is not None and task is not None and task.get_backend().supports_defer:
        # Its holder may have stopped mid-send: look again when the claim runs out.
        wait = held_until - timezone.now() + timedelta(seconds=1)
        transaction.on_commit(lambda: enqueue_after(task, wait, extract_number))
    if failed is not None:
        raise failed
    return sent


def _claim(
    extract_number: int, membership: Membership, changes: int
) -> RegisterDigestSent | datetime | None:
    """This run's claim on one person's digest; else None when it is sent, or when another run
    holds it, the time its claim runs out. The database decides between two runs at once: the
    unique claim, and the update that takes over a claim run out."""
    claims = RegisterDigestSent.objects.filter(extract_number=extract_number, membership=membership)
    for _attempt in range(2):
        now = timezone.now()
        try:
            with transaction.atomic():
                return RegisterDigestSent.objects.create(
                    extract_number=extract_number,
                    membership=membership,
                    changes=changes,
                    claimed_at=now,
                )
        except IntegrityError:
            pass
        unsent = claims.filter(sent_at__isnull=True)
        if unsent.filter(claimed_at__lte=now - CLAIM_LEASE).update(claimed_at=now, changes=changes):
            return unsent.get()
        held = unsent.values_list("claimed_at", flat=True).first()
        if held is not None:
            return held + CLAIM_LEASE
        if claims.exists():
            return None  # sent
        # The claim was given back (its mail failed) between the create and the look: again.
    return None


def _send(membership: Membership, changes: list[RegisterChange]) -> None:
    user = membership.user
    language = user.language or "nl"
    firm = membership.firm
    with translation.override(language):
        codes = register_codes()
        clients: dict[int, DigestClient] = {}
        for change in changes:
            entry = clients.setdefault(
                change.client_id,
                DigestClient(
                    name=change.client.legal_name,
                    path=reverse("clients:detail", args=[firm.slug, change.client_id]),
                ),
            )
            entry.changes.append(change_shown(change, codes))
        context = {
            "person": user,
            "firm": firm,
            "clients": list(clients.values()),
            "count": len(changes),
            "snapshot_date": changes[0].snapshot_date,
            "page_path": reverse("register:changes", args=[firm.slug]),
        }
    mail_send(to=user.email, template=TEMPLATE, context=context, language=language)
