from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExtractKind(models.TextChoices):
    FULL = "full", _("Full extract")
    UPDATE = "update", _("Update")


class RegisterExtract(models.Model):
    """One KBO Open Data file applied to the register: a full extract that replaced the copy,
    or an update applied to it. The latest row says what the copy is (the register's tables
    themselves are in `register.tables`); it is written in the transaction that makes the copy
    so."""

    kind = models.CharField(max_length=8, choices=ExtractKind.choices)
    extract_number = models.PositiveIntegerField()
    snapshot_date = models.DateField()
    extract_timestamp = models.DateTimeField(null=True, blank=True)
    version = models.CharField(max_length=32, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    applied_at = models.DateTimeField(auto_now_add=True)
    enterprises = models.PositiveIntegerField(default=0)
    # The next free sequence number of a name's id (see register.kbo.NAME_ID_SHIFT).
    name_sequence = models.BigIntegerField(default=1)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.extract_number} ({self.snapshot_date})"


# The register watch: what an update changed for a firm's clients


class ChangeKind(models.TextChoices):
    NAME = "name", _("Legal name")
    LEGAL_FORM = "legal_form", _("Legal form")
    ADDRESS = "address", _("Seat address")
    SITUATION = "situation", _("Juridical situation")
    STOPPED = "stopped", _("Gone from the register")


# Kinds a client holds a field for: taking them over changes the client. The others are
# taken over into the client's history (the client has no legal form or situation field).
KINDS_WITH_FIELDS = (ChangeKind.NAME, ChangeKind.ADDRESS)


class ChangeState(models.TextChoices):
    OPEN = "open", _("Open")
    TAKEN = "taken", _("Taken over")
    DISMISSED = "dismissed", _("Dismissed")


class RegisterChange(models.Model):
    """What a register update changed of a client's company, for one kind: the register's
    value before and after (register.watch says their shapes). One open change per client and
    kind; a later update that changes the same again moves its `after`. A dismissed change is
    kept: the same client, kind and after-value is then not flagged again (`after_key`)."""

    # Served by the indexes below, which start with them.
    firm = models.ForeignKey(
        "firms.Firm", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="register_changes", db_index=False
    )
    number = models.CharField(max_length=10)
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # A digest of `after`: the same value gives the same key (see register.watch.value_key).
    after_key = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=ChangeState.choices, default=ChangeState.OPEN)
    # The update that flagged it (last): its number and snapshot date.
    extract_number = models.PositiveIntegerField()
    snapshot_date = models.DateField()
    flagged_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind"],
                condition=models.Q(state="open"),
                name="register_change_one_open_per_kind",
            ),
        ]
        indexes = [
            # The page, the menu's count and the Overview: a firm's open changes.
            models.Index(fields=["firm", "state", "client"], name="register_change_firm"),
            # The watch pass: the changes of the clients an update touched.
            models.Index(fields=["client", "kind"], name="register_change_client"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.kind} ({self.state})"


class RegisterWatchPending(models.Model):
    """An enterprise an update touched that is some firm's client, with its register data as
    it was before the update: written in the update's transaction, read by the watch pass
    after it commits, then deleted. A pass that did not run (the process died) is taken up by
    the next update's."""

    extract_number = models.PositiveIntegerField()
    number = models.CharField(max_length=10)
    before = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["extract_number", "number"], name="register_watch_pending_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.extract_number} {self.number}"


class RegisterDigestSent(models.Model):
    """A digest e-mail of one update's changes to one person: claimed before it is sent, so a
    task run twice sends it once. A claim still unsent after core.delivery.CLAIM_LEASE
    belongs to a worker that stopped mid-send, and the next run takes it again."""

    extract_number = models.PositiveIntegerField()
    membership = models.ForeignKey("firms.Membership", on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    changes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["extract_number", "membership"], name="register_digest_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.extract_number} → {self.membership_id}"
