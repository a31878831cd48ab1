from django import forms
from django.utils.translation import gettext_lazy as _

from partnerspace.companies.models import COMPANY_NUMBERS


def _number_field(label):
    # Shown, not editable: the firm changes these (companies.models.COMPANY_NUMBERS).
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"readonly": True}),
        help_text=_("To change it, ask your accounting firm."),
    )


class CompanyForm(forms.Form):
    """What a company corrects itself; the service applies clients.validation's rules."""

    legal_name = forms.CharField(label=_("Company name"), required=False)
    company_number = _number_field(_("Enterprise number"))
    vat_number = _number_field(_("VAT number"))
    iban = forms.CharField(label=_("IBAN"), required=False)
    street = forms.CharField(label=_("Street"), required=False)
    house_number = forms.CharField(label=_("Number"), required=False)
    box = forms.CharField(label=_("Box"), required=False)
    postal_code = forms.CharField(label=_("Postal code"), required=False)
    city = forms.CharField(label=_("City"), required=False)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        # A number left out of the request is left as it is, not emptied.
        for name in COMPANY_NUMBERS:
            if self.fields[name].widget.value_omitted_from_data(self.data, self.files, name):
                cleaned.pop(name, None)
        return cleaned


class CompanyContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    email = forms.CharField(label=_("E-mail address"), required=False, widget=forms.EmailInput())
    locale = forms.CharField(label=_("Language"), required=False, initial="nl-BE")
    phone = forms.CharField(label=_("Phone"), required=False)
