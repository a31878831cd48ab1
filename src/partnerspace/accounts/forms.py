import math

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partnerspace.accounts.devices import device_nonce
from partnerspace.accounts.models import LoginFailure
from partnerspace.accounts.selectors import LoginWait, login_wait
from partnerspace.accounts.services import (
    login_attempt_start,
    login_attempt_succeeded,
    login_attempt_withdraw,
)
from partnerspace.core.middleware import visitor_address


def _wait_message(wait: LoginWait) -> str:
    if wait.seconds < 60:
        count = wait.seconds
        if wait.reason == "address":
            text = ngettext(
                "Too many failed attempts from your network. Try again in %(count)d second.",
                "Too many failed attempts from your network. Try again in %(count)d seconds.",
                count,
            )
        else:
            text = ngettext(
                "Too many failed attempts. Try again in %(count)d second, or reset your password.",
                "Too many failed attempts. Try again in %(count)d seconds, or reset your password.",
                count,
            )
    else:
        count = math.ceil(wait.seconds / 60)
        if wait.reason == "address":
            text = ngettext(
                "Too many failed attempts from your network. Try again in %(count)d minute.",
                "Too many failed attempts from your network. Try again in %(count)d minutes.",
                count,
            )
        else:
            text = ngettext(
                "Too many failed attempts. Try again in %(count)d minute, or reset your password.",
                "Too many failed attempts. Try again in %(count)d minutes, or reset your password.",
                count,
            )
    return text % {"count": count}


class LoginForm(AuthenticationForm):
    """The login, throttled per visitor address, per account and per proven device: see
    `login_wait`."""

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": _("This e-mail address and password do not match an account."),
        "inactive": _("This account is disabled."),
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        attempt, wait = _throttled_attempt(self.request, email)
        if wait.seconds:
            raise forms.ValidationError(_wait_message(wait), code="throttled")
        # A refused password leaves the attempt recorded: it is the failure.
        cleaned = super().clean()
        login_attempt_succeeded(attempt=attempt)
        return cleaned


def _throttled_attempt(request, email: str) -> tuple[LoginFailure, LoginWait]:
    """Start a login attempt on ``email`` from this request's address and device, and ask the
    throttle (login_wait); an attempt held back is withdrawn (no password was tried)."""
    ip_address = visitor_address(request)
    device = device_nonce(request, email)
    attempt = login_attempt_start(email=email, ip_address=ip_address, device=device)
    wait = login_wait(email=email, ip_address=ip_address, device=device, attempt_id=attempt.pk)
    if wait.seconds:
        login_attempt_withdraw(attempt=attempt)
    return attempt, wait


def password_login_check(request, *, email: str, password: str):
    """The account that ``password`` opens for ``email``, checked as the login page checks
    it and under the same throttle; None when it opens none, or the throttle holds the
    attempt back. For pages that take a password elsewhere than the login page."""
    attempt, wait = _throttled_attempt(request, email)
    if wait.seconds:
        return None
    user = authenticate(request, email=email, password=password)
    if user is None:
        return None  # the attempt stays recorded: it is the failure
    login_attempt_succeeded(attempt=attempt)
    return user


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class SetPasswordFieldsMixin(forms.Form):
    """A new password typed twice, checked by the configured validators."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Repeat password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords differ."), code="password_mismatch")
        return second

    def validate_password_for(self, user) -> None:
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
