import json
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_POST

from partnerspace.clients import selectors, services
from partnerspace.clients.forms import ChooseTemplateForm, ClientForm, ContactForm, NewContactForm
from partnerspace.clients.labels import FIELD_LABELS
from partnerspace.clients.listfilters import list_filters
from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.selection import (
    MAX_SELECTION,
    list_page_url,
    selection_add,
    selection_back,
    selection_clear,
    selection_clients,
    selection_get,
    selection_update,
)
from partnerspace.clients.selectors import PAGE_SIZES, ClientFilters
from partnerspace.clients.validation import CLIENT_FIELDS, COMPANY_FIELDS, COMPANY_NUMBERS
from partnerspace.configuration import selectors as configuration_selectors
from partnerspace.core.errors import Conflict, NotAllowed, ServiceError, ValidationFailed
from partnerspace.core.forms import error_text, field_note, form_add_service_error
from partnerspace.core.numbers import MAX_PAGE, int_param
from partnerspace.firms.access import firm_view
from partnerspace.identifiers import rules
from partnerspace.invitations.models import InvitationState
from partnerspace.invitations.selectors import invitations_of_client, latest_invitation_states
from partnerspace.peppol.models import RegistrationStatus
from partnerspace.peppol.selectors import peppol_state, registration_statuses
from partnerspace.register.selectors import (
    RegisterCopy,
    RegisterMatch,
    client_register_comparison,
    normalized_number,
    register_client_values,
    register_companies_brief,
    register_companies_search,
    register_copy,
)
from partnerspace.register.services import client_register_take
from partnerspace.vies.views import section_context as vies_section_context

MANDATE_CONFIRMED = gettext_lazy("Mandate confirmed")
# The badge of each state in the list's Invitation and Peppol columns.
INVITATION_BADGES = {
    InvitationState.QUEUED: "badge-invited",
    InvitationState.RETRYING: "badge-warning",
    InvitationState.FAILED: "badge-danger",
    InvitationState.SENT: "badge-invited",
    InvitationState.EXPIRED: "badge-warning",
    InvitationState.ACCEPTED: "badge-active",
    InvitationState.REVOKED: "badge-draft",
    InvitationState.REPLACED: "badge-draft",
}
PEPPOL_BADGES: dict[str, str] = {
    RegistrationStatus.PENDING: "badge-invited",
    RegistrationStatus.REGISTERED: "badge-active",
    RegistrationStatus.FAILED: "badge-danger",
    RegistrationStatus.REGISTERED_ELSEWHERE: "badge-warning",
}


# The list's filters from a query string (the selection and the export read them too).
filters_from = selectors.list_filters_from


def extra_filters_shown(membership, filters: ClientFilters, tab_counts: dict) -> list[dict]:
    """The other apps' filters as the list draws them: each choice with its count among the
    tab's clients, when the filter counts; for a large firm, as counted since its clients
    last changed (the filter's app raises the firm's clients_version when its counts do)."""
    chosen = dict(filters.extra)
    tab = ClientFilters(tab=filters.tab, status=filters.status)
    tab_ids = None  # the tab's clients, as a subquery: built once, and only to count
    shown = []
    for list_filter in list_filters():
        counts: dict[str, int] = {}
        if list_filter.count is not None:
            key = (
                f"clients:filter-counts:{list_filter.param}:{membership.firm_id}:"
                f"{membership.firm.clients_version}:{membership.clients_seen}:"
                f"{tab.tab}:{tab.status}"
            )
            cached = cache.get(key)
            if cached is not None:
                counts = cached
            else:
                if tab_ids is None:
                    tab_ids = selectors.client_ids_matching(membership, tab)
                counts = list_filter.count(Client.objects.filter(pk__in=tab_ids))
                if tab_counts.get("all", 0) >= selectors.COUNTS_CACHE_FROM:
                    cache.set(key, counts, selectors.COUNTS_CACHE_SECONDS)
        value_chosen = chosen.get(list_filter.param, "")
        choices = [(value, label, counts.get(value)) for value, label in list_filter.choices]
        shown.append(
            {
                "param": list_filter.param,
                "label": list_filter.label,
                "choices": choices,
                # As the select draws them, written once here: the page is drawn often.
                "options": [
                    (value, _option_text(label, count), value == value_chosen)
                    for value, label, count in choices
                ],
            }
        )
    return shown


def _option_text(label, count: int | None) -> str:
    return str(label) if count is None else f"{label} ({intcomma(count)})"


def client_row_states(rows) -> None:
    """Give each row of the list its invitation and Peppol state, as (badge class, label) or
    None: two queries whatever the page's size. clients knows nothing of invitations and
    Peppol, so the page (a door) reads them."""
    ids = [client.pk for client in rows]
    invitations = latest_invitation_states(ids) if ids else {}
    registrations = registration_statuses(ids) if ids else {}
    for client in rows:
        state = invitations.get(client.pk)
        client.row_invitation = (INVITATION_BADGES[state], state.label) if state else None
        status = registrations.get(client.pk)
        if status in PEPPOL_BADGES:
            client.row_peppol = (PEPPOL_BADGES[status], RegistrationStatus(status).label)
        elif client.peppol_mandate:
            client.row_peppol = ("badge-draft", MANDATE_CONFIRMED)
        else:
            client.row_peppol = None


@firm_view()
def client_list(request):
    membership = request.membership
    filters = filters_from(request.GET)
    page_size = int_param(request.GET.get("size")) or PAGE_SIZES[0]
    if page_size not in PAGE_SIZES:
        page_size = PAGE_SIZES[0]
    counts = selectors.tab_counts(membership)
    if "tab" not in request.GET and not counts["active"] and counts["inactive"]:
        # Nothing active yet (a new firm): open where its clients are.
        filters = replace(filters, tab="inactive")
    page = selectors.client_page(
        membership,
        filters,
        page=int_param(request.GET.get("page"), maximum=MAX_PAGE) or 1,
        page_size=page_size,
        counts=counts,
    )
    client_row_states(page.rows)
    context = {
        "page": page,
        "filters": filters,
        "counts": counts,
        "staff": selectors.staff_names(membership),
        "selection": selection_get(request),
        "back": request.get_full_path(),
        # Row links are this prefix plus the id: one reverse() instead of three per row.
        "detail_base": reverse("clients:list", args=[request.firm.slug]),
    }
    if request.htmx and request.htmx.target == "client-results":
        return render(request, "clients/_results.html", context)
    context.update(
        templates=configuration_selectors.template_choices(request.firm),
        inactive_statuses=[(s.value, s.label) for s in ClientStatus if s != ClientStatus.ACTIVE],
        extra_filters=extra_filters_shown(membership, filters, counts),
    )
    return render(request, "clients/list.html", context)


@firm_view()
@require_POST
def client_selection(request):
    """Remember which rows are ticked, across pages: the bulk bar answers with the count."""
    if request.POST.get("clear"):
        selection_clear(request)
    elif request.POST.get("all"):
        matching = selectors.client_ids_matching(request.membership, filters_from(request.POST))
        selection_add(request, matching.order_by()[:MAX_SELECTION])
    else:
        visible = [pk for pk in map(int_param, request.POST.getlist("visible")) if pk]
        ticked = [pk for pk in map(int_param, request.POST.getlist("selected")) if pk]
        allowed = set(
            selectors.clients_visible_to(request.membership)
            .filter(pk__in=visible)
            .values_list("pk", flat=True)
        )
        selection_update(request, visible=allowed, ticked=set(ticked) & allowed)
    response = render(
        request,
        "clients/_bulkbar.html",
        {
            "selection": selection_get(request),
            "staff": selectors.staff_names(request.membership),
            # The bar is redrawn by this POST: after a bulk action the user goes back to the
            # list page the tick was made on, never to this URL, which accepts only POST.
            "back": list_page_url(request, request.headers.get("HX-Current-URL", "")),
        },
    )
    if request.POST.get("clear"):
        response.headers["HX-Trigger"] = "selection-cleared"
    elif request.POST.get("all"):
        response.headers["HX-Trigger"] = "selection-all"
    return response


@firm_view()
@require_POST
def client_bulk(request):
    membership = request.membership
    clients = list(selection_clients(request))
    action = request.POST.get("action")
    try:
        if action in {"assign", "unassign"}:
            staff_ids = [pk for pk in map(int_param, request.POST.getlist("staff")) if pk]
            change = (
                services.clients_bulk_assign
                if action == "assign"
                else services.clients_bulk_unassign
            )
            outcome = change(membership=membership, clients=clients, membership_ids=staff_ids)
            if action == "assign":
                text = ngettext(
                    "Staff assigned to %(done)d client.",
                    "Staff assigned to %(done)d clients.",
                    outcome.done,
                )
            else:
                text = ngettext(
                    "Staff unassigned from %(done)d client.",
                    "Staff unassigned from %(done)d clients.",
                    outcome.done,
                )
        elif action == "archive":
            outcome = services.clients_bulk_archive(membership=membership, clients=clients)
            text = ngettext("%(done)d client archived.", "%(done)d clients archived.", outcome.done)
        elif action == "delete":
            outcome = services.clients_bulk_delete(membership=membership, clients=clients)
            text = ngettext("%(done)d client deleted.", "%(done)d clients deleted.", outcome.done)
        else:
            messages.error(request, _("Choose an action."))
            return redirect(selection_back(request))
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
        return redirect(selection_back(request))
    text = text % {"done": outcome.done}
    if outcome.skipped:
        text += " " + ngettext("%(skipped)d skipped.", "%(skipped)d skipped.", outcome.skipped) % {
            "skipped": outcome.skipped
        }
        if action == "delete":
            text += " " + _("Only clients in Draft, not registered on Peppol, can be deleted.")
    messages.success(request, text)
    selection_clear(request)
    return redirect(selection_back(request))


# Klant toevoegen's look-up in the public register (register.selectors).
REGISTER_MATCHES = 10
MAX_REGISTER_QUERY = 200
# The client fields a company chosen in the register fills, in the form's order.
REGISTER_FIELDS = (
    "company_number", "vat_number", "legal_name", "country",
    "street", "house_number", "box", "postal_code", "city",
)  # fmt: skip


@dataclass(frozen=True)
class RegisterChoice:
    """A company of the register as the look-up offers it."""

    match: RegisterMatch
    number_display: str
    # The firm's client that holds its number, only when the user may see that client.
    client: Client | None
    url: str  # the form filled with it, without the page's script
    fill: str  # the same values as JSON, for the page's script (app.js)


def _register_form_values(number: str, copy: RegisterCopy) -> dict[str, str]:
    """The client fields the register fills for the company `number`, as the form shows
    them; empty when the copy does not hold it."""
    company = register_companies_brief([number], copy=copy).get(number)
    return _shown(register_client_values(company)) if company else {}


def _shown(values: dict[str, str]) -> dict[str, str]:
    shown = dict(values)
    if "company_number" in shown:
        shown["company_number"] = rules.format_company_number(shown["company_number"])
    if "vat_number" in shown:
        shown["vat_number"] = rules.format_vat(shown["vat_number"])
    return shown


def _template_param(query) -> str | None:
    """The chosen template as the add page's URL carries it (an id, or empty for none);
    None when the URL has none, so the page asks for one first."""
    value = query.get("template")
    if value is None:
        return None
    return value if value.isdecimal() else ""


def _register_choices(request, query: str, copy: RegisterCopy | None) -> list[RegisterChoice]:
    """The register's best matches for `query`, each with the firm's client holding its
    number when this user may see it (clients' own visibility rule)."""
    if copy is None or not query:
        return []
    matches = register_companies_search(query, REGISTER_MATCHES)
    numbers = [match.number for match in matches]
    companies = register_companies_brief(numbers, copy=copy)
    holders = selectors.clients_holding_numbers(request.membership, numbers)
    add_url = reverse("clients:add", args=[request.firm.slug])
    template = _template_param(request.GET)
    choices = []
    for match in matches:
        company = companies.get(match.number)
        values = _shown(register_client_values(company)) if company else {}
        params = {} if template is None else {"template": template}
        params["kbo"] = match.number
        choices.append(
            RegisterChoice(
                match=match,
                number_display=rules.format_company_number(match.number),
                client=holders.get(match.number),
                url=f"{add_url}?{urlencode(params)}",
                fill=json.dumps(values),
            )
        )
    return choices


def _register_query(query) -> str:
    return " ".join(query.get("q", "").split())[:MAX_REGISTER_QUERY]


@firm_view()
def client_register_search(request):
    """Klant toevoegen's look-up as you type (htmx): the register's companies matching `q`
    (words of a name, an enterprise or VAT number). The register is public and the same for
    every firm, so every role may read it, as through the API; a company the firm has as a
    client is marked, and its client named, only for someone who may see that client."""
    query = _register_query(request.GET)
    context = {
        "register_query": query,
        "register_choices": _register_choices(request, query, register_copy()),
    }
    return render(request, "clients/_register_matches.html", context)


def _register_marks(form, copy: RegisterCopy, values: dict[str, str], typed) -> None:
    """Mark the fields whose value the register gave ("from the KBO, <date>"): all it
    filled, on a form just filled; those still as it gave them, on a form sent back. Every
    field it may fill gets its mark, hidden when not shown, for the page's script."""
    text = _("from the KBO, %(date)s") % {
        "date": date_format(copy.snapshot_date, "SHORT_DATE_FORMAT")
    }
    for name in REGISTER_FIELDS:
        given = values.get(name, "")
        shown = bool(given) and (typed is None or _same_value(name, typed.get(name), given))
        field_note(form.fields[name], text, shown=shown)


def _same_value(name: str, typed: str | None, given: str) -> bool:
    typed = (typed or "").strip()
    if name in ("company_number", "vat_number"):
        return normalized_number(typed) == normalized_number(given) if typed else False
    return typed == given


@firm_view(permission="can_create_clients")
def client_add(request):
    """Klant toevoegen: choose a template (the default preselected), then the details.

    With the public register loaded, the details start from a look-up in it: a company
    chosen fills the details (marked as the register's, still editable)."""
    templates = list(configuration_selectors.templates_of_firm(request.firm))
    template = None
    if templates:
        if "template" not in request.GET and request.method == "GET":
            default = next((t for t in templates if t.is_default), None)
            form = ChooseTemplateForm(
                templates=templates, initial={"template": str(default.pk) if default else ""}
            )
            return render(
                request, "clients/choose_template.html", {"form": form, "templates": templates}
            )
        chosen = request.GET.get("template", "")
        if chosen:
            # Only one of this firm's templates: another firm's id is a 404, not "no template".
            template = configuration_selectors.template_find(request.firm, chosen, among=templates)
            if template is None:
                raise Http404
    copy = register_copy()
    posted = request.method == "POST"
    source = request.POST if posted else request.GET
    number = normalized_number(source.get("kbo", "")[:40]) if copy else None
    register_values = _register_form_values(number, copy) if number and copy else {}
    if not register_values:
        number = None
    client_form = ClientForm(request.POST or None, initial=register_values or None)
    contact_form = ContactForm(
        request.POST or None,
        prefix="contact",
        follow_address=not posted,
        country=register_values.get("country"),
        postal_code=register_values.get("postal_code"),
    )
    if copy is not None:
        _register_marks(client_form, copy, register_values, request.POST if posted else None)
    duplicate = None
    if request.method == "POST" and client_form.is_valid() and contact_form.is_valid():
        try:
            result = services.client_create(
                membership=request.membership,
                data=client_form.cleaned_data,
                contacts=[contact_form.cleaned_data],
                template=template,
            )
        except ValidationFailed as failed:
            _show_errors(failed, client_form, contact_form)
        except Conflict as conflict:
            # Only a duplicate the user may open gets the notice with its link.
            duplicate = conflict if conflict.extra.get("existing_url") else None
            form_add_service_error(client_form, _where_typed(conflict, client_form))
        else:
            _announce_warnings(request, result.warnings)
            messages.success(request, _("%(client)s added.") % {"client": result.client})
            return redirect("clients:detail", request.firm.slug, result.client.pk)
    return render(
        request,
        "clients/form.html",
        {
            "client_form": client_form,
            "contact_form": contact_form,
            "template": template,
            "has_templates": bool(templates),
            "duplicate": duplicate,
            "adding": True,
            **_register_context(request, copy, number, posted=posted),
        },
    )


def _register_context(request, copy: RegisterCopy | None, number: str | None, *, posted: bool):
    """What Klant toevoegen shows of the register: the look-up (and, without the page's
    script, the matches of the query sent), the company chosen, and whether the details wait
    for a choice; without a register, for an administrator, how to load one."""
    if copy is None:
        return {"register_hint": request.membership.is_administrator}
    query = "" if posted else _register_query(request.GET)
    holder = None
    if number:
        holder = selectors.clients_holding_numbers(request.membership, [number]).get(number)
    return {
        "register_copy": copy,
        "register_query": query,
        "register_choices": _register_choices(request, query, copy),
        "register_number": number or "",
        "register_client": holder,
        "template_param": _template_param(request.GET),
        # The details wait (app.js) until a company is chosen or the user types them.
        "register_details_wait": not posted and not number,
    }


def _where_typed(conflict: Conflict, form) -> Conflict:
    """A duplicate enterprise number taken from the VAT number, its own field left empty, is
    shown beside the VAT number the user typed (the API still names the enterprise number)."""
    typed = form.cleaned_data
    if not (
        conflict.field == "company_number"
        and not typed.get("company_number")
        and typed.get("vat_number")
    ):
        return conflict
    message = conflict.message
    if conflict.extra.get("existing_name"):
        message = _("%(client)s already has this %(field)s.") % {
            "client": conflict.extra["existing_name"],
            "field": pgettext("in a sentence", "VAT number"),
        }
    return Conflict(conflict.code, message, field="vat_number", **conflict.extra)


def _show_errors(failed: ValidationFailed, client_form, contact_form=None) -> None:
    for error in failed.errors:
        name = error.field or ""
        if name.startswith("contacts.") and contact_form is not None:
            field = name.split(".", 2)[-1]
            contact_form.add_error(field if field in contact_form.fields else None, error.message)
        elif name in client_form.fields:
            client_form.add_error(name, error.message)
        else:
            client_form.add_error(None, error.message)


def _announce_warnings(request, warnings) -> None:
    """What the user must look at, one warning each; routine repairs in one quiet line."""
    routine = []
    for warning in warnings:
        if warning.routine:
            label = str(FIELD_LABELS.get(warning.field.rsplit(".", 1)[-1], warning.field))
            if label not in routine:
                routine.append(label)
        else:
            messages.warning(request, warning.message)
    if routine:
        messages.info(
            request,
            _("Written in the standard form: %(fields)s.") % {"fields": ", ".join(routine)},
            extra_tags="quiet",
        )


@firm_view()
def client_detail(request, client_id: int):
    client = selectors.client_get_for_user(request.membership, client_id)
    return render(request, "clients/detail.html", _detail_context(request, client))


def _detail_context(request, client: Client, **extra) -> dict:
    links = list(configuration_selectors.client_integration_links(client))
    linked = {link.firm_integration_id for link in links}
    return {
        "client": client,
        "contacts": selectors.client_contacts(client),
        "assigned_ids": set(client.assignments.values_list("membership_id", flat=True)),
        "assigned": [a.membership for a in client.assignments.select_related("membership__user")],
        "staff": selectors.staff_choices(request.membership),
        "links": links,
        "installable": [
            fi
            for fi in configuration_selectors.firm_integrations(request.firm)
            if fi.pk not in linked
        ],
        "template_differences": configuration_selectors.client_template_differences(client),
        "history": selectors.client_history(client)[:100],
        "invitations": invitations_of_client(client)[:20],
        "peppol": peppol_state(client),
        "new_contact_form": extra.pop("new_contact_form", None)
        or NewContactForm(prefix="new", country=client.country, postal_code=client.postal_code),
        "register": client_register_comparison(client),
        **vies_section_context(client),
        "owned_by_client": services.client_details_owned_by_client(client),
        **extra,
    }


@firm_view()
def client_edit(request, client_id: int):
    client = selectors.client_get_for_user(request.membership, client_id)
    initial = {name: getattr(client, name) for name in CLIENT_FIELDS}
    initial = {name: "" if value is None else value for name, value in initial.items()}
    # The numbers as the client page shows them; sent back unchanged, they say nothing.
    initial["company_number"] = rules.format_company_number(client.company_number)
    initial["vat_number"] = rules.format_vat(client.vat_number)
    initial["iban"] = rules.format_iban(client.iban)
    form = ClientForm(request.POST or None, initial=initial)
    owned = services.client_details_owned_by_client(client)
    if owned:
        # The client keeps these itself; the firm still keeps its own reference and notes,
        # and the enterprise and VAT numbers, which the company's record then follows.
        for name in COMPANY_FIELDS:
            form.fields[name].disabled = name not in COMPANY_NUMBERS
    if not request.membership.can_manage_peppol:
        form.fields["peppol_mandate"].disabled = True
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.client_update(
                membership=request.membership, client=client, data=form.cleaned_data
            )
        except ValidationFailed as failed:
            _show_errors(failed, form)
        except Conflict as conflict:
            # Only a duplicate the user may open gets the notice with its link.
            duplicate = conflict if conflict.extra.get("existing_url") else None
            form_add_service_error(form, _where_typed(conflict, form))
        else:
            changed = set(form.changed_data)
            _announce_warnings(request, [w for w in result.warnings if w.field in changed])
            messages.success(request, _("Changes saved."))
            return redirect("clients:detail", request.firm.slug, client.pk)
    return render(
        request,
        "clients/form.html",
        {
            "client_form": form,
            "client": client,
            "duplicate": duplicate,
            "adding": False,
            "owned_by_client": owned,
        },
    )


@firm_view()
@require_POST
def client_delete(request, client_id: int):
    # Found first: a client the user may not see answers 404 whatever their role.
    client = selectors.client_get_for_user(request.membership, client_id)
    try:
        services.client_delete(membership=request.membership, client=client)
    except NotAllowed:
        raise  # a 403 page (core.middleware.ServiceRefusalMiddleware)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("clients:detail", request.firm.slug, client.pk)
    messages.success(request, _("%(client)s deleted.") % {"client": client})
    return redirect(f"{reverse('clients:list', args=[request.firm.slug])}?tab=inactive")


@firm_view()
@require_POST
def client_register(request, client_id: int):
    """Take over the register's legal name or seat address (POST part=legal_name|address)."""
    client = selectors.client_get_for_user(request.membership, client_id)
    try:
        client_register_take(
            membership=request.membership, client=client, part=request.POST.get("part", "")
        )
    except NotAllowed:
        raise  # a 403 page (core.middleware.ServiceRefusalMiddleware)
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Taken over from the KBO register."))
    return redirect("clients:detail", request.firm.slug, client.pk)


@firm_view()
@require_POST
def client_archive(request, client_id: int):
    client = selectors.client_get_for_user(request.membership, client_id)
    services.client_archive(membership=request.membership, client=client)
    messages.success(request, _("%(client)s archived.") % {"client": client})
    return redirect("clients:detail", request.firm.slug, client.pk)


@firm_view()
@require_POST
def client_staff(request, client_id: int):
    client = selectors.client_get_for_user(request.membership, client_id)
    ids = [pk for pk in map(int_param, request.POST.getlist("staff")) if pk]
    try:
        services.client_assignments_set(
            membership=request.membership, client=client, membership_ids=ids
        )
    except NotAllowed:
        raise  # a 403 page (core.middleware.ServiceRefusalMiddleware)
    except (ServiceError, ValidationFailed) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Assigned staff saved."))
    return redirect(f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#staff")


# Contacts


@firm_view()
@require_POST
def contact_add(request, client_id: int):
    client = selectors.client_get_for_user(request.membership, client_id)
    form = NewContactForm(
        request.POST, prefix="new", country=client.country, postal_code=client.postal_code
    )
    if form.is_valid():
        try:
            result = services.contact_add(
                membership=request.membership, client=client, data=form.cleaned_data
            )
        except (ValidationFailed, Conflict) as failed:
            form_add_service_error(form, failed)
        else:
            _announce_warnings(request, result.warnings)
            messages.success(request, _("Contact person added."))
            return redirect(
                f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#contacts"
            )
    context = _detail_context(request, client, new_contact_form=form, open_contact_form=True)
    return render(request, "clients/detail.html", context, status=422)


@firm_view()
def contact_edit(request, client_id: int, contact_id: int):
    contact = selectors.contact_get_for_user(request.membership, client_id, contact_id)
    client = contact.client
    initial = {name: getattr(contact, name) for name in ContactForm.base_fields}
    form = ContactForm(
        request.POST or None,
        initial=initial,
        country=client.country,
        postal_code=client.postal_code,
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = services.contact_update(
                membership=request.membership, contact=contact, data=form.cleaned_data
            )
        except (ValidationFailed, Conflict) as failed:
            form_add_service_error(form, failed)
        else:
            _announce_warnings(request, result.warnings)
            messages.success(request, _("Contact person saved."))
            return redirect(
                f"{reverse('clients:detail', args=[request.firm.slug, client.pk])}#contacts"
            )
    return render(
        request, "clients/contact_form.html", {"form": form, "client": client, "contact": contact}
    )


@firm_view()
@require_POST
def contact_primary(request, client_id: int, contact_id: int):
    contact = selectors.contact_get_for_user(request.membership, client_id, contact_id)
    try:
        services.contact_make_primary(membership=request.membership, contact=contact)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("%(name)s is now the primary contact.") % {"name": contact})
    return redirect(
        f"{reverse('clients:detail', args=[request.firm.slug, contact.client_id])}#contacts"
    )


@firm_view()
@require_POST
def contact_remove(request, client_id: int, contact_id: int):
    contact = selectors.contact_get_for_user(request.membership, client_id, contact_id)
    try:
        services.contact_remove(membership=request.membership, contact=contact)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Contact person removed."))
    return redirect(
        f"{reverse('clients:detail', args=[request.firm.slug, contact.client_id])}#contacts"
    )
