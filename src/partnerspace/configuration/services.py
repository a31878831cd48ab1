"""Templates, integrations, and the applying of a template to new clients (written once)."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from partnerspace.accounts.models import User
from partnerspace.clients.history import histories_record, history_record
from partnerspace.clients.models import Client, ClientAssignment, HistorySource
from partnerspace.configuration.catalog import CATALOG, SettingField, setting_history_field
from partnerspace.configuration.models import (
    ClientIntegration,
    ConfigurationTemplate,
    FirmIntegration,
    TemplateIntegration,
    template_name_key,
)
from partnerspace.configuration.selectors import firm_integration_find, integration_ref_match
from partnerspace.configuration.settings_rules import settings_clean, settings_missing
from partnerspace.core.bulk import JsonText, db_datetime, insert_rows, json_for_db, json_text
from partnerspace.core.errors import (
    Conflict,
    FieldError,
    ValidationFailed,
    require_role,
    require_same_firm,
)
from partnerspace.core.text import INVALID_CHARACTER, INVALID_CHARACTER_MESSAGE, unstorable
from partnerspace.firms.models import Firm, Membership
from partnerspace.firms.services import audit_record

TEMPLATE_NAME_LIMIT = 100


ADMINISTRATORS_ONLY = gettext_lazy("Only administrators manage templates and integrations.")


@transaction.atomic
def integration_install(
    *, membership: Membership, key: str, settings: dict[str, Any] | None = None
) -> FirmIntegration:
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    spec = CATALOG.get(key)
    if spec is None:
        raise ValidationFailed(
            [FieldError("key", "unknown_integration", _("Unknown integration."))]
        )
    values, errors = settings_clean(spec.firm_fields, settings)
    if errors:
        raise ValidationFailed(errors)
    if FirmIntegration.objects.filter(firm=membership.firm, key=key).exists():
        raise Conflict(
            "already_installed", _("%(name)s is installed already.") % {"name": spec.name}
        )
    integration = FirmIntegration.objects.create(
        firm=membership.firm, key=key, settings=values, installed_by=membership.user
    )
    audit_record(
        firm=membership.firm,
        actor=membership.user,
        action="integration.installed",
        target=integration,
    )
    return integration


@transaction.atomic
def integration_update(
    *, membership: Membership, integration: FirmIntegration, settings: dict[str, Any]
) -> FirmIntegration:
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    require_same_firm(membership, integration)
    values, errors = settings_clean(integration.spec.firm_fields, settings)
    if errors:
        raise ValidationFailed(errors)
    integration.settings = values
    integration.save(update_fields=["settings"])
    audit_record(
        firm=membership.firm,
        actor=membership.user,
        action="integration.updated",
        target=integration,
    )
    return integration


@transaction.atomic
def integration_remove(*, membership: Membership, integration: FirmIntegration) -> None:
    """Refused while clients use it: their links would silently disappear."""
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    require_same_firm(membership, integration)
    in_use = ClientIntegration.objects.filter(firm_integration=integration).count()
    if in_use:
        raise Conflict(
            "in_use",
            ngettext(
                "%(name)s is still linked to %(count)d client: unlink it first.",
                "%(name)s is still linked to %(count)d clients: unlink it from them first.",
                in_use,
            )
            % {"name": integration, "count": in_use},
            client_count=in_use,
        )
    audit_record(
        firm=membership.firm,
        actor=membership.user,
        action="integration.removed",
        target=integration,
    )
    integration.delete()


# Templates


def _template_links(
    membership: Membership, integrations: Sequence[dict[str, Any]]
) -> tuple[list[tuple[FirmIntegration, dict[str, Any]]], list[FieldError]]:
    """[(firm integration, settings)] from [{"integration": id or key, "settings": {...}}]."""
    installed = list(FirmIntegration.objects.filter(firm=membership.firm))
    links: list[tuple[FirmIntegration, dict[str, Any]]] = []
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, item in enumerate(integrations):
        ref = item.get("integration")
        found = integration_ref_match(ref, installed)
        if found is None:
            errors.append(
                FieldError(
                    f"integrations.{index}.integration",
                    "unknown_integration",
                    _("Install this integration for the firm first (Settings → Integrations)."),
                    ref,
                )
            )
            continue
        if found.pk in seen:
            continue
        seen.add(found.pk)
        values, problems = settings_clean(
            found.spec.client_fields,
            item.get("settings"),
            prefix=f"integrations.{index}.settings.",
            require=False,
        )
        errors += problems
        links.append((found, values))
    return links, errors


def _template_clean(
    membership: Membership,
    *,
    name: str | None,
    user_ids: Iterable[int | str] | None,
    integrations: Sequence[dict[str, Any]] | None,
    exclude_id: int | None = None,
) -> tuple[str, list[Membership], list[tuple[FirmIntegration, dict[str, Any]]]]:
    errors: list[FieldError] = []
    name = (name or "").strip()
    problem = template_name_problem(membership, name, exclude_id=exclude_id)
    if problem:
        errors.append(problem)
    wanted = {int(pk) for pk in user_ids or ()}
    users = list(Membership.objects.filter(firm=membership.firm, pk__in=wanted))
    if len(users) != len(wanted):
        errors.append(FieldError("users", "unknown_user", _("Choose staff members of this firm.")))
    links, link_errors = _template_links(membership, integrations or ())
    errors += link_errors
    if errors:
        raise ValidationFailed(errors)
    return name, users, links


def template_name_problem(
    membership: Membership, name: str | None, *, exclude_id: int | None = None
) -> FieldError | None:
    """What is wrong with this template name, if anything (the wizard asks at its first step)."""
    name = (name or "").strip()
    if not name:
        return FieldError("name", "required", _("This field is required."))
    if unstorable(name):
        return FieldError("name", INVALID_CHARACTER, str(INVALID_CHARACTER_MESSAGE))
    if len(name) > TEMPLATE_NAME_LIMIT:
        return FieldError(
            "name",
            "too_long",
            _("Use at most %(limit)d characters.") % {"limit": TEMPLATE_NAME_LIMIT},
        )
    if _name_taken(membership.firm, name, exclude_id):
        return FieldError("name", "already_exists", _("A template with this name exists already."))
    return None


def _name_taken(firm: Firm, name: str, exclude_id: int | None) -> bool:
    taken = ConfigurationTemplate.objects.filter(firm=firm, name_key=template_name_key(name))
    if exclude_id:
        taken = taken.exclude(pk=exclude_id)
    return taken.exists()


def _save_template(template: ConfigurationTemplate, *, is_default: bool) -> None:
    if is_default:
        ConfigurationTemplate.objects.filter(firm=template.firm, is_default=True).exclude(
            pk=template.pk
        ).update(is_default=False)
    template.is_default = is_default
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise ValidationFailed(
            [FieldError("name", "already_exists", _("A template with this name exists already."))]
        ) from None


def _store_template(
    membership: Membership,
    template: ConfigurationTemplate,
    is_default: bool,
    users: list[Membership],
    links: list[tuple[FirmIntegration, dict[str, Any]]],
    *,
    action: str,
) -> None:
    _save_template(template, is_default=is_default)
    template.users.set(users)
    TemplateIntegration.objects.bulk_create(
        [
            TemplateIntegration(template=template, firm_integration=fi, settings=values)
            for fi, values in links
        ]
    )
    audit_record(firm=membership.firm, actor=membership.user, action=action, target=template)


@transaction.atomic
def template_create(
    *,
    membership: Membership,
    name: str | None,
    description: str = "",
    user_ids: Iterable[int] = (),
    integrations: Sequence[dict[str, Any]] = (),
    is_default: bool = False,
) -> ConfigurationTemplate:
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    name, users, links = _template_clean(
        membership, name=name, user_ids=user_ids, integrations=integrations
    )
    template = ConfigurationTemplate(
        firm=membership.firm, name=name, description=(description or "").strip()
    )
    _store_template(membership, template, is_default, users, links, action="template.created")
    return template


@transaction.atomic
def template_update(
    *,
    membership: Membership,
    template: ConfigurationTemplate,
    name: str | None,
    description: str = "",
    user_ids: Iterable[int] = (),
    integrations: Sequence[dict[str, Any]] = (),
    is_default: bool = False,
) -> ConfigurationTemplate:
    """Change the template; clients created from it keep the settings they were given."""
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    require_same_firm(membership, template)
    template = get_object_or_404(
        ConfigurationTemplate.objects.select_for_update(), pk=template.pk, firm=membership.firm
    )
    name, users, links = _template_clean(
        membership, name=name, user_ids=user_ids, integrations=integrations, exclude_id=template.pk
    )
    template.name = name
    template.description = (description or "").strip()
    template.integration_links.all().delete()
    _store_template(membership, template, is_default, users, links, action="template.updated")
    return template


@transaction.atomic
def template_duplicate(
    *, membership: Membership, template: ConfigurationTemplate
) -> ConfigurationTemplate:
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    require_same_firm(membership, template)
    base = _("Copy of %(name)s") % {"name": template.name}
    name, number = base[:TEMPLATE_NAME_LIMIT], 2
    while _name_taken(membership.firm, name, None):
        suffix = f" ({number})"
        name, number = base[: TEMPLATE_NAME_LIMIT - len(suffix)] + suffix, number + 1
    return template_create(
        membership=membership,
        name=name,
        description=template.description,
        user_ids=[m.pk for m in template.users.all()],
        integrations=[
            {"integration": link.firm_integration_id, "settings": link.settings}
            for link in template.integration_links.all()
        ],
        is_default=False,
    )


@transaction.atomic
def template_delete(*, membership: Membership, template: ConfigurationTemplate) -> None:
    """Clients made from it keep their staff and integrations, and the template's name."""
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    require_same_firm(membership, template)
    audit_record(
        firm=membership.firm,
        actor=membership.user,
        action="template.deleted",
        target=template,
        data={"clients": Client.objects.filter(template=template).count()},
    )
    template.delete()


@transaction.atomic
def template_make_default(*, membership: Membership, template: ConfigurationTemplate) -> None:
    require_role(membership.can_manage_configuration, ADMINISTRATORS_ONLY)
    require_same_firm(membership, template)
    ConfigurationTemplate.objects.filter(firm=membership.firm, is_default=True).update(
        is_default=False
    )
    ConfigurationTemplate.objects.filter(pk=template.pk, firm=membership.firm).update(
        is_default=True
    )


# Applying a template: the one place that turns a template into a client's settings.


def template_apply(
    *,
    clients: Sequence[Client],
    template: ConfigurationTemplate,
    actor: User | None = None,
    source: str = HistorySource.STAFF,
) -> None:
    """Assign the template's staff and link its integrations to each of these new clients.

    Runs inside the caller's transaction (the client's creation or an import batch), so the
    clients exist with all of it or not at all. Required per-client settings the template
    cannot know take the client's external reference where the integration keys clients by
    it; what is still missing leaves the link marked incomplete for someone to finish.
    """
    if not clients:
        return
    if any(client.firm_id != template.firm_id for client in clients):
        # Another firm's staff and integrations must never reach these clients.
        raise Http404
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("template_apply must run inside the client's transaction")
    users = list(template.users.select_related("user"))
    links = list(template.integration_links.select_related("firm_integration"))
    # Plain rows through core.bulk: an import applies a template to thousands of clients at
    # once, and building a model instance per row would cost more than the rest of it.
    now = timezone.now()
    stamp = db_datetime(now)
    db_json = json_for_db()
    # Every client gets the same history lines: encoded once, not once per client.
    changes = json_text(
        [
            {"field": "template", "old": None, "new": template.name},
            *({"field": "assigned", "old": None, "new": str(m.user)} for m in users),
            *(
                {"field": "integration", "old": None, "new": str(link.firm_integration.spec.name)}
                for link in links
            ),
        ]
    )
    # A link's settings depend only on the client's external reference: worked out once per
    # reference (most clients of an import have none, or one of their own).
    settings: dict[tuple[int, str | None], tuple[JsonText, bool]] = {}
    assignments, integrations, history = [], [], []
    for client in clients:
        assignments += [(client.pk, m.pk, stamp) for m in users]
        reference = client.external_reference
        for index, link in enumerate(links):
            known = settings.get((index, reference))
            if known is None:
                spec = link.firm_integration.spec
                values = external_reference_defaults(
                    spec.client_fields, dict(link.settings), reference
                )
                complete = not settings_missing(spec.client_fields, values)
                known = settings[(index, reference)] = (json_text(values), complete)
            integrations.append(
                (client.pk, link.firm_integration_id, db_json(known[0]), known[1], stamp)
            )
        history.append((client.pk, "template_applied", changes))
    insert_rows(ClientAssignment, ("client", "membership", "assigned_at"), assignments)
    insert_rows(
        ClientIntegration,
        ("client", "firm_integration", "settings", "is_complete", "created_at"),
        integrations,
    )
    histories_record(entries=history, actor=actor, source=source, at=now)


def external_reference_defaults(
    fields: Iterable[SettingField], values: dict[str, Any], reference: str | None
) -> dict[str, Any]:
    """Fill the settings an integration keys clients by with the client's external reference,
    only where the reference is a valid value there: an Exact division is digits, and a
    reference like KL-001 passed off as one would mark a broken link complete."""
    if not reference:
        return values
    for field in fields:
        if field.from_external_reference and not values.get(field.key):
            cleaned, errors = settings_clean([field], {field.key: reference})
            if not errors:
                values[field.key] = cleaned[field.key]
    return values


# A client's own integration links


@transaction.atomic
def client_integration_link(
    *,
    membership: Membership,
    client: Client,
    integration_id: int | str | None,
    settings: dict[str, Any] | None = None,
    source: str = HistorySource.STAFF,
) -> ClientIntegration:
    try:
        integration = FirmIntegration.objects.get(
            firm_id=client.firm_id, pk=int(integration_id or "")
        )
    except (FirmIntegration.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(
            [
                FieldError(
                    "integration",
                    "unknown_integration",
                    _("Install this integration for the firm first."),
                )
            ]
        ) from None
    if ClientIntegration.objects.filter(client=client, firm_integration=integration).exists():
        raise Conflict("already_linked", _("%(name)s is linked already.") % {"name": integration})
    fields = integration.spec.client_fields
    values = external_reference_defaults(fields, dict(settings or {}), client.external_reference)
    values, errors = settings_clean(fields, values)
    if errors:
        raise ValidationFailed(errors)
    link = ClientIntegration.objects.create(
        client=client, firm_integration=integration, settings=values
    )
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="integration_linked",
        changes=[{"field": "integration", "old": None, "new": str(integration)}],
    )
    return link


@transaction.atomic
def client_integrations_link(
    *,
    membership: Membership,
    client: Client,
    integrations: Sequence[dict[str, Any]],
    source: str = HistorySource.STAFF,
) -> None:
    """Link each integration ({"integration": id or key, "settings": {...}}) to a client by
    hand; one the client has already (through its template) takes these settings on top of
    its own. Errors name the item: `integrations.<index>.<field>`."""
    errors: list[FieldError] = []
    for index, item in enumerate(integrations):
        found = firm_integration_find(client.firm_id, item.get("integration"))
        settings = dict(item.get("settings") or {})
        linked = (
            ClientIntegration.objects.filter(client=client, firm_integration=found)
            .select_related("firm_integration")
            .first()
            if found is not None
            else None
        )
        try:
            if linked is None:
                client_integration_link(
                    membership=membership,
                    client=client,
                    integration_id=found.pk if found is not None else None,
                    settings=settings,
                    source=source,
                )
            else:
                client_integration_update(
                    membership=membership,
                    link=linked,
                    settings={**linked.settings, **settings},
                    source=source,
                )
        except ValidationFailed as failed:
            errors += [
                FieldError(f"integrations.{index}.{e.field}", e.code, e.message, e.value)
                for e in failed.errors
            ]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def client_integration_update(
    *,
    membership: Membership,
    link: ClientIntegration,
    settings: dict[str, Any],
    source: str = HistorySource.STAFF,
) -> ClientIntegration:
    """Override a linked integration's settings for this client, validated in full."""
    values, errors = settings_clean(link.firm_integration.spec.client_fields, settings)
    if errors:
        raise ValidationFailed(errors)
    old = dict(link.settings)
    link.settings = values
    link.is_complete = True
    link.save(update_fields=["settings", "is_complete"])
    # The catalog's keys, not labels: the history page names the setting in the reader's
    # language (catalog.setting_history_label).
    changes = [
        {
            "field": setting_history_field(link.firm_integration.key, key),
            "old": old.get(key),
            "new": values.get(key),
        }
        for key in sorted(set(old) | set(values))
        if old.get(key) != values.get(key)
    ]
    if changes:
        history_record(
            client=link.client,
            actor=membership.user,
            source=source,
            action="integration_updated",
            changes=changes,
        )
    return link


@transaction.atomic
def client_integration_unlink(
    *, membership: Membership, link: ClientIntegration, source: str = HistorySource.STAFF
) -> None:
    history_record(
        client=link.client,
        actor=membership.user,
        source=source,
        action="integration_unlinked",
        changes=[{"field": "integration", "old": str(link.firm_integration), "new": None}],
    )
    link.delete()
