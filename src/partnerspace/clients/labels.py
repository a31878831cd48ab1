"""How the interface names each field of a client, in one place (history, errors, import)."""

from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    "legal_name": _("Legal name"),
    "country": _("Country"),
    "company_number": _("Enterprise number"),
    "vat_number": _("VAT number"),
    "external_reference": _("External reference"),
    "iban": _("IBAN"),
    "street": _("Street"),
    "house_number": _("Number"),
    "box": _("Box"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "peppol_mandate": _("Peppol mandate"),
    "mandate_document": _("Signed mandate"),
    "smp_answer": _("SMP answer"),
    "other_smp": _("Other SMP"),
    "notes": _("Notes"),
    "status": _("Status"),
    "template": _("Template"),
    "assigned": _("Assigned staff"),
    "integration": _("Integration"),
    "contact": _("Contact person"),
    "primary_contact": _("Primary contact"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail address"),
    "locale": _("Language"),
    "phone": _("Phone"),
    "is_primary": _("Primary contact"),
}
