"""Duplicates: the refusal that names the existing client (for a viewer who may see it), and
the derived fields whose identity key the database keeps unique."""

from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from partnerspace.clients.models import (
    Client,
)
from partnerspace.clients.search import client_search_fields
from partnerspace.clients.selectors import client_duplicates, clients_visible_to
from partnerspace.core.errors import (
    Conflict,
)
from partnerspace.firms.models import Firm, Membership

# The numbers that tell a firm's clients apart, as a sentence names them; the import's
# messages about duplicate rows name them with these words too.
IDENTIFIER_LABELS: dict[str, Promise] = {
    "company_number": gettext_lazy("enterprise number"),
    "vat_number": pgettext_lazy("in a sentence", "VAT number"),
    "external_reference": gettext_lazy("external reference"),
}


def duplicate_conflict(
    firm: Firm, duplicates: dict[str, Client], *, viewer: Membership | None = None
) -> Conflict:
    """The refusal for a duplicate: names the existing client and links to it.

    Only when the viewer may see that client: an accountant sees their own clients alone, and
    typing numbers must not tell them the names of the others.
    """
    name, existing = next(iter(duplicates.items()))
    if name == "identity_key":
        return identity_conflict(firm, existing, viewer=viewer)
    labels = IDENTIFIER_LABELS
    if viewer is not None and not clients_visible_to(viewer).filter(pk=existing.pk).exists():
        return Conflict(
            "already_exists",
            _("Another client of your firm already has this %(field)s.") % {"field": labels[name]},
            field=name,
        )
    return Conflict(
        "already_exists",
        _("%(client)s already has this %(field)s.")
        % {"client": existing.legal_name, "field": labels[name]},
        field=name,
        existing_id=existing.pk,
        existing_name=existing.legal_name,
        existing_url=reverse("clients:detail", args=[firm.slug, existing.pk]),
    )


def identity_conflict(
    firm: Firm,
    existing: Client | None,
    *,
    viewer: Membership | None = None,
    anonymous: bool = False,
) -> Conflict:
    """The refusal for a second client without numbers of the same name and primary
    contact: it links to the existing one for a viewer who may open it; `anonymous` (the
    company's own space, or no viewer who may see it) names no client."""
    visible = (
        existing is not None
        and not anonymous
        and (viewer is None or clients_visible_to(viewer).filter(pk=existing.pk).exists())
    )
    if not visible or existing is None:
        return Conflict(
            "already_exists",
            _(
                "A client of this name with this primary contact's e-mail address exists "
                "already. Add its enterprise or VAT number, or another contact person, to "
                "tell them apart."
            ),
            field="legal_name",
        )
    return Conflict(
        "already_exists",
        _(
            "%(client)s, with this primary contact's e-mail address, is a client already. "
            "Add its enterprise or VAT number to tell them apart."
        )
        % {"client": existing.legal_name},
        field="legal_name",
        existing_id=existing.pk,
        existing_name=existing.legal_name,
        existing_url=reverse("clients:detail", args=[firm.slug, existing.pk]),
    )


def duplicates_refuse(
    firm: Firm,
    values: dict[str, Any],
    *,
    exclude_id: int | None = None,
    viewer: Membership | None = None,
    identity_key: str | None = None,
) -> None:
    duplicates = client_duplicates(
        firm.pk, values, exclude_id=exclude_id, identity_key=identity_key
    )
    if duplicates:
        raise duplicate_conflict(firm, duplicates, viewer=viewer)


def refresh_search(
    client: Client, *, viewer: Membership | None = None, anonymous: bool = False
) -> None:
    """Write the client's derived fields. Its identity key may now be another client's (a
    name, a number or the primary contact changed): refused as a duplicate, the database
    deciding (see identity_conflict for `viewer` and `anonymous`)."""
    fields = client_search_fields(client, client.contacts.all())
    try:
        with transaction.atomic():
            Client.objects.filter(pk=client.pk).update(**fields)
    except IntegrityError:
        existing = (
            Client.objects.filter(firm_id=client.firm_id, identity_key=fields["identity_key"])
            .exclude(pk=client.pk)
            .first()
        )
        raise identity_conflict(client.firm, existing, viewer=viewer, anonymous=anonymous) from None
    for name, value in fields.items():
        setattr(client, name, value)
