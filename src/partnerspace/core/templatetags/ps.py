from django import template

from partnerspace.identifiers import rules

register = template.Library()


@register.filter
def startswith(value, prefix) -> bool:
    return str(value or "").startswith(str(prefix))


@register.filter
def company_number(value) -> str:
    return rules.format_company_number(value)


@register.filter
def vat(value) -> str:
    return rules.format_vat(value)


@register.filter
def iban(value) -> str:
    return rules.format_iban(value)
