from django import forms
from django.utils.translation import gettext_lazy as _

from partnerspace.api.models import TOKEN_DEFAULT_DAYS

LIFETIMES = [
    (30, _("30 days")),
    (90, _("90 days")),
    (365, _("1 year")),
    (730, _("2 years")),
]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, such as the program that uses it."),
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"), choices=LIFETIMES, coerce=int, initial=TOKEN_DEFAULT_DAYS
    )
