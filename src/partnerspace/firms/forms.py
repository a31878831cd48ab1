from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partnerspace.accounts.forms import SetPasswordFieldsMixin
from partnerspace.firms.models import ROLE_DESCRIPTIONS, Role


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            choices=[(role.value, role.label) for role in Role],
            label=_("Roles"),
            error_messages={"required": _("Choose at least one role.")},
            **kwargs,
        )


class StaffInviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.CharField(label=_("E-mail address"), max_length=254, widget=forms.EmailInput())
    language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )
    roles = RolesField()

    role_descriptions = ROLE_DESCRIPTIONS


class MembershipRolesForm(forms.Form):
    roles = RolesField()


class FirmSettingsForm(forms.Form):
    name = forms.CharField(label=_("Firm name"), max_length=200)
    register_digest = forms.BooleanField(
        label=_("E-mail the assigned staff a digest of their clients' changes in the KBO"),
        help_text=_("After each daily update of the KBO register, one e-mail per person."),
        required=False,
    )


class JoinForm(SetPasswordFieldsMixin):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
