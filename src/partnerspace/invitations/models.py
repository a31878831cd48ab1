from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.firms.models import Firm

INVITATION_DAYS = 30


class InvitationState(models.TextChoices):
    QUEUED = "queued", _("Being sent")
    RETRYING = "retrying", _("Sending failed, trying again")
    FAILED = "failed", _("Could not be sent")
    SENT = "sent", _("Sent")
    EXPIRED = "expired", _("Expired")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Withdrawn")
    REPLACED = "replaced", _("Replaced by a new invitation")


class MailedLink(models.Model):
    """A row whose link goes out by e-mail through core.delivery: the token (issued when the
    mail is sent, kept as a digest), the claim of the worker sending it, and its attempts."""

    token_selector = models.CharField(max_length=32, unique=True, null=True, blank=True)
    token_digest = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Invitation(MailedLink):
    """One invitation e-mail to a client's contact. Sent at most once: resending makes a new one.

    The link's token is issued when the mail is sent and stored only as a digest.
    """

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="client_invitations")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    recipient_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, default="nl")
    message = models.TextField(blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "-created_at"], name="invitation_client")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.email}"

    @property
    def is_closed(self) -> bool:
        return bool(self.accepted_at or self.revoked_at or self.replaced_at or self.failed_at)

    @staticmethod
    def pending_now() -> Q:
        """The invitations that may still lead to an acceptance: open (`is_open`), or failed
        to send but not expired, which staff may send again (invitation_retry_now)."""
        return Q(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            replaced_at__isnull=True,
            expires_at__gt=timezone.now(),
        )

    @property
    def is_open(self) -> bool:
        """Its link may still be used (or will be, once sent)."""
        return not self.is_closed and self.expires_at > timezone.now()

    @property
    def state(self) -> InvitationState:
        return invitation_state(*(getattr(self, name) for name in STATE_FIELDS))


# What an invitation's state is read from, in invitation_state's order.
STATE_FIELDS = (
    "accepted_at",
    "revoked_at",
    "replaced_at",
    "failed_at",
    "expires_at",
    "sent_at",
    "send_attempts",
)


def invitation_state(
    accepted_at, revoked_at, replaced_at, failed_at, expires_at, sent_at, send_attempts
) -> InvitationState:
    """An invitation's state from its STATE_FIELDS (a page's rows read only those)."""
    if accepted_at:
        return InvitationState.ACCEPTED
    if revoked_at:
        return InvitationState.REVOKED
    if replaced_at:
        return InvitationState.REPLACED
    if failed_at:
        return InvitationState.FAILED
    if expires_at <= timezone.now():
        return InvitationState.EXPIRED
    if sent_at:
        return InvitationState.SENT
    if send_attempts:
        return InvitationState.RETRYING
    return InvitationState.QUEUED


class RegistrationLink(models.Model):
    """A firm's shareable sign-up link: a company that registers through it becomes an Active
    client of the firm, with the link's template applied. The code is public by design
    (it is shared on a website or in a newsletter); it can be switched off or replaced."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="registration_links")
    code = models.CharField(max_length=40, unique=True)
    template = models.ForeignKey(
        "configuration.ConfigurationTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.code


REGISTRATION_CONFIRM_HOURS = 48


class PendingRegistration(MailedLink):
    """A sign-up through a registration link, waiting for its e-mail address to be proven.

    Nothing exists yet: no account, company or client. The link mailed to the address creates
    them; until then anyone could have typed someone else's address. The password is kept only
    as Django's hash and the link's token only as a digest (issued when the mail is sent). The
    row is deleted when it is confirmed, emptied when replaced, and once expired, deleted by the
    next sign-up.
    """

    link = models.ForeignKey(
        RegistrationLink, on_delete=models.CASCADE, related_name="pending_registrations"
    )
    # Stored as accounts store it (email_key), so a second sign-up finds the first one.
    email = models.EmailField(max_length=254, db_index=True)
    language = models.CharField(max_length=8, default="nl")
    company = models.JSONField()  # the form's values, given again to company_register
    person = models.JSONField()
    password_hash = models.CharField(max_length=128, blank=True)
    # The address has an account already: the mail says so (log in, ask for an invitation)
    # and carries no link. The form answers as for any sign-up, so it tells nobody that.
    account_exists = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    # A later sign-up for the address took its place: emptied, kept for the throttle's count.
    replaced_at = models.DateTimeField(null=True, blank=True)
    # Where the sign-up came from: the public form may send only so many mails per hour.
    requested_from = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requested_from", "created_at"], name="pending_registration_ip")
        ]

    def __str__(self) -> str:
        return f"{self.link_id} ← {self.email}"

    @property
    def is_open(self) -> bool:
        """Its link may be used: mailed, not expired, and the firm still offers the sign-up."""
        return (
            not self.account_exists
            and self.replaced_at is None
            and bool(self.token_digest)
            and self.expires_at > timezone.now()
            and self.link.is_active
        )
