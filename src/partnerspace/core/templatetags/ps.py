from collections.abc import Mapping

from django import template

from partnerspace.core.links import url_tag
from partnerspace.identifiers import rules

register = template.Library()
# Django's {% url %}, its paths remembered per process (core.links).
register.tag("url", url_tag)


@register.filter
def startswith(value: object, prefix: object) -> bool:
    return str(value or "").startswith(str(prefix))


@register.filter
def company_number(value: str | None) -> str:
    return rules.format_company_number(value)


@register.filter
def vat(value: str | None) -> str:
    return rules.format_vat(value)


@register.filter
def iban(value: str | None) -> str:
    return rules.format_iban(value)


@register.filter
def country_name(value: str | None) -> str:
    from django.utils.translation import get_language

    from partnerspace.identifiers.choices import country_name as name_of

    return name_of(value, get_language() or "nl")


@register.filter
def locale_name(value: str | None) -> str:
    from django.utils.translation import get_language

    from partnerspace.identifiers.choices import locale_name as name_of

    return name_of(value, get_language() or "nl")


@register.filter
def get_item(mapping: Mapping[str, object] | None, key: str) -> object:
    return (mapping or {}).get(key)


@register.filter
def field_label(name: str) -> str:
    from partnerspace.clients.labels import FIELD_LABELS
    from partnerspace.configuration.catalog import setting_history_label

    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    return setting_history_label(name) or str(name)


@register.filter
def change_value(value: object, field: str) -> object:
    """A value as the history shows it: statuses and yes/no in words, nothing as empty."""
    from django.utils.translation import gettext

    from partnerspace.clients.models import ClientStatus

    if value is None or value == "":
        return ""
    if field == "status" and value in ClientStatus.values:
        return ClientStatus(value).label
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return value
