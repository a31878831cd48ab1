from django import forms
from django.utils.translation import gettext_lazy as _


class CompanyForm(forms.Form):
    """What a company corrects itself; the service applies clients.validation's rules."""

    legal_name = forms.CharField(label=_("Company name"), required=False)
    company_number = forms.CharField(label=_("Enterprise number"), required=False)
    vat_number = forms.CharField(label=_("VAT number"), required=False)
    iban = forms.CharField(label=_("IBAN"), required=False)
    street = forms.CharField(label=_("Street"), required=False)
    house_number = forms.CharField(label=_("Number"), required=False)
    box = forms.CharField(label=_("Box"), required=False)
    postal_code = forms.CharField(label=_("Postal code"), required=False)
    city = forms.CharField(label=_("City"), required=False)


class CompanyContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    email = forms.CharField(label=_("E-mail address"), required=False, widget=forms.EmailInput())
    locale = forms.CharField(label=_("Language"), required=False, initial="nl-BE")
    phone = forms.CharField(label=_("Phone"), required=False)
