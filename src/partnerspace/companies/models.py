from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.clients.models import address_lines
from partnerspace.clients.validation import COMPANY_FIELDS, COMPANY_NUMBERS  # noqa: F401


class Company(models.Model):
    """A client company as its own people keep it, independent of any firm.

    A firm's Client row is linked to one Company once the client accepts an invitation;
    from then on the company's people own these details and every linked Client row
    mirrors them (companies.services.company_update writes both at once).
    """

    legal_name = models.CharField(_("legal name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="BE")
    # One company per enterprise number: accepting an invitation finds it by this number.
    company_number = models.CharField(
        _("company number"), max_length=32, null=True, blank=True, unique=True
    )
    vat_number = models.CharField(_("VAT number"), max_length=32, null=True, blank=True)  # noqa: DJ001
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    house_number = models.CharField(_("number"), max_length=20, blank=True)
    box = models.CharField(_("box"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.legal_name

    @property
    def address_lines(self) -> list[str]:
        return address_lines(self)


class CompanyUser(models.Model):
    """A person who speaks for a company in its own client space."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company_memberships"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="company_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"
