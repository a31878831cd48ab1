from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerspace.clients.selectors import client_get_for_user, staff_choices
from partnerspace.configuration import selectors, services
from partnerspace.configuration.catalog import INTEGRATIONS, integration_spec
from partnerspace.configuration.forms import TemplateNameForm
from partnerspace.configuration.wizard import wizard_forget, wizard_save, wizard_state
from partnerspace.core.errors import ServiceError, ValidationFailed
from partnerspace.core.forms import error_text
from partnerspace.core.numbers import int_param
from partnerspace.firms.access import firm_view


@firm_view(permission="can_manage_configuration")
def template_list(request):
    return render(
        request,
        "configuration/template_list.html",
        {"templates": selectors.templates_of_firm(request.firm)},
    )


@firm_view(permission="can_manage_configuration")
def template_new(request):
    return _wizard(request, None)


@firm_view(permission="can_manage_configuration")
def template_edit(request, template_id: int):
    return _wizard(request, selectors.template_get_for_user(request.membership, template_id))


def _wizard(request, template):
    """Naam en beschrijving → Gebruikers toewijzen → Integraties toevoegen → Sjabloon opslaan."""
    state = wizard_state(request, template)
    if request.method == "GET" and "step" not in request.GET:
        # A fresh start: forget what an earlier, abandoned visit left in the session.
        wizard_forget(request, template)
        state = wizard_state(request, template)
    step = _step(request.POST.get("step") or request.GET.get("step"))
    installed = list(selectors.firm_integrations(request.firm))
    errors: dict = {}
    name_form = TemplateNameForm(initial=state)
    if request.method == "POST":
        _remember(request, step, state, installed)
        wizard_save(request, template, state)
        going_back = request.POST.get("direction") == "back"
        if step == 1:
            name_form = TemplateNameForm(initial=state)
            problem = services.template_name_problem(
                request.membership, state["name"], exclude_id=template and template.pk
            )
            if problem and not going_back:
                name_form = TemplateNameForm(request.POST)
                name_form.is_valid()
                name_form.add_error("name", problem.message)
            else:
                return _go(request, template, 2)
        elif going_back:
            return _go(request, template, step - 1)
        elif step == 2:
            return _go(request, template, 3)
        else:
            saved = _save(request, template, state)
            if not isinstance(saved, dict):
                return saved
            errors = saved
    context = {
        "template": template,
        "step": step,
        "state": state,
        "name_form": name_form,
        "staff": staff_choices(request.membership),
        "integrations": [
            {
                "installed": fi,
                "checked": str(fi.pk) in state["integrations"],
                "fields": [
                    {
                        "spec": spec,
                        "value": state["integrations"].get(str(fi.pk), {}).get(spec.key, ""),
                        "error": errors.get(f"{fi.pk}.{spec.key}"),
                    }
                    for spec in fi.spec.client_fields
                ],
            }
            for fi in installed
        ],
        "general_errors": errors.get(None, []),
    }
    return render(request, "configuration/template_wizard.html", context)


def _step(raw) -> int:
    try:
        return min(max(int(raw), 1), 3)
    except (TypeError, ValueError):
        return 1


def _go(request, template, step: int):
    if template is None:
        url = reverse("configuration:template_new", args=[request.firm.slug])
    else:
        url = reverse("configuration:template_edit", args=[request.firm.slug, template.pk])
    return redirect(f"{url}?step={step}")


def _remember(request, step: int, state: dict, installed) -> None:
    data = request.POST
    if step == 1:
        state["name"] = data.get("name", "").strip()
        state["description"] = data.get("description", "").strip()
        state["is_default"] = bool(data.get("is_default"))
    elif step == 2:
        state["user_ids"] = [pk for pk in map(int_param, data.getlist("users")) if pk]
    else:
        chosen = set(data.getlist("integrations"))
        state["integrations"] = {
            str(fi.pk): {
                spec.key: data.get(f"setting-{fi.pk}-{spec.key}", "").strip()
                for spec in fi.spec.client_fields
            }
            for fi in installed
            if str(fi.pk) in chosen
        }


def _save(request, template, state: dict):
    arguments = {
        "membership": request.membership,
        "name": state["name"],
        "description": state["description"],
        "user_ids": state["user_ids"],
        "integrations": [
            {"integration": int(pk), "settings": {k: v for k, v in values.items() if v}}
            for pk, values in state["integrations"].items()
        ],
        "is_default": state["is_default"],
    }
    try:
        if template is None:
            saved = services.template_create(**arguments)
        else:
            saved = services.template_update(template=template, **arguments)
    except ValidationFailed as failed:
        # Errors name integrations by position; turn them into "<integration id>.<setting>".
        order = list(state["integrations"])
        errors: dict = {None: []}
        for error in failed.errors:
            parts = (error.field or "").split(".")
            if parts[0] == "integrations" and len(parts) >= 4:
                errors[f"{order[int(parts[1])]}.{parts[3]}"] = error.message
            else:
                errors[None].append(error.message)
        return errors
    wizard_forget(request, template)
    messages.success(request, _("Template %(name)s saved.") % {"name": saved.name})
    return redirect("configuration:templates", request.firm.slug)


@firm_view(permission="can_manage_configuration")
@require_POST
def template_duplicate(request, template_id: int):
    template = selectors.template_get_for_user(request.membership, template_id)
    copy = services.template_duplicate(membership=request.membership, template=template)
    messages.success(request, _("Template copied as %(name)s.") % {"name": copy.name})
    return redirect("configuration:templates", request.firm.slug)


@firm_view(permission="can_manage_configuration")
@require_POST
def template_delete(request, template_id: int):
    template = selectors.template_get_for_user(request.membership, template_id)
    services.template_delete(membership=request.membership, template=template)
    messages.success(
        request,
        _("Template %(name)s deleted. Clients made from it keep their settings.")
        % {"name": template.name},
    )
    return redirect("configuration:templates", request.firm.slug)


@firm_view(permission="can_manage_configuration")
@require_POST
def template_default(request, template_id: int):
    template = selectors.template_get_for_user(request.membership, template_id)
    services.template_make_default(membership=request.membership, template=template)
    messages.success(request, _("%(name)s is now the default template.") % {"name": template.name})
    return redirect("configuration:templates", request.firm.slug)


# Instellingen → Integraties


@firm_view(permission="can_manage_configuration")
def integration_list(request):
    installed = {fi.key: fi for fi in selectors.firm_integrations(request.firm)}
    return render(
        request,
        "configuration/integration_list.html",
        {"catalog": [(spec, installed.get(spec.key)) for spec in INTEGRATIONS]},
    )


@firm_view(permission="can_manage_configuration")
def integration_install(request, key: str):
    spec = integration_spec(key)
    if spec is None:
        return redirect("configuration:integrations", request.firm.slug)
    values = {f.key: request.POST.get(f.key, "") for f in spec.firm_fields}
    errors = {}
    if request.method == "POST":
        try:
            services.integration_install(membership=request.membership, key=key, settings=values)
        except ValidationFailed as failed:
            errors = {(e.field or "").split(".")[-1]: e.message for e in failed.errors}
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("configuration:integrations", request.firm.slug)
        else:
            messages.success(request, _("%(name)s installed.") % {"name": spec.name})
            return redirect("configuration:integrations", request.firm.slug)
    return render(
        request,
        "configuration/integration_form.html",
        {"spec": spec, "fields": _rows(spec.firm_fields, values, errors)},
    )


@firm_view(permission="can_manage_configuration")
def integration_edit(request, integration_id: int):
    integration = selectors.firm_integration_get_for_user(request.membership, integration_id)
    spec = integration.spec
    values = dict(integration.settings)
    errors = {}
    if request.method == "POST":
        values = {f.key: request.POST.get(f.key, "") for f in spec.firm_fields}
        try:
            services.integration_update(
                membership=request.membership, integration=integration, settings=values
            )
        except ValidationFailed as failed:
            errors = {(e.field or "").split(".")[-1]: e.message for e in failed.errors}
        else:
            messages.success(request, _("Settings saved."))
            return redirect("configuration:integrations", request.firm.slug)
    return render(
        request,
        "configuration/integration_form.html",
        {
            "spec": spec,
            "integration": integration,
            "fields": _rows(spec.firm_fields, values, errors),
        },
    )


@firm_view(permission="can_manage_configuration")
@require_POST
def integration_remove(request, integration_id: int):
    integration = selectors.firm_integration_get_for_user(request.membership, integration_id)
    try:
        services.integration_remove(membership=request.membership, integration=integration)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s removed.") % {"name": integration})
    return redirect("configuration:integrations", request.firm.slug)


def _rows(fields, values, errors) -> list[dict]:
    return [{"spec": f, "value": values.get(f.key, ""), "error": errors.get(f.key)} for f in fields]


# Integrations linked to one client (pages under the client's own address)


@firm_view()
@require_POST
def client_link(request, client_id: int):
    client = client_get_for_user(request.membership, client_id)
    try:
        link = services.client_integration_link(
            membership=request.membership,
            client=client,
            integration_id=request.POST.get("integration"),
        )
    except ValidationFailed as failed:
        messages.error(request, error_text(failed))
        integration = int_param(request.POST.get("integration"))
        if integration:
            # Required per-client settings are missing: ask for them on the settings page.
            return redirect(
                f"{reverse('clients:integration_new', args=[request.firm.slug, client.pk])}"
                f"?integration={integration}"
            )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s linked.") % {"name": link.firm_integration})
    return redirect(
        f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#integrations"
    )


@firm_view()
def client_link_new(request, client_id: int):
    client = client_get_for_user(request.membership, client_id)
    integration = selectors.firm_integration_get_for_user(
        request.membership, request.GET.get("integration") or request.POST.get("integration")
    )
    values = {f.key: request.POST.get(f.key, "") for f in integration.spec.client_fields}
    errors = {}
    if request.method == "POST":
        try:
            services.client_integration_link(
                membership=request.membership,
                client=client,
                integration_id=integration.pk,
                settings=values,
            )
        except ValidationFailed as failed:
            errors = {(e.field or "").split(".")[-1]: e.message for e in failed.errors}
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("clients:detail", request.firm.slug, client.pk)
        else:
            messages.success(request, _("%(name)s linked.") % {"name": integration})
            return redirect(
                f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#integrations"
            )
    else:
        values = services.external_reference_defaults(
            integration.spec.client_fields, values, client.external_reference
        )
    return render(
        request,
        "clients/integration_form.html",
        {
            "client": client,
            "integration": integration,
            "fields": _client_setting_rows(integration, values, errors),
        },
    )


@firm_view()
def client_link_edit(request, client_id: int, link_id: int):
    client = client_get_for_user(request.membership, client_id)
    link = selectors.client_integration_get(client, link_id)
    spec = link.firm_integration.spec
    values = dict(link.settings)
    errors = {}
    if request.method == "POST":
        values = {f.key: request.POST.get(f.key, "") for f in spec.client_fields}
        try:
            services.client_integration_update(
                membership=request.membership, link=link, settings=values
            )
        except ValidationFailed as failed:
            errors = {(e.field or "").split(".")[-1]: e.message for e in failed.errors}
        else:
            messages.success(
                request, _("Settings of %(name)s saved.") % {"name": link.firm_integration}
            )
            return redirect(
                f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#integrations"
            )
    return render(
        request,
        "clients/integration_form.html",
        {
            "client": client,
            "integration": link.firm_integration,
            "link": link,
            "fields": _client_setting_rows(link.firm_integration, values, errors),
        },
    )


def _client_setting_rows(integration, values, errors) -> list[dict]:
    return [
        {"spec": spec, "value": values.get(spec.key, ""), "error": errors.get(spec.key)}
        for spec in integration.spec.client_fields
    ]


@firm_view()
@require_POST
def client_link_unlink(request, client_id: int, link_id: int):
    client = client_get_for_user(request.membership, client_id)
    link = selectors.client_integration_get(client, link_id)
    services.client_integration_unlink(membership=request.membership, link=link)
    messages.success(request, _("%(name)s unlinked.") % {"name": link.firm_integration})
    return redirect(
        f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#integrations"
    )
