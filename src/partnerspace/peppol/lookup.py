"""What the Peppol network says about a client: the SML, then the SMP it names, read for each
of the client's identifiers. Network reads, kept out of the selectors (which read the
database only)."""

from dataclasses import dataclass

from django.conf import settings as django_settings
from django.utils.translation import gettext as _

from partnerspace.clients.models import Client
from partnerspace.core.outbound import NOWHERE_PRIVATE
from partnerspace.peppol.identifiers import ParticipantId, participant_ids, sml_name
from partnerspace.peppol.rules import is_our_smp, smp_allowed_networks
from partnerspace.peppol.selectors import peppol_settings_of
from partnerspace.peppol.sml import LookupFailed, sml_lookup
from partnerspace.peppol.smp import SmpAddressRefused, SmpError, service_group_fetch


@dataclass
class LookupRow:
    participant: ParticipantId
    name: str
    smp_url: str | None = None
    ours: bool = False
    document_types: list[str] | None = None  # None: the SMP has no service group for it
    error: str = ""


def participant_lookup(client: Client, *, timeout: float = 5.0) -> list[LookupRow]:
    """Ask the SML, then the SMP it names, about each of the client's identifiers."""
    settings = peppol_settings_of(client.firm)
    rows = []
    for participant in participant_ids(client):
        row = LookupRow(participant, sml_name(participant, django_settings.PARTNERSPACE_SML_ZONE))
        try:
            answer = sml_lookup(participant, timeout=timeout)
        except LookupFailed as failed:
            row.error = str(failed)
            rows.append(row)
            continue
        row.smp_url = answer.smp_url
        if answer.smp_url:
            row.ours = settings is not None and is_our_smp(settings, answer.smp_url)
            # Whoever controls a DNS answer must not make the server read its own network:
            # another SMP is read only at a public address, the firm's own also where the
            # installation allows it. The check is made on the address connected to.
            allowed = smp_allowed_networks() if row.ours else NOWHERE_PRIVATE
            try:
                row.document_types = service_group_fetch(
                    answer.smp_url, participant, timeout=timeout, allowed=allowed
                )
            except SmpAddressRefused:
                row.error = _("Its address is not a public one: it was not read.")
            except SmpError as error:
                row.error = error.describe()
                if error.status and not row.ours:
                    # Of another SMP's refusal only the status: the pages show no answer but
                    # the firm's own SMP's.
                    row.error = f"HTTP {error.status}"
        rows.append(row)
    return rows
