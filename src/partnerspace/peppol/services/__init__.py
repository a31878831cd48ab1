"""Mandates, the firm's SMP settings, and registering clients as Peppol receivers.

A client may be registered when it has a confirmed mandate (`Client.peppol_mandate`, set by a
confirmation here, the client form or the import's Mandaat column), a Belgian enterprise
number, and a status other than Archived: `rules.registration_problems` says so, once. Each
registration runs as a background task (`runner.registration_run`) that talks to the SMP;
network trouble and 5xx answers are retried with back-off, a 4xx fails at once with the SMP's
answer.

One module per concern; the names the pages, the API and the tasks call are gathered here:
- `smp_settings`: the firm's SMP settings, checked and saved;
- `mandates`: confirming and withdrawing mandates, the signed PDF;
- `registration`: who may be registered, and queueing (de)registrations;
- `runner`: the background run that talks to the SML and the SMP.
"""

from partnerspace.peppol.rules import FAILURES, PROBLEMS, registration_problems
from partnerspace.peppol.services.mandates import (
    MANDATE_MAX_BYTES,
    mandate_confirm,
    mandate_document_upload,
    mandate_withdraw,
    mandates_bulk_confirm,
)
from partnerspace.peppol.services.registration import (
    SKIP_REASONS,
    RegistrationBulkOutcome,
    batch_dispatch,
    deregistration_request,
    peppol_client_archived,
    peppol_clients_archived,
    registration_bulk_request,
    registration_queue_after_import,
    registration_request,
)
from partnerspace.peppol.services.runner import (
    MAX_ATTEMPTS,
    REGISTRATION_LEASE,
    registration_run,
)
from partnerspace.peppol.services.smp_settings import configured_settings, peppol_settings_save

__all__ = [
    "FAILURES",
    "MANDATE_MAX_BYTES",
    "MAX_ATTEMPTS",
    "PROBLEMS",
    "REGISTRATION_LEASE",
    "SKIP_REASONS",
    "RegistrationBulkOutcome",
    "batch_dispatch",
    "configured_settings",
    "deregistration_request",
    "mandate_confirm",
    "mandate_document_upload",
    "mandate_withdraw",
    "mandates_bulk_confirm",
    "peppol_client_archived",
    "peppol_clients_archived",
    "peppol_settings_save",
    "registration_bulk_request",
    "registration_problems",
    "registration_queue_after_import",
    "registration_request",
    "registration_run",
]
