from django import forms
from django.utils.translation import gettext_lazy as _

from partnerspace.core.forms import field_show_required


class TemplateNameForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "wide": True}),
    )
    is_default = forms.BooleanField(
        label=_("Default template: preselected when adding a client and used by imports"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field_show_required(self.fields["name"])
