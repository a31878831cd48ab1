from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from partnerspace.accounts.devices import device_cookie_set
from partnerspace.accounts.forms import LanguageForm, LoginForm
from partnerspace.accounts.models import User
from partnerspace.accounts.services import (
    login_failures_forgive,
    password_reset_request_record,
    user_language_set,
)
from partnerspace.accounts.tasks import password_reset_mail_send
from partnerspace.core.errors import ServiceError
from partnerspace.core.forms import form_add_service_error
from partnerspace.core.middleware import visitor_address


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # This browser is now one of the owner's: the throttle checks its password always.
        device_cookie_set(response, self.request, form.cleaned_data["username"])
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        try:
            password_reset_request_record(
                email=form.cleaned_data["email"],
                requested_from=visitor_address(self.request),
            )
        except ServiceError as refusal:
            form_add_service_error(form, refusal)
            return self.form_invalid(form)
        # The same task for an address with or without an account: the mail (or none) leaves
        # from the worker, so the answer's timing tells nobody which.
        password_reset_mail_send.enqueue(
            email=form.cleaned_data["email"], language=translation.get_language()
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: "SetPasswordForm[User]") -> HttpResponse:
        response = super().form_valid(form)
        # The owner proved they hold the mailbox: nobody's guessing keeps them out any longer.
        login_failures_forgive(email=form.user.email)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@require_POST
def language_set(request):
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            user_language_set(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
        )
    return response
