"""The register watch's digest: after an update, one e-mail per person, listing the changes
the update flagged for the clients assigned to them, in the person's language.

Run by the worker (register.tasks) once the watch pass has committed. A firm may switch the
digest off (`Firm.register_digest`). Each person's mail is claimed first (RegisterDigestSent),
so a task that runs twice sends it once; a mail that fails gives its claim back and the task
fails, for the queue to run it again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from partnerspace.clients.models import ClientAssignment
from partnerspace.core.mail import mail_send
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


def register_digests_send(*, extract_number: int) -> int:
    """Send this update's digests not yet sent; how many were sent."""
    by_membership = _recipients(extract_number)
    memberships = Membership.objects.filter(
        pk__in=list(by_membership), user__is_active=True
    ).select_related("user", "firm")
    sent = 0
    failed: Exception | None = None
    for membership in memberships:
        changes = by_membership[membership.pk]
        try:
            with transaction.atomic():
                claim = RegisterDigestSent.objects.create(
                    extract_number=extract_number, membership=membership, changes=len(changes)
                )
        except IntegrityError:
            continue  # sent already
        try:
            _send(membership, changes)
        except Exception as error:
            claim.delete()
            logger.warning("register: a digest e-mail was not sent", exc_info=True)
            failed = error
            continue
        sent += 1
    if failed is not None:
        raise failed
    return sent


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
