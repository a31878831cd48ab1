from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def email_key(email: str) -> str:
    """The form an address is stored and looked up in: people type their address in any case."""
    return email.strip().lower()


def throttle_key(email: str) -> str:
    """The form the login and reset throttles keep an address in (whatever was typed, an
    account or not), cut to their column."""
    return email_key(email)[:254]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=email_key(email), **fields)
        user.set_password(password)  # None gives an unusable password: the invitee sets one
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=email_key(username or ""))


def person_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()


def person_label(first_name: str, last_name: str, email: str) -> str:
    """How a person (a user, a client's contact) is named: by name, else by e-mail address."""
    return person_name(first_name, last_name) or email


def person_initials(first_name: str, last_name: str, email: str) -> str:
    return ((first_name[:1] + last_name[:1]) or email[:1]).upper()


class User(AbstractBaseUser):
    """A person who logs in: a firm's staff member, or later a client company's user."""

    # Stored lower-cased (see save), so a plain unique index is case-insensitive uniqueness.
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return person_label(self.first_name, self.last_name, self.email)

    @property
    def full_name(self) -> str:
        return person_name(self.first_name, self.last_name)

    @property
    def initials(self) -> str:
        return person_initials(self.first_name, self.last_name, self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = email_key(self.email)
        super().save(*args, **kwargs)


class LoginFailure(models.Model):
    """A failed login (or one being checked), kept for the throttling window; in the database
    so every process sees it. See `accounts.selectors.login_wait` for how the rows are read."""

    email = models.CharField(max_length=254)
    # The visitor's address as core.middleware.visitor_address gives it (an IPv6 address's
    # /64 network); None when the server saw no address.
    ip_address = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # False once the account's owner proved themselves (logged in from this address or this
    # device, or reset the password): the failure no longer slows the account or the device,
    # but still slows its address.
    counts_for_account = models.BooleanField(default=True)
    # The device cookie's nonce, when the attempt came from a device proven for the account
    # (accounts.devices): such a device is slowed by its own failures only.
    device = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["email", "at"], name="login_failure_email_at"),
            models.Index(fields=["ip_address", "at"], name="login_failure_address_at"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.at:%Y-%m-%d %H:%M}"


class PasswordResetRequest(models.Model):
    """A request for a password reset link, whether the address has an account or not: the
    throttle must answer alike for both, so it counts both."""

    email = models.CharField(max_length=254)
    # As LoginFailure.ip_address: an IPv6 address's /64 network.
    requested_from = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "at"], name="password_reset_email_at"),
            models.Index(fields=["requested_from", "at"], name="password_reset_address_at"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.at:%Y-%m-%d %H:%M}"
