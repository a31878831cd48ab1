"""The Peppol rules the services and the selectors share: who may be registered, why a
registration stopped, whether an SMP is the firm's own. No writes, no network."""

from typing import TypeVar
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.core.outbound import (
    AllowList,
)
from partnerspace.peppol.identifiers import (
    enterprise_number,
)
from partnerspace.peppol.models import (
    PeppolSettings,
)

M = TypeVar("M", bound=models.Model)

# Why a client cannot be registered, in the order the page lists them.
PROBLEMS = {
    "archived": gettext_lazy("The client is archived."),
    "no_mandate": gettext_lazy("There is no confirmed Peppol mandate."),
    "no_enterprise_number": gettext_lazy("The client has no Belgian enterprise number."),
}
# Why a registration stopped: shown beside the SMP's own answer.
FAILURES = {
    **PROBLEMS,
    "smp_not_configured": gettext_lazy("Your firm's SMP is not configured (Settings → Peppol)."),
    "secret_unreadable": gettext_lazy(
        "The SMP password can no longer be read; enter it again in Settings → Peppol."
    ),
    "smp_refused": gettext_lazy("The SMP refused the request."),
    "smp_address": gettext_lazy(
        "This address is not a public one, and this installation does not allow an SMP there."
    ),
    "smp_unreachable": gettext_lazy("The SMP could not be reached; the last attempts failed."),
    "lookup_unavailable": gettext_lazy(
        "The Peppol network's look-up (SML) did not answer; the last attempts failed."
    ),
    "conflict": gettext_lazy(
        "The SMP already holds this participant, but the Peppol network does not show it as "
        "registered with your SMP."
    ),
}


def single(queryset: QuerySet[M]) -> M | None:
    """The row a unique lookup finds, or None. Not `.first()`: its ORDER BY pk can make the
    database walk the primary key instead of using the unique index."""
    return next(iter(queryset[:1]), None)


def smp_allowed_networks() -> AllowList:
    """Where a firm's SMP may be besides public addresses: the installation's choice."""
    return AllowList.parse(django_settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS)


def mandate_is_confirmed(client: Client) -> bool:
    return client.peppol_mandate and client.mandate_confirmed_at is not None


def registration_problems(client: Client) -> list[str]:
    """The reasons (PROBLEMS codes) this client cannot be registered; empty when it can."""
    problems = []
    if client.status == ClientStatus.ARCHIVED:
        problems.append("archived")
    if not mandate_is_confirmed(client):
        problems.append("no_mandate")
    if enterprise_number(client) is None:
        problems.append("no_enterprise_number")
    return problems


def is_our_smp(settings: PeppolSettings, smp_url: str) -> bool:
    """Whether the SML's answer names this firm's SMP. Hosts are compared, not whole URLs:
    the SML publishes the SMP's public (often http://) address, the firm configures its
    REST address."""
    ours = {
        (urlsplit(url).hostname or "").lower()
        for url in (settings.smp_base_url, settings.smp_public_url)
        if url
    }
    return (urlsplit(smp_url).hostname or "").lower() in ours
