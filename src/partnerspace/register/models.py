from django.db import models
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
