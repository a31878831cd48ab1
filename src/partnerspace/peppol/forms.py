"""Forms draw the fields; the rules are `peppol.services` (the same ones the API applies)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerspace.core.forms import field_show_required
from partnerspace.peppol.models import AuthScheme


def _text(label, *, shown_required=False, help_text="", wide=False, **attrs):
    if wide:
        attrs["wide"] = True
    field = forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs=attrs)
    )
    return field_show_required(field, shown_required)


class PeppolSettingsForm(forms.Form):
    smp_base_url = _text(
        _("SMP address"),
        shown_required=True,
        help_text=_("The address of your SMP's REST API (phoss-SMP), e.g. https://smp.example.be"),
        placeholder="https://",
        wide=True,
    )
    smp_public_url = _text(
        _("SMP address in the SML"),
        help_text=_("Only when the Peppol network knows your SMP under another address."),
        wide=True,
    )
    auth_scheme = forms.ChoiceField(
        label=_("Authentication"),
        choices=AuthScheme.choices,
        initial=AuthScheme.BASIC,
        required=False,
        widget=forms.RadioSelect,
    )
    username = _text(_("User name"), autocomplete="off")
    secret = forms.CharField(
        label=_("Password or token"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    document_types = forms.CharField(
        label=_("Document types to publish"),
        required=False,
        help_text=_("One document type identifier per line (scheme busdox-docid-qns)."),
        widget=forms.Textarea(attrs={"rows": 4, "wide": True, "spellcheck": "false"}),
    )
    process_id = _text(_("Process"), shown_required=True, wide=True, spellcheck="false")
    access_point_url = _text(
        _("Access point endpoint"),
        shown_required=True,
        help_text=_("Where your access point receives AS4 messages."),
        placeholder="https://",
        wide=True,
    )
    access_point_certificate = forms.CharField(
        label=_("Access point certificate"),
        required=False,
        help_text=_("The access point's Peppol certificate: PEM, or base64 of the DER."),
        widget=forms.Textarea(attrs={"rows": 5, "wide": True, "spellcheck": "false"}),
    )
    transport_profile = _text(_("Transport profile"), shown_required=True)
    service_description = _text(_("Service description"))
    technical_contact = _text(
        _("Technical contact"),
        shown_required=True,
        help_text=_("An e-mail address or web page for technical questions."),
    )
    auto_register = forms.BooleanField(
        label=_("Register clients imported with a mandate automatically"), required=False
    )

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("document_types", "access_point_certificate"):
            field_show_required(self.fields[name])
        field_show_required(self.fields["secret"], not has_secret)
        self.fields["secret"].help_text = (
            _("A secret is stored; it is never shown. Leave empty to keep it.")
            if has_secret
            else _("Stored encrypted; it is never shown again.")
        )


class MandateDocumentForm(forms.Form):
    document = forms.FileField(
        label=_("Signed mandate (PDF, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
