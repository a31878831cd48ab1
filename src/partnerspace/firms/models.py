from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Firm(models.Model):
    """An accounting firm: the tenant. Everything a firm holds hangs from this row."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Raised after every committed change to the firm's clients that a count of them by
    # status may see (clients.counts): the client list's tab counts are cached per version.
    clients_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    # Raised after every committed change to what the pages' lists to choose from show: the
    # firm's staff and their names, its configuration templates (firms.choices).
    choices_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    # Raised after every committed change to the firm's open register changes (the watch,
    # one taken over or dismissed): the menu's count of them is cached per version, beside
    # clients_version for the clients it counts (register.counts).
    register_changes_version = models.PositiveBigIntegerField(
        default=0, db_default=0, editable=False
    )
    # The assigned staff of clients whose company the register's update changed get a digest
    # e-mail (register.digest); the firm may switch it off.
    register_digest = models.BooleanField(
        _("e-mail a digest of register changes"), default=True, db_default=True
    )
    # The firm's own VAT number: VIES checks of its clients name it as the requester, and then
    # answer with a consultation number, the firm's proof that it checked.
    vat_number = models.CharField(
        _("VAT number"), max_length=32, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("firm")
        verbose_name_plural = _("firms")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    CLIENT_MANAGER = "client_manager", _("Client manager")
    ACCOUNTANT = "accountant", _("Accountant")


ROLE_DESCRIPTIONS = {
    Role.ADMINISTRATOR: _("Manages users, templates, integrations and the firm's settings."),
    Role.CLIENT_MANAGER: _("Creates and edits clients, invites them; sees no client documents."),
    Role.ACCOUNTANT: _("Full access to the clients assigned to them, nothing else."),
}


class Membership(models.Model):
    """A person's place in a firm, with one or more roles. The access context of every request."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_administrator = models.BooleanField(_("administrator"), default=False)
    is_client_manager = models.BooleanField(_("client manager"), default=False)
    is_accountant = models.BooleanField(_("accountant"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(fields=["firm", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=Q(is_administrator=True)
                | Q(is_client_manager=True)
                | Q(is_accountant=True),
                name="membership_has_a_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.firm}"

    @property
    def roles(self) -> list[Role]:
        return roles_held(self)

    # What each role may do, in one place: views, API and services ask these.
    @property
    def can_manage_staff(self) -> bool:
        return self.is_administrator

    @property
    def can_manage_configuration(self) -> bool:
        return self.is_administrator

    @property
    def sees_all_clients(self) -> bool:
        return self.is_administrator or self.is_client_manager

    @property
    def clients_seen(self) -> str:
        """Which of the firm's clients this membership sees, for the key of a cached count:
        all of them, or an accountant's own."""
        return "all" if self.sees_all_clients else f"member-{self.pk}"

    @property
    def can_create_clients(self) -> bool:
        return self.is_administrator or self.is_client_manager

    @property
    def can_delete_clients(self) -> bool:
        return self.is_administrator or self.is_client_manager

    @property
    def can_invite_clients(self) -> bool:
        return self.is_administrator or self.is_client_manager

    @property
    def can_manage_peppol(self) -> bool:
        """Confirm clients' Peppol mandates and register them (the SMP itself is configured
        by whoever may manage the firm's configuration)."""
        return self.is_administrator or self.is_client_manager

    @property
    def can_check_vat(self) -> bool:
        """Ask VIES about clients' VAT numbers on demand (one client or a selection)."""
        return self.is_administrator or self.is_client_manager


def roles_held(holder: "Membership | StaffInvitation") -> list[Role]:
    """The roles a membership's or a staff invitation's flags give, in the order of Role."""
    flags = {
        Role.ADMINISTRATOR: holder.is_administrator,
        Role.CLIENT_MANAGER: holder.is_client_manager,
        Role.ACCOUNTANT: holder.is_accountant,
    }
    return [role for role, held in flags.items() if held]


def role_fields(roles) -> dict[str, bool]:
    roles = set(roles)
    return {
        "is_administrator": Role.ADMINISTRATOR in roles,
        "is_client_manager": Role.CLIENT_MANAGER in roles,
        "is_accountant": Role.ACCOUNTANT in roles,
    }


class StaffInvitation(models.Model):
    """An administrator's invitation to a colleague; becomes a Membership when accepted."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="staff_invitations")
    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    is_administrator = models.BooleanField(default=False)
    is_client_manager = models.BooleanField(default=False)
    is_accountant = models.BooleanField(default=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Issued when the e-mail is sent, so the link exists nowhere but in that e-mail.
    token_selector = models.CharField(max_length=32, unique=True, null=True, blank=True)
    token_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    send_error = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open invitation per address and firm; a new one replaces the old.
            models.UniqueConstraint(
                "firm",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="staff_invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def roles(self) -> list[Role]:
        return roles_held(self)

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AuditEvent(models.Model):
    """The firm's audit log: what was done, by whom, when; kept after the object is gone."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["firm", "-at"], name="audit_event_firm_at")]
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label}"
