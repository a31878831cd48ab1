"""/api/v1/clients: the client portfolio and its contacts, as JSON.

The handlers only translate: JSON to service calls, service results to JSON. Validation,
permissions and duplicates are the services' (one rule, one place); every read goes
through the access helpers of `clients.selectors`, which answer 404 outside the token's view.
"""

from datetime import datetime
from typing import Any, Literal

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from partnerspace.api.schemas import ErrorOut, Id, IdOrName, InputSchema, PageNumber, refusals
from partnerspace.clients import services
from partnerspace.clients.models import Client, ClientStatus, Contact, HistorySource
from partnerspace.clients.selectors import (
    CONTACT_FILTER_PARAM,
    MAX_PAGE_SIZE,
    MAX_SEARCH_CHARS,
    ClientFilters,
    client_contacts,
    client_get_for_user,
    client_page,
    contact_get_for_user,
)
from partnerspace.clients.validation import CLIENT_FIELDS, CONTACT_FIELDS, FieldWarning
from partnerspace.configuration.models import ClientIntegration
from partnerspace.configuration.selectors import template_default, template_find
from partnerspace.configuration.services import client_integrations_link
from partnerspace.core.errors import Conflict, FieldError, ValidationFailed
from partnerspace.peppol.selectors import LIST_FILTER_PARAM as PEPPOL_FILTER_PARAM
from partnerspace.register.api import RegisterChangeOut, register_change_out
from partnerspace.register.models import ChangeState, RegisterChange
from partnerspace.register.selectors import CHANGES_FILTER_PARAM, Codes, register_codes
from partnerspace.register.selectors import QUALITY_FILTER_PARAM as REGISTER_QUALITY_PARAM
from partnerspace.vies.api import ViesOut, vies_out
from partnerspace.vies.models import ViesState
from partnerspace.vies.selectors import FILTER_PARAM

router = Router(tags=["clients"])

DEFAULT_PAGE_SIZE = 50


# Answers


class ConflictOut(ErrorOut):
    """A 409: the action contradicts the current state. A duplicate (`already_exists`) names
    the field and, when the token's owner may see it, the existing client."""

    code: str = Field(examples=["already_exists"])
    existing_id: int | None = Field(None, description="The id of the client that has it.")
    existing_name: str | None = None
    existing_url: str | None = Field(None, description="The existing client's page.")


class WarningOut(Schema):
    """A repair made to an input value: the value was accepted as `normalized`."""

    field: str
    code: str = Field(examples=["normalized"])
    value: str = Field(description="The value as it was sent.")
    normalized: str = Field(description="The value as it was stored.")
    message: str


class TemplateRefOut(Schema):
    id: int
    name: str


class ClientIntegrationOut(Schema):
    id: int = Field(description="The firm integration's id, as GET /integrations gives it.")
    key: str
    name: str
    settings: dict[str, Any]
    is_complete: bool = Field(description="False while a required client setting is missing.")


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    locale: str
    phone: str
    is_primary: bool


class ContactWrittenOut(ContactOut):
    warnings: list[WarningOut]


class ClientOut(Schema):
    id: int
    legal_name: str
    country: str
    company_number: str | None
    vat_number: str | None
    external_reference: str | None
    iban: str
    street: str
    house_number: str
    box: str
    postal_code: str
    city: str
    peppol_mandate: bool
    notes: str
    status: ClientStatus
    template: TemplateRefOut | None = Field(
        description="The template the client was created from; null once it is deleted."
    )
    template_name: str = Field(description="The template's name, kept after it is deleted.")
    assigned_users: list[int] = Field(description="Staff ids, as GET /staff gives them.")
    integrations: list[ClientIntegrationOut]
    contacts: list[ContactOut]
    mandate_confirmed_at: datetime | None
    vies: ViesOut | None = Field(
        description="What VIES last said about the VAT number; null without an EU VAT number."
    )
    created_at: datetime
    updated_at: datetime
    register_changes: list[RegisterChangeOut] = Field(
        description="The open changes the KBO register's updates flagged for the client's "
        "company (GET /register/changes lists them all, to take over or dismiss)."
    )


class ClientWrittenOut(ClientOut):
    warnings: list[WarningOut]


class ClientPageOut(Schema):
    count: int
    count_is_capped: bool = Field(
        description="True when a search matched more clients than are counted: count is a floor."
    )
    page: int
    page_size: int
    next_page: int | None
    results: list[ClientOut]


# Requests. Fields are loosely typed and optional on purpose: what is required and what is
# valid is decided by clients.validation, which answers every error at once in one shape.


class ContactIn(InputSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Marie",
                    "last_name": "Dubois",
                    "email": "marie.dubois@peeters.example",
                    "locale": "fr",
                    "phone": "+32 9 123 45 67",
                }
            ]
        }
    )

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    locale: str | None = Field(
        None, description="A language and region (nl-BE); a bare language is completed."
    )
    phone: str | None = None
    is_primary: bool = Field(False, description="Make this contact the primary one.")


class IntegrationLinkIn(InputSchema):
    integration: IdOrName = Field(description="The firm integration's id or its catalog key.")
    settings: dict[str, Any] = Field(default_factory=dict)


class ClientFieldsIn(InputSchema):
    legal_name: str | None = None
    company_number: str | None = Field(None, description="The enterprise number, any spelling.")
    vat_number: str | None = Field(None, description="Any spelling: 'be 0403.019.261' is fine.")
    external_reference: str | None = None
    iban: str | None = None
    street: str | None = None
    house_number: str | None = None
    box: str | None = None
    postal_code: str | None = None
    city: str | None = None
    peppol_mandate: bool | str | None = Field(
        None, description="true/false, or yes/no in Dutch, French, German or English."
    )
    notes: str | None = None


class ClientCreateIn(ClientFieldsIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "legal_name": "Brouwerij De Klok BV",
                    "vat_number": "be 0403.019.261",
                    "street": "Veldstraat",
                    "house_number": "12",
                    "postal_code": "9000",
                    "city": "Gent",
                    "contacts": [
                        {
                            "first_name": "Jan",
                            "last_name": "Peeters",
                            "email": "jan@deklok.example",
                            "locale": "nl-BE",
                        }
                    ],
                }
            ]
        }
    )

    country: str | None = Field("BE", description="ISO code or name; Belgium when omitted.")
    template: IdOrName | None = Field(
        None,
        description=(
            "A template's id or name (any case). Omitted: the firm's default template; null: none."
        ),
    )
    assigned_users: list[Id] = Field(
        default_factory=list, description="Staff ids, assigned on top of the template's."
    )
    integrations: list[IntegrationLinkIn] = Field(
        default_factory=list, description="Linked on top of the template's ones."
    )
    contacts: list[ContactIn] = Field(
        default_factory=list, description="At least one; the first is primary unless one says so."
    )


class ClientPatchIn(ClientFieldsIn):
    country: str | None = None
    assigned_users: list[Id] | None = Field(
        None, description="Staff ids: replaces the whole set of assigned people."
    )
    status: ClientStatus | None = Field(
        None, description="Only `archived` can be set; the other statuses follow invitations."
    )


class ContactPatchIn(ContactIn):
    is_primary: bool | None = Field(  # type: ignore[assignment]  # a PATCH may leave it out
        None, description="true makes this the primary contact."
    )


class ClientListQuery(Schema):
    search: str = Field(
        "",
        max_length=MAX_SEARCH_CHARS,
        description="Name, number in any spelling, city, contact name or e-mail.",
    )
    status: ClientStatus | None = None
    template: Id | None = Field(None, description="A template id.")
    assigned_to: Id | None = Field(None, description="A staff id.")
    register_changes: bool | None = Field(
        None,
        description="true: only clients with open register changes; false: only those without.",
    )
    vies: ViesState | None = Field(
        None, description="Only the clients in this VIES state (invalid, unavailable, …)."
    )
    # "register" on the wire, as on the list page (a Schema has an attribute of that name).
    register_quality: Literal["name_differs", "absent", "struck_off"] | None = Field(
        None,
        alias="register",
        description=(
            "Against the loaded KBO register: `name_differs`, a legal name that is none of the "
            "register's names; `absent`, an enterprise number the register does not hold; "
            "`struck_off`, a seat address struck off. Nothing matches while no register is "
            "loaded."
        ),
    )
    contact_email: Literal["missing"] | None = Field(
        None, description="`missing`: only the clients whose primary contact has no e-mail."
    )
    peppol: Literal["unregistered", "failed"] | None = Field(
        None,
        description=(
            "`unregistered`: a confirmed Peppol mandate but no registration done or under way; "
            "`failed`: a Peppol registration that failed."
        ),
    )
    page: PageNumber = 1
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


# From models to answers


def _with_related(clients: list[Client]) -> list[Client]:
    """Contacts, assignments and integration links of all these clients in three queries."""
    prefetch_related_objects(
        clients,
        "contacts",
        "assignments",
        "vat_check",
        Prefetch(
            "register_changes",
            queryset=RegisterChange.objects.filter(state=ChangeState.OPEN).order_by("kind", "id"),
            to_attr="open_register_changes",
        ),
        Prefetch(
            "integration_links",
            queryset=ClientIntegration.objects.select_related("firm_integration").order_by(
                "firm_integration__key"
            ),
        ),
    )
    return clients


def _contact_out(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        **{name: getattr(contact, name) for name in CONTACT_FIELDS},
        "is_primary": contact.is_primary,
    }


def _codes_for(clients: list[Client]) -> Codes:
    """The register's code table, read once for the clients' open changes, only when one of
    them has any (most have none)."""
    if any(getattr(client, "open_register_changes", None) for client in clients):
        return register_codes()
    return {}


def _client_out(client: Client, codes: Codes) -> dict:
    """`codes`: _codes_for, read once for a page of clients."""
    return {
        "id": client.pk,
        **{name: getattr(client, name) for name in CLIENT_FIELDS},
        "status": client.status,
        "template": (
            {"id": client.template.pk, "name": client.template.name} if client.template else None
        ),
        "template_name": client.template_name,
        "assigned_users": sorted(a.membership_id for a in client.assignments.all()),
        "integrations": [
            {
                "id": link.firm_integration_id,
                "key": link.firm_integration.key,
                "name": str(link.firm_integration),
                "settings": link.settings,
                "is_complete": link.is_complete,
            }
            for link in client.integration_links.all()
        ],
        "contacts": [_contact_out(contact) for contact in client.contacts.all()],
        "mandate_confirmed_at": client.mandate_confirmed_at,
        "vies": vies_out(getattr(client, "vat_check", None)),
        "created_at": client.created_at,
        "updated_at": client.updated_at,
        "register_changes": [
            register_change_out(change, client.legal_name, codes)
            for change in getattr(client, "open_register_changes", [])
        ],
    }


def _warnings_out(warnings: list[FieldWarning]) -> list[dict]:
    return [
        {
            "field": warning.field,
            "code": warning.code,
            "value": warning.value,
            "normalized": warning.normalized,
            "message": warning.message,
        }
        for warning in warnings
    ]


def _client_written(membership, client_id: int, warnings: list[FieldWarning]) -> dict:
    client = _with_related([client_get_for_user(membership, client_id)])[0]
    return {**_client_out(client, _codes_for([client])), "warnings": _warnings_out(warnings)}


def _template_chosen(firm, payload: ClientCreateIn):
    if "template" not in payload.model_fields_set:
        return template_default(firm)
    if payload.template is None or payload.template == "":
        return None
    template = template_find(firm, payload.template)
    if template is None:
        raise ValidationFailed(
            [
                FieldError(
                    "template",
                    "unknown_template",
                    _("Your firm has no template with this id or name."),
                    payload.template,
                )
            ]
        )
    return template


# Clients


@router.get(
    "/clients",
    response={200: ClientPageOut, **refusals(401, 422)},
    summary="The clients the token may see, page by page",
)
def client_list(request, query: Query[ClientListQuery]):
    """An accountant sees only the clients assigned to them. Sorted by name."""
    filters = ClientFilters(
        query=query.search,
        tab="all",
        status=query.status or "",
        template_id=query.template,
        assigned_to=query.assigned_to,
        extra=(
            *(((FILTER_PARAM, query.vies),) if query.vies else ()),
            *(
                ((CHANGES_FILTER_PARAM, "open" if query.register_changes else "none"),)
                if query.register_changes is not None
                else ()
            ),
            *(
                (param, value)
                for param, value in (
                    (REGISTER_QUALITY_PARAM, query.register_quality),
                    (CONTACT_FILTER_PARAM, query.contact_email),
                    (PEPPOL_FILTER_PARAM, query.peppol),
                )
                if value
            ),
        ),
    )
    page = client_page(
        request.membership, filters, page=query.page, page_size=query.page_size, for_page=False
    )
    clients = _with_related(page.rows)
    codes = _codes_for(clients)
    return {
        "count": page.count,
        "count_is_capped": page.count_is_capped,
        "page": page.page,
        "page_size": page.page_size,
        "next_page": page.page + 1 if page.has_next else None,
        "results": [_client_out(client, codes) for client in clients],
    }


@router.post(
    "/clients",
    response={201: ClientWrittenOut, **refusals(400, 401, 403, 413, 422), 409: ConflictOut},
    summary="Add a client (Draft) with its contacts",
)
def client_create(request, payload: ClientCreateIn):
    """Values are normalized (each repair is a warning); a duplicate enterprise number, VAT
    number or external reference within the firm is a 409 `already_exists` naming the
    existing client (`existing_id`).

    Codes of a 422: `required`, `too_long`, `invalid_country`, `invalid_company_number`,
    `company_number_checksum`, `invalid_vat`, `vat_checksum`, `vat_company_number_mismatch`,
    `invalid_iban`, `invalid_mandate`, `invalid_email`, `invalid_locale`, `invalid_phone`,
    `unknown_template`, `unknown_user`, `unknown_integration`, `invalid_setting`,
    `unknown_setting`; `invalid` for a body of the wrong shape.
    """
    membership = request.membership
    with transaction.atomic():
        result = services.client_create(
            membership=membership,
            data=payload.model_dump(include=set(CLIENT_FIELDS)),
            contacts=[contact.model_dump() for contact in payload.contacts],
            template=_template_chosen(request.firm, payload),
            source=HistorySource.API,
            assigned_ids=payload.assigned_users,
        )
        # On top of the template's: settings given for one it links too override its own.
        client_integrations_link(
            membership=membership,
            client=result.client,
            integrations=[link.model_dump() for link in payload.integrations],
            source=HistorySource.API,
        )
    return Status(201, _client_written(membership, result.client.pk, result.warnings))


@router.get(
    "/clients/{client_id}",
    response={200: ClientOut, **refusals(401, 404, 422)},
    summary="One client",
)
def client_get(request, client_id: Id):
    client = client_get_for_user(request.membership, client_id)
    return _client_out(_with_related([client])[0], _codes_for([client]))


@router.patch(
    "/clients/{client_id}",
    response={200: ClientWrittenOut, **refusals(400, 401, 403, 404, 413, 422), 409: ConflictOut},
    summary="Change a client: only the fields sent",
)
def client_patch(request, client_id: Id, payload: ClientPatchIn):
    membership = request.membership
    client = client_get_for_user(membership, client_id)
    changes = payload.model_dump(exclude_unset=True)
    status = changes.pop("status", None)
    assigned = changes.pop("assigned_users", None)
    if status is not None and status not in {client.status, ClientStatus.ARCHIVED}:
        raise Conflict(
            "invalid_status_change",
            _(
                "Only archiving can be asked for. A client becomes Invited when it is invited "
                "and Active when it accepts."
            ),
            field="status",
        )
    warnings: list[FieldWarning] = []
    with transaction.atomic():
        if changes:
            warnings = services.client_update(
                membership=membership, client=client, data=changes, source=HistorySource.API
            ).warnings
        if assigned is not None:
            services.client_assignments_set(
                membership=membership,
                client=client,
                membership_ids=assigned,
                source=HistorySource.API,
            )
        if status == ClientStatus.ARCHIVED:
            services.client_archive(membership=membership, client=client, source=HistorySource.API)
    return _client_written(membership, client.pk, warnings)


@router.delete(
    "/clients/{client_id}",
    response={204: None, **refusals(401, 403, 404, 409, 422)},
    summary="Delete a client that is still Draft",
)
def client_delete(request, client_id: Id):
    """Any other status answers 409 `not_draft`: archive the client instead."""
    client = client_get_for_user(request.membership, client_id)
    services.client_delete(membership=request.membership, client=client)
    return Status(204, None)


# Contacts


@router.get(
    "/clients/{client_id}/contacts",
    response={200: list[ContactOut], **refusals(401, 404, 422)},
    summary="A client's contacts, the primary one first",
)
def contact_list(request, client_id: Id):
    client = client_get_for_user(request.membership, client_id)
    return [_contact_out(contact) for contact in client_contacts(client)]


@router.post(
    "/clients/{client_id}/contacts",
    response={201: ContactWrittenOut, **refusals(400, 401, 404, 413, 422), 409: ConflictOut},
    summary="Add a contact to a client",
)
def contact_create(request, client_id: Id, payload: ContactIn):
    client = client_get_for_user(request.membership, client_id)
    # One transaction: the service locks the client until commit, so the newest contact
    # read below is the one just added.
    with transaction.atomic():
        result = services.contact_add(
            membership=request.membership,
            client=client,
            data=payload.model_dump(),
            source=HistorySource.API,
        )
        contact = client.contacts.latest("id")
    return Status(201, {**_contact_out(contact), "warnings": _warnings_out(result.warnings)})


@router.patch(
    "/clients/{client_id}/contacts/{contact_id}",
    response={200: ContactWrittenOut, **refusals(400, 401, 404, 413, 422), 409: ConflictOut},
    summary="Change a contact; is_primary: true makes it the primary one",
)
def contact_patch(request, client_id: Id, contact_id: Id, payload: ContactPatchIn):
    membership = request.membership
    contact = contact_get_for_user(membership, client_id, contact_id)
    result = services.contact_update(
        membership=membership,
        contact=contact,
        data=payload.model_dump(exclude_unset=True),
        source=HistorySource.API,
    )
    contact = contact_get_for_user(membership, client_id, contact_id)
    return {**_contact_out(contact), "warnings": _warnings_out(result.warnings)}


@router.delete(
    "/clients/{client_id}/contacts/{contact_id}",
    response={204: None, **refusals(401, 404, 422), 409: ConflictOut},
    summary="Remove a contact (not the last one)",
)
def contact_delete(request, client_id: Id, contact_id: Id):
    """Removing the primary contact makes the oldest other one primary."""
    contact = contact_get_for_user(request.membership, client_id, contact_id)
    services.contact_remove(
        membership=request.membership, contact=contact, source=HistorySource.API
    )
    return Status(204, None)
