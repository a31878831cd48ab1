"""Forms draw the fields and carry what was typed; the rules live in clients.validation.

Fields are not `required` here on purpose: the service says what is missing, in the same
words the API and the import use. `shown_required` only draws the asterisk.
"""

import json

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from partnerspace.core.forms import field_show_required
from partnerspace.identifiers.choices import (
    contact_locale_choices,
    country_choices,
    default_locale,
    locale_rule,
)


def _text(label, *, shown_required=False, **attrs):
    field = forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))
    return field_show_required(field, shown_required)


class ClientForm(forms.Form):
    # The number first: it is what the bookkeeper has at hand, and what finds duplicates.
    company_number = _text(_("Enterprise number"), placeholder="0123.456.789")
    vat_number = _text(_("VAT number"), placeholder="BE0123456789")
    legal_name = _text(_("Company name"), shown_required=True, autocomplete="organization")
    country = forms.ChoiceField(label=_("Country"), required=False, initial="BE")
    external_reference = _text(_("External reference"))
    iban = _text(_("IBAN"), placeholder="BE71 0961 2345 6769")
    street = _text(_("Street"), autocomplete="address-line1")
    house_number = _text(_("Number"))
    box = _text(_("Box"))
    postal_code = _text(_("Postal code"), autocomplete="postal-code")
    city = _text(_("City"), autocomplete="address-level2")
    peppol_mandate = forms.BooleanField(
        label=_("We hold a signed mandate to register this client on Peppol"), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3, "wide": True})
    )

    GROUPS = (
        (_("Identification"), ("company_number", "vat_number", "legal_name", "country")),
        (_("Address"), ("street", "house_number", "box", "postal_code", "city")),
        (_("Bank and Peppol"), ("iban", "peppol_mandate")),
        (_("Your firm's own"), ("external_reference", "notes")),
    )

    @property
    def groups(self) -> list[tuple[str, list]]:
        """The fields in the order the page shows them, under their headings."""
        return [(str(title), [self[name] for name in names]) for title, names in self.GROUPS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = country_choices(get_language() or "nl")
        field_show_required(country)
        self.fields["external_reference"].help_text = _(
            "The client's ID in your accounting package, used to export documents "
            "to the right folder."
        )
        self.fields["company_number"].help_text = _(
            "Or only the VAT number: it holds the enterprise number."
        )


class ContactForm(forms.Form):
    first_name = _text(_("First name"), shown_required=True, autocomplete="off")
    last_name = _text(_("Last name"), shown_required=True, autocomplete="off")
    email = forms.CharField(
        label=_("E-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    # A list to pick from; the service checks and spells what comes back, as for the API.
    locale = forms.CharField(label=_("Language"), required=False, widget=forms.Select)
    phone = _text(_("Phone"), type="tel")

    def __init__(
        self, *args, country=None, postal_code=None, follow_address=False, **kwargs
    ) -> None:
        """The language defaults to the one the client's address suggests (`country`,
        `postal_code`); with `follow_address` the page keeps it following the address being
        typed in the same form (app.js), until the user picks one."""
        super().__init__(*args, **kwargs)
        field_show_required(self.fields["email"])
        field = self.fields["locale"]
        field_show_required(field)
        # What is stored, or was sent, stays in the list even when it is not one of ours.
        sent = self.data.get(self.add_prefix("locale")) if self.is_bound else None
        field.widget.choices = contact_locale_choices(sent or self.initial.get("locale"))
        if not self.initial.get("locale"):
            self.initial["locale"] = default_locale(country, postal_code)
        if follow_address:
            field.widget.attrs["data-locale-follows-address"] = json.dumps(locale_rule())


class NewContactForm(ContactForm):
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)


class ChooseTemplateForm(forms.Form):
    template = forms.ChoiceField(label=_("Configuration template"), widget=forms.RadioSelect)

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        template = self.fields["template"]
        assert isinstance(template, forms.ChoiceField)
        template.choices = [(str(t.pk), t.name) for t in templates] + [("", _("No template"))]
        template.required = False
