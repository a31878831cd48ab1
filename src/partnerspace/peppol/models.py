import uuid

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.clients.models import Client
from partnerspace.firms.models import Firm

# Peppol BIS Billing 3.0: what a Belgian company must be able to receive since 2026.
BIS_BILLING_INVOICE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BIS_BILLING_CREDIT_NOTE = (
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BIS_BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
AS4_TRANSPORT_PROFILE = "peppol-transport-as4-v2_0"


def default_document_types() -> list[str]:
    return [BIS_BILLING_INVOICE, BIS_BILLING_CREDIT_NOTE]


class AuthScheme(models.TextChoices):
    BASIC = "basic", _("User name and password (Basic)")
    BEARER = "bearer", _("Token (Bearer)")


class PeppolSettings(models.Model):
    """A firm's SMP (phoss-SMP REST API) and the access point its clients receive through."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="peppol_settings")
    smp_base_url = models.URLField(_("SMP address"), max_length=300, blank=True)
    # The SMP's address as the SML publishes it, when it differs from the REST address: the
    # look-up compares against it to tell "our SMP" from another one.
    smp_public_url = models.URLField(_("SMP address in the SML"), max_length=300, blank=True)
    auth_scheme = models.CharField(
        _("authentication"), max_length=8, choices=AuthScheme.choices, default=AuthScheme.BASIC
    )
    username = models.CharField(_("user name"), max_length=200, blank=True)
    secret_encrypted = models.TextField(blank=True)  # peppol.secrets; never shown back
    document_types = models.JSONField(default=default_document_types)
    process_id = models.CharField(_("process"), max_length=200, default=BIS_BILLING_PROCESS)
    access_point_url = models.URLField(_("access point endpoint"), max_length=300, blank=True)
    access_point_certificate = models.TextField(_("access point certificate"), blank=True)
    transport_profile = models.CharField(
        _("transport profile"), max_length=100, default=AS4_TRANSPORT_PROFILE
    )
    service_description = models.CharField(_("service description"), max_length=200, blank=True)
    technical_contact = models.CharField(_("technical contact"), max_length=254, blank=True)
    auto_register = models.BooleanField(_("register imported clients automatically"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("Peppol settings")
        verbose_name_plural = _("Peppol settings")

    def __str__(self) -> str:
        return f"Peppol settings of {self.firm}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def is_configured(self) -> bool:
        """Everything a registration needs is there."""
        return bool(
            self.smp_base_url
            and self.has_secret
            and (self.username or self.auth_scheme == AuthScheme.BEARER)
            and self.document_types
            and self.access_point_url
            and self.access_point_certificate
            and self.technical_contact
        )


class RegistrationStatus(models.TextChoices):
    NOT_REGISTERED = "not_registered", _("Not registered")
    PENDING = "pending", _("Pending")
    REGISTERED = "registered", _("Registered")
    FAILED = "failed", _("Failed")
    REGISTERED_ELSEWHERE = "registered_elsewhere", _("Registered elsewhere")


class Operation(models.TextChoices):
    REGISTER = "register", _("registration")
    DEREGISTER = "deregister", _("deregistration")


class PeppolBatch(models.Model):
    """One bulk activation: its progress is how many of its clients are no longer pending."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="peppol_batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    total = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=dict, blank=True)  # {reason: count}
    source = models.CharField(max_length=16, default="staff")

    class Meta:
        indexes = [models.Index(fields=["firm", "-created_at"], name="peppol_batch_firm")]

    def __str__(self) -> str:
        return f"Peppol batch {self.pk} of {self.firm_id}"


class ClientPeppol(models.Model):
    """A client's registration as a Peppol receiver through the firm's SMP."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="peppol_registration"
    )
    status = models.CharField(
        max_length=24, choices=RegistrationStatus.choices, default=RegistrationStatus.NOT_REGISTERED
    )
    operation = models.CharField(
        max_length=16, choices=Operation.choices, default=Operation.REGISTER
    )
    # The identifier registered, kept so deregistration removes exactly that one.
    participant_id = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    smp_answer = models.TextField(blank=True)  # the SMP's (or the network's) last answer
    other_smp = models.CharField(max_length=300, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The SMP calls already answered in this run, so a retry does not repeat them.
    completed_steps = models.JSONField(default=list, blank=True)
    # The run working on it holds it until then (peppol.services.runner.REGISTRATION_LEASE): another
    # run waits; past it, the run's worker is gone and the work may be taken up again.
    lease_until = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        PeppolBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["batch", "status"], name="peppol_registration_batch")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status == RegistrationStatus.PENDING


def mandate_upload_to(document: "MandateDocument", filename: str) -> str:
    # A random name: the original one is kept in the row and only given back on download.
    return f"mandates/{document.client.firm_id}/{document.client_id}/{uuid.uuid4().hex}.pdf"


class MandateDocument(models.Model):
    """A signed mandate (PDF), kept with the client; served only through an access check."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="mandate_documents")
    file = models.FileField(upload_to=mandate_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


@receiver(post_delete, sender=MandateDocument)
def _remove_mandate_file(sender, instance: MandateDocument, **kwargs) -> None:
    # A deleted client (or document) leaves no signed mandate behind on disk.
    if instance.file:
        instance.file.delete(save=False)
