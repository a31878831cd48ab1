from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class InviteForm(forms.Form):
    message = forms.CharField(
        label=_("Personal message"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "wide": True}),
        help_text=_("Shown in the e-mail above the link. Leave it empty for the standard text."),
    )
    contacts = forms.MultipleChoiceField(
        label=_("Send to"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["contacts"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(c.pk), f"{c.full_name} <{c.email}>") for c in contacts]


class AcceptSignupForm(forms.Form):
    """The invited contact makes an account; labels live here so they exist in German too."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = email

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            from partnerspace.accounts.models import User

            probe = User(email=self.account_email, first_name=cleaned.get("first_name", ""))
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RegisterForm(AcceptSignupForm):
    """A company signing up through a firm's registration link."""

    legal_name = forms.CharField(label=_("Company name"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=60, initial="BE")
    company_number = forms.CharField(label=_("Enterprise number"), max_length=32, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=32, required=False)
    email = forms.CharField(label=_("E-mail address"), max_length=254, widget=forms.EmailInput())
    locale = forms.ChoiceField(
        label=_("Language"),
        choices=[
            ("nl-BE", "Nederlands"),
            ("fr-BE", "Français"),
            ("de-BE", "Deutsch"),
            ("en-BE", "English"),
        ],
    )

    field_order = [
        "legal_name", "country", "company_number", "vat_number",
        "first_name", "last_name", "email", "locale", "password1", "password2",
    ]  # fmt: skip
