"""The firm's Peppol mandates: confirmed, withdrawn, and the signed PDF kept with the client."""

import os
from collections.abc import Iterable

from django.core.files import File
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from partnerspace.accounts.models import User
from partnerspace.clients.history import history_record
from partnerspace.clients.lifecycle import client_mandate_set
from partnerspace.clients.models import Client, HistorySource
from partnerspace.core.bulk import BulkOutcome
from partnerspace.core.errors import (
    FieldError,
    ValidationFailed,
    require_role,
)
from partnerspace.firms.models import Membership
from partnerspace.peppol.models import (
    MandateDocument,
)
from partnerspace.peppol.rules import mandate_is_confirmed

MANDATE_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


@transaction.atomic
def mandate_confirm(
    *,
    membership: Membership,
    client: Client,
    document: File[bytes] | None = None,
    source: str = HistorySource.STAFF,
) -> Client:
    """The firm holds the client's signed mandate: yes, from now, confirmed by this person.
    The signed PDF may come with it."""
    require_role(membership.can_manage_peppol)
    client = get_object_or_404(
        Client.objects.select_for_update(), pk=client.pk, firm_id=membership.firm_id
    )
    if document is not None:
        _document_store(client, document, membership.user, source)
    if not mandate_is_confirmed(client):
        client_mandate_set(client=client, confirmed=True, actor=membership.user, source=source)
    return client


@transaction.atomic
def mandates_bulk_confirm(
    *, membership: Membership, clients: Iterable[Client], source: str = HistorySource.STAFF
) -> BulkOutcome:
    """Ondertekende mandaten bevestigen: the ones confirmed already are skipped and counted."""
    require_role(membership.can_manage_peppol)
    outcome = BulkOutcome()
    for client in clients:
        if client.firm_id != membership.firm_id or mandate_is_confirmed(client):
            outcome.skipped += 1
            continue
        client_mandate_set(client=client, confirmed=True, actor=membership.user, source=source)
        outcome.done += 1
    return outcome


@transaction.atomic
def mandate_withdraw(
    *, membership: Membership, client: Client, source: str = HistorySource.STAFF
) -> Client:
    """The firm no longer holds the mandate. A registered client is deregistered first."""
    require_role(membership.can_manage_peppol)
    client = get_object_or_404(
        Client.objects.select_for_update(), pk=client.pk, firm_id=membership.firm_id
    )
    if not client.peppol_mandate and client.mandate_confirmed_at is None:
        return client
    # A published client is refused here (peppol.handlers.on_mandate_changed).
    return client_mandate_set(client=client, confirmed=False, actor=membership.user, source=source)


def _document_check(upload: File[bytes]) -> None:
    size = getattr(upload, "size", None) or 0
    if size > MANDATE_MAX_BYTES:
        raise ValidationFailed(
            [
                FieldError(
                    "document",
                    "too_large",
                    _("The file is larger than %(limit)d MB.")
                    % {"limit": MANDATE_MAX_BYTES // (1024 * 1024)},
                )
            ]
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if size == 0 or head != PDF_MAGIC:
        raise ValidationFailed(
            [FieldError("document", "not_pdf", _("Upload the signed mandate as a PDF file."))]
        )


def _document_store(
    client: Client, upload: File[bytes], actor: User | None, source: str
) -> MandateDocument:
    _document_check(upload)
    name = get_valid_filename(os.path.basename(upload.name or ""))[:200] or "mandate.pdf"
    if not name.lower().endswith(".pdf"):
        name = f"{name}.pdf"
    document = MandateDocument(
        client=client, original_name=name, size=upload.size, uploaded_by=actor
    )
    document.file.save(name, upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    history_record(
        client=client,
        actor=actor,
        source=source,
        action="mandate_document_added",
        changes=[{"field": "mandate_document", "old": None, "new": name}],
    )
    return document


@transaction.atomic
def mandate_document_upload(
    *,
    membership: Membership,
    client: Client,
    upload: File[bytes],
    source: str = HistorySource.STAFF,
) -> MandateDocument:
    """Keep the signed mandate (a PDF of at most 10 MB) with the client."""
    require_role(membership.can_manage_peppol)
    client = get_object_or_404(
        Client.objects.select_for_update(), pk=client.pk, firm_id=membership.firm_id
    )
    return _document_store(client, upload, membership.user, source)
