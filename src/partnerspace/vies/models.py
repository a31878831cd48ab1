from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.clients.models import Client
from partnerspace.firms.models import Firm


class ViesState(models.TextChoices):
    # Asked, and no answer yet for this number.
    PENDING = "pending", _("Being checked")
    VALID = "valid", _("Valid in VIES")
    INVALID = "invalid", _("Not valid in VIES")
    # VIES or the member state could not answer: says nothing about the number.
    UNAVAILABLE = "unavailable", _("VIES unavailable")


class VatCheck(models.Model):
    """What VIES last said about a client's VAT number, and whether a check is queued.

    One row per client with a VAT number VIES knows. The row is the queue too: a check is
    asked for by setting `queued_at`; the worker (vies.services.vat_checks_run) takes the due
    rows one by one, holding each with `lease_until` while it asks VIES.
    """

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="vat_check")
    # The client's firm, copied: the list's filter and counts read this table by firm.
    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+", db_index=False)
    state = models.CharField(max_length=16, choices=ViesState.choices, default=ViesState.PENDING)
    # The number the state is about, as VIES is asked ("BE", "0403019261").
    country_code = models.CharField(max_length=2)
    number = models.CharField(max_length=30)
    # The last attempt, whatever it brought.
    checked_at = models.DateTimeField(null=True, blank=True)
    # VIES's code for the last failure (MS_UNAVAILABLE, INVALID_INPUT, …) or our own for an
    # answer that never came (NO_ANSWER) or could not be read (BAD_ANSWER); "" when answered.
    error_code = models.CharField(max_length=40, blank=True)
    # The last real answer (valid or not) for this number: kept while VIES is unavailable.
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_valid = models.BooleanField(null=True, blank=True)
    request_date = models.CharField(max_length=40, blank=True)  # as VIES wrote it
    consultation_number = models.CharField(max_length=64, blank=True)
    requester = models.CharField(max_length=32, blank=True)  # the firm's VAT number it named
    vies_name = models.CharField(max_length=300, blank=True)
    vies_address = models.CharField(max_length=600, blank=True)
    # The queue: asked at, attempts since, when the next may run, and the run holding it.
    queued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["firm", "state"], name="vies_check_firm_state"),
            models.Index(
                fields=["queued_at"], name="vies_check_queued", condition=Q(queued_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}{self.number}: {self.state}"

    @property
    def vat(self) -> str:
        return f"{self.country_code}{self.number}"

    @property
    def is_queued(self) -> bool:
        return self.queued_at is not None


class ViesAnswer(models.Model):
    """VIES's answer about one number, kept a day (VIES_CACHE): the same number is not asked
    again that day. An answer asked without a requester is shared; one asked with the firm's
    own VAT number belongs to that firm: its consultation number proves that this firm asked,
    and the requester is only what a firm typed in its settings, so another firm giving the
    same number never receives it."""

    country_code = models.CharField(max_length=2)
    number = models.CharField(max_length=30)
    requester = models.CharField(max_length=32, blank=True)
    # The firm that asked, for an answer asked with a requester; None for a shared answer.
    firm = models.ForeignKey(
        Firm, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    valid = models.BooleanField()
    error_code = models.CharField(max_length=40, blank=True)  # INVALID_INPUT, or ""
    request_date = models.CharField(max_length=40, blank=True)
    consultation_number = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=300, blank=True)
    address = models.CharField(max_length=600, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["country_code", "number", "requester", "firm"],
                condition=models.Q(firm__isnull=False),
                name="vies_answer_unique_per_firm",
            ),
            models.UniqueConstraint(
                fields=["country_code", "number"],
                condition=models.Q(firm__isnull=True),
                name="vies_answer_unique_shared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}{self.number}: {'valid' if self.valid else 'invalid'}"


class ViesSlot(models.Model):
    """One of the calls to VIES that may run at once in the whole installation (VIES_SLOTS
    rows). A run takes a free slot with one conditional UPDATE, which the database grants to
    one process only, whichever worker it runs in; a slot whose holder died frees itself
    when its lease runs out."""

    number = models.PositiveSmallIntegerField(primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"VIES slot {self.number}"
