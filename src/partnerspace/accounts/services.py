from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerspace.accounts.models import LoginFailure, PasswordResetRequest, User, throttle_key
from partnerspace.core.errors import Conflict
from partnerspace.core.languages import interface_languages


def login_attempt_start(
    *, email: str, ip_address: str | None, device: str | None = None
) -> LoginFailure:
    """Record the attempt as a failure before its password is checked, so that attempts sent
    in parallel count against each other; a success or a refusal takes it back."""
    now = timezone.now()
    # Indexed and small: cheaper than a scheduled clean-up nobody has to remember.
    window = timedelta(seconds=settings.PARTNERSPACE_LOGIN_FAILURE_WINDOW)
    LoginFailure.objects.filter(at__lt=now - window).delete()
    return LoginFailure.objects.create(
        email=throttle_key(email), ip_address=ip_address, device=device or "", at=now
    )


def login_attempt_withdraw(*, attempt: LoginFailure) -> None:
    """The attempt was held back by the throttle: no password was tried, so no failure."""
    LoginFailure.objects.filter(pk=attempt.pk).delete()


@transaction.atomic
def login_attempt_succeeded(*, attempt: LoginFailure) -> None:
    """The owner logged in: their own earlier typos from this address or this device no
    longer slow the account or the device (they still count for the address); strangers'
    failures still do."""
    LoginFailure.objects.filter(pk=attempt.pk).delete()
    own = Q(ip_address=attempt.ip_address) if attempt.ip_address else Q(pk__in=[])
    if attempt.device:
        own |= Q(device=attempt.device)
    LoginFailure.objects.filter(own, email=attempt.email).update(counts_for_account=False)


def login_failures_forgive(*, email: str) -> None:
    """A password reset was completed: whoever guessed at the old password, the account's
    delay is lifted (the guessers' addresses stay slowed by their own failures)."""
    LoginFailure.objects.filter(email=throttle_key(email)).update(counts_for_account=False)


# The reset form is public: without a ceiling it would mail anyone's address as often as asked.
RESET_MAIL_EVERY = timedelta(minutes=1)
RESETS_PER_NETWORK_HOUR = 20


@transaction.atomic
def password_reset_request_record(*, email: str, requested_from: str | None) -> None:
    """Allow a reset link to be mailed to `email`, or raise Conflict("throttled").

    Counted and refused alike whether the address has an account or not, so the answer tells
    nobody which. Two requests racing past the check may both mail a link: harmless, as both
    links work and the count stops the third.
    """
    key = throttle_key(email)
    now = timezone.now()
    PasswordResetRequest.objects.filter(at__lt=now - timedelta(hours=1)).delete()
    recent = PasswordResetRequest.objects.filter(at__gt=now - timedelta(hours=1))
    if requested_from and (
        recent.filter(requested_from=requested_from).count() >= RESETS_PER_NETWORK_HOUR
    ):
        raise Conflict(
            "throttled",
            _("Too many password resets from your network in the last hour. Try again later."),
        )
    if recent.filter(email=key, at__gt=now - RESET_MAIL_EVERY).exists():
        raise Conflict(
            "throttled",
            _(
                "A link was requested for this address a moment ago: check your mailbox, "
                "or try again in a minute."
            ),
            field="email",
        )
    PasswordResetRequest.objects.create(email=key, requested_from=requested_from, at=now)


def password_reset_mail_send(*, email: str, language: str) -> None:
    """Mail a reset link to the active account of `email`, in the language the account chose
    (else `language`, the asking browser's); nothing when the address has none. Run by the
    worker (accounts.tasks), so that the request that asked answers as fast whether or not
    the address has an account."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    account = next(iter(form.get_users(form.cleaned_data["email"])), None)
    if account is None:
        return
    if account.language in interface_languages():
        language = account.language
    # Links in the e-mail point at the public address, never at a Host a request named.
    base = urlsplit(settings.PARTNERSPACE_BASE_URL)
    with translation.override(language):
        form.save(
            domain_override=base.netloc,
            use_https=base.scheme == "https",
            subject_template_name="accounts/email/password_reset_subject.txt",
            email_template_name="accounts/email/password_reset.txt",
            html_email_template_name="accounts/email/password_reset.html",
            extra_email_context={"base_url": settings.PARTNERSPACE_BASE_URL},
        )


@transaction.atomic
def user_language_set(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])
