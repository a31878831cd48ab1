"""Reads of the VIES states: the database only, never VIES itself."""

from django.db.models import Count, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from partnerspace.clients.models import Client
from partnerspace.vies.models import VatCheck, ViesState

# What each code of a failed check means, for the client page and the API.
ERROR_MESSAGES: dict[str, Promise] = {
    "MS_UNAVAILABLE": _("The member state's VAT register did not answer."),
    "TIMEOUT": _("The member state's VAT register did not answer in time."),
    "GLOBAL_MAX_CONCURRENT_REQ": _("VIES was too busy to answer."),
    "GLOBAL_MAX_CONCURRENT_REQ_TIME": _("VIES was too busy to answer."),
    "MS_MAX_CONCURRENT_REQ": _("The member state's VAT register was too busy to answer."),
    "MS_MAX_CONCURRENT_REQ_TIME": _("The member state's VAT register was too busy to answer."),
    "SERVICE_UNAVAILABLE": _("VIES was unavailable."),
    "IO_ERROR": _("VIES had a technical problem."),
    "TECHNICAL_ERROR": _("VIES had a technical problem."),
    "IP_BLOCKED": _("VIES refused this server's requests for now."),
    "NO_ANSWER": _("VIES could not be reached, or did not answer in time."),
    "BAD_ANSWER": _("VIES's answer could not be read."),
    "INVALID_INPUT": _("VIES refused the number: it is not a VAT number it can look up."),
    "INVALID_REQUESTER_INFO": _(
        "VIES refused your firm's own VAT number as the requester: check it in the settings."
    ),
    "VAT_BLOCKED": _("VIES gives no information about this number."),
}
UNKNOWN_ERROR = _("VIES could not answer.")

# The list's filter: its query parameter and choices (the states a firm acts on first).
FILTER_PARAM = "vies"
FILTER_CHOICES: tuple[tuple[str, Promise], ...] = (
    (ViesState.INVALID.value, _("VAT not valid in VIES")),
    (ViesState.UNAVAILABLE.value, _("VIES unavailable")),
    (ViesState.VALID.value, _("Valid in VIES")),
    (ViesState.PENDING.value, _("Being checked")),
)


def error_message(code: str) -> str:
    if not code:
        return ""
    return str(ERROR_MESSAGES.get(code, UNKNOWN_ERROR))


def vat_check_of(client: Client) -> VatCheck | None:
    return VatCheck.objects.filter(client_id=client.pk).first()


def clients_in_vies_state(clients: QuerySet[Client], state: str) -> QuerySet[Client]:
    """The list's filter: the clients whose last VIES state is `state`."""
    if state not in ViesState.values:
        return clients
    return clients.filter(vat_check__state=state)


def vies_state_counts(clients: QuerySet[Client]) -> dict[str, int]:
    """How many of these clients are in each VIES state: one grouped count."""
    counted = (
        VatCheck.objects.filter(client__in=clients.order_by().values("pk"))
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(ViesState.values, 0)
    counts.update(dict(counted))
    return counts
