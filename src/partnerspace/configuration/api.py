"""/api/v1/templates and /api/v1/integrations: configuration templates and the catalog.

Everyone in the firm may read them (a client manager picks a template when adding a client);
only administrators change templates, which the services enforce (403).
"""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from partnerspace.api.schemas import Id, IdOrName, InputSchema, refusals
from partnerspace.configuration import services
from partnerspace.configuration.catalog import INTEGRATIONS, SettingField
from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.configuration.selectors import (
    firm_integrations,
    template_get_for_user,
    templates_of_firm,
)

router = Router()


# Answers


class TemplateIntegrationOut(Schema):
    id: int = Field(description="The firm integration's id, as GET /integrations gives it.")
    key: str
    name: str
    settings: dict[str, Any] = Field(description="Defaults for the clients made from it.")


class TemplateOut(Schema):
    id: int
    name: str
    description: str
    is_default: bool
    users: list[int] = Field(description="Staff ids, as GET /staff gives them.")
    integrations: list[TemplateIntegrationOut]
    client_count: int = Field(description="Clients created from this template.")
    created_at: datetime
    updated_at: datetime


class SettingFieldOut(Schema):
    key: str
    label: str
    required: bool
    kind: str = Field(examples=["text", "email", "folder", "number"])


class IntegrationOut(Schema):
    key: str
    name: str
    description: str
    category: str = Field(examples=["accounting", "storage", "email"])
    installed: bool
    id: int | None = Field(description="The firm integration's id when installed, else null.")
    firm_fields: list[SettingFieldOut]
    client_fields: list[SettingFieldOut]


# Requests: what is required and valid is the services' to say.


class TemplateIntegrationIn(InputSchema):
    integration: IdOrName = Field(description="The firm integration's id or its catalog key.")
    settings: dict[str, Any] = Field(default_factory=dict)


class TemplateIn(InputSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Kwartaalaangifte", "description": "Btw-aangifte per kwartaal"}]
        }
    )

    name: str | None = None
    description: str = ""
    is_default: bool = False
    users: list[Id] = Field(default_factory=list, description="Staff ids.")
    integrations: list[TemplateIntegrationIn] = Field(default_factory=list)


class TemplatePatchIn(InputSchema):
    name: str | None = None
    description: str | None = None
    is_default: bool | None = None
    users: list[Id] | None = Field(None, description="Staff ids: replaces the whole set.")
    integrations: list[TemplateIntegrationIn] | None = Field(
        None, description="Replaces the whole list."
    )


# From models to answers


def _template_out(template: ConfigurationTemplate) -> dict:
    return {
        "id": template.pk,
        "name": template.name,
        "description": template.description,
        "is_default": template.is_default,
        "users": sorted(membership.pk for membership in template.users.all()),
        "integrations": [
            {
                "id": link.firm_integration_id,
                "key": link.firm_integration.key,
                "name": str(link.firm_integration),
                "settings": link.settings,
            }
            for link in template.integration_links.all()
        ],
        "client_count": template.client_count,  # type: ignore[attr-defined]  # annotated by templates_of_firm
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


def _fields_out(fields: tuple[SettingField, ...]) -> list[dict]:
    return [
        {"key": f.key, "label": str(f.label), "required": f.required, "kind": f.kind}
        for f in fields
    ]


# Templates


@router.get(
    "/templates",
    response={200: list[TemplateOut], **refusals(401)},
    summary="The firm's configuration templates",
    tags=["templates"],
)
def template_list(request):
    return [_template_out(template) for template in templates_of_firm(request.firm)]


@router.post(
    "/templates",
    response={201: TemplateOut, **refusals(400, 401, 403, 413, 422)},
    summary="Create a template (administrators)",
    tags=["templates"],
)
def template_create(request, payload: TemplateIn):
    membership = request.membership
    template = services.template_create(
        membership=membership,
        name=payload.name,
        description=payload.description,
        user_ids=payload.users,
        integrations=[link.model_dump() for link in payload.integrations],
        is_default=payload.is_default,
    )
    return Status(201, _template_out(template_get_for_user(membership, template.pk)))


@router.get(
    "/templates/{template_id}",
    response={200: TemplateOut, **refusals(401, 404, 422)},
    summary="One template",
    tags=["templates"],
)
def template_get(request, template_id: Id):
    return _template_out(template_get_for_user(request.membership, template_id))


@router.patch(
    "/templates/{template_id}",
    response={200: TemplateOut, **refusals(400, 401, 403, 404, 413, 422)},
    summary="Change a template (administrators): only the fields sent",
    tags=["templates"],
)
def template_patch(request, template_id: Id, payload: TemplatePatchIn):
    """Clients created from the template keep the settings they were given."""
    membership = request.membership
    template = template_get_for_user(membership, template_id)
    sent = payload.model_fields_set

    def given(name, current):
        value = getattr(payload, name)
        return current if name not in sent or value is None else value

    services.template_update(
        membership=membership,
        template=template,
        name=given("name", template.name),
        description=given("description", template.description),
        user_ids=given("users", [person.pk for person in template.users.all()]),
        integrations=(
            [link.model_dump() for link in payload.integrations]
            if "integrations" in sent and payload.integrations is not None
            else [
                {"integration": link.firm_integration_id, "settings": link.settings}
                for link in template.integration_links.all()
            ]
        ),
        is_default=given("is_default", template.is_default),
    )
    return _template_out(template_get_for_user(membership, template_id))


@router.delete(
    "/templates/{template_id}",
    response={204: None, **refusals(401, 403, 404, 422)},
    summary="Delete a template (administrators)",
    tags=["templates"],
)
def template_delete(request, template_id: Id):
    """Clients made from it keep their staff, integrations and the template's name."""
    template = template_get_for_user(request.membership, template_id)
    services.template_delete(membership=request.membership, template=template)
    return Status(204, None)


# The integration catalog


@router.get(
    "/integrations",
    response={200: list[IntegrationOut], **refusals(401)},
    summary="The integration catalog, and which ones the firm installed",
    tags=["integrations"],
)
def integration_list(request):
    installed = {integration.key: integration for integration in firm_integrations(request.firm)}
    return [
        {
            "key": spec.key,
            "name": str(spec.name),
            "description": str(spec.description),
            "category": spec.category,
            "installed": spec.key in installed,
            "id": installed[spec.key].pk if spec.key in installed else None,
            "firm_fields": _fields_out(spec.firm_fields),
            "client_fields": _fields_out(spec.client_fields),
        }
        for spec in INTEGRATIONS
    ]
