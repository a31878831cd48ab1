from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from partnerspace.clients.models import Client
from partnerspace.configuration.models import (
    ClientIntegration,
    ConfigurationTemplate,
    FirmIntegration,
    TemplateIntegration,
    template_name_key,
)
from partnerspace.firms.choices import choices_cached
from partnerspace.firms.models import Firm, Membership


def templates_of_firm(firm: Firm) -> QuerySet[ConfigurationTemplate]:
    return (
        ConfigurationTemplate.objects.filter(firm=firm)
        .annotate(client_count=Count("clients", distinct=True))
        .prefetch_related(
            Prefetch("users", queryset=Membership.objects.select_related("user")),
            Prefetch(
                "integration_links",
                queryset=TemplateIntegration.objects.select_related("firm_integration"),
            ),
        )
        .order_by(Lower("name"))
    )


def template_choices(firm: Firm) -> list[tuple[int, str]]:
    """(id, name) of each template, for a dropdown: kept until the firm's templates change
    (firms.choices)."""
    return choices_cached(
        firm,
        "templates",
        lambda: list(
            ConfigurationTemplate.objects.filter(firm_id=firm.pk)
            .order_by(Lower("name"))
            .values_list("id", "name")
        ),
    )


def template_get_for_user(membership: Membership, template_id: int | str) -> ConfigurationTemplate:
    try:
        return templates_of_firm(membership.firm).get(pk=int(template_id))
    except (ConfigurationTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def template_find(
    firm: Firm,
    value: int | str | None,
    *,
    among: Iterable[ConfigurationTemplate] | None = None,
    by_id: bool = True,
) -> ConfigurationTemplate | None:
    """A template of the firm by id, or by name in any case (a page, the API and the import
    name them): the one place that reads such a name. `among`: the firm's templates, already
    loaded (the import looks up thousands of rows); `by_id=False` reads names only (a file's
    Sjabloon column holds names, as the export writes them)."""
    if value is None or value == "":
        return None
    # isdecimal, not isdigit: int() reads every decimal digit and refuses a superscript ².
    is_id = isinstance(value, int) or (isinstance(value, str) and value.strip().isdecimal())
    key = template_name_key(str(value).strip())
    if among is not None:
        loaded = [t for t in among if t.firm_id == firm.pk]
        found = None
        if by_id and is_id:
            found = next((t for t in loaded if t.pk == int(value)), None)
        return found or next((t for t in loaded if t.name_key == key), None)
    templates = ConfigurationTemplate.objects.filter(firm=firm)
    if by_id and is_id:
        found = templates.filter(pk=int(value)).first()
        if found is not None:
            return found
    return templates.filter(name_key=key).first()


def template_default(firm: Firm) -> ConfigurationTemplate | None:
    return ConfigurationTemplate.objects.filter(firm=firm, is_default=True).first()


def integration_ref_match(
    ref: object, installed: Iterable[FirmIntegration]
) -> FirmIntegration | None:
    """The firm integration a request names by its id (a number, or digits) or by its catalog
    key, among the firm's installed ones; None when it names none. The one place that reads
    such a reference: templates, a client's links, the API."""
    if ref is None or isinstance(ref, bool):
        return None
    installed = list(installed)
    if isinstance(ref, int):
        return next((fi for fi in installed if fi.pk == ref), None)
    text = str(ref).strip()
    found = next((fi for fi in installed if fi.key == text), None)
    if found is None and text.isdecimal():
        found = next((fi for fi in installed if fi.pk == int(text)), None)
    return found


def firm_integration_find(firm_id: int, ref: object) -> FirmIntegration | None:
    """integration_ref_match among the firm's integrations."""
    return integration_ref_match(ref, FirmIntegration.objects.filter(firm_id=firm_id))


def firm_integrations(firm: Firm) -> QuerySet[FirmIntegration]:
    return FirmIntegration.objects.filter(firm=firm).annotate(
        client_count=Count("client_links", distinct=True)
    )


def firm_integration_get_for_user(
    membership: Membership, integration_id: int | str
) -> FirmIntegration:
    try:
        return firm_integrations(membership.firm).get(pk=int(integration_id))
    except (FirmIntegration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def client_integration_links(client: Client) -> QuerySet[ClientIntegration]:
    return client.integration_links.select_related("firm_integration").order_by(
        "firm_integration__key"
    )


def client_integration_get(client: Client, link_id: int | str) -> ClientIntegration:
    try:
        return client_integration_links(client).get(pk=int(link_id))
    except (ClientIntegration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class TemplateDifference:
    kind: str  # user_added | user_removed | integration_added | integration_removed | settings
    label: str


def client_template_differences(client: Client) -> list[TemplateDifference]:
    """Where the client's settings now differ from the template it was created from."""
    template = client.template
    if template is None:
        return []
    template_users = {m.pk: m for m in template.users.select_related("user")}
    client_users = {
        a.membership_id: a.membership for a in client.assignments.select_related("membership__user")
    }
    differences = [
        TemplateDifference("user_added", str(client_users[pk].user))
        for pk in client_users.keys() - template_users.keys()
    ]
    differences += [
        TemplateDifference("user_removed", str(template_users[pk].user))
        for pk in template_users.keys() - client_users.keys()
    ]
    template_links = {
        link.firm_integration_id: link
        for link in template.integration_links.select_related("firm_integration")
    }
    client_links = {link.firm_integration_id: link for link in client_integration_links(client)}
    differences += [
        TemplateDifference("integration_added", str(client_links[pk].firm_integration))
        for pk in client_links.keys() - template_links.keys()
    ]
    differences += [
        TemplateDifference("integration_removed", str(template_links[pk].firm_integration))
        for pk in template_links.keys() - client_links.keys()
    ]
    for pk in client_links.keys() & template_links.keys():
        template_settings = {k: v for k, v in template_links[pk].settings.items() if v}
        changed = any(
            client_links[pk].settings.get(key) != value for key, value in template_settings.items()
        )
        if changed:
            differences.append(
                TemplateDifference("settings", str(client_links[pk].firm_integration))
            )
    return differences
