from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.accounts.models import person_label
from partnerspace.firms.models import Firm, Membership


def address_lines(record) -> list[str]:
    """A client's or a company's address in two lines: "Veldstraat 12 bus A", "9000 Gent".
    The box keeps its word: "12 A" would read as house number 12A."""
    first = " ".join(part for part in (record.street, record.house_number) if part)
    if record.box:
        first = f"{first} {_('box')} {record.box}".strip()
    second = " ".join(part for part in (record.postal_code, record.city) if part)
    return [line for line in (first, second) if line]


class ClientStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


# The list's two tabs: Actief, and Niet actief for every other status.
INACTIVE_STATUSES = (ClientStatus.DRAFT, ClientStatus.INVITED, ClientStatus.ARCHIVED)


class Client(models.Model):
    """A client company in a firm's portfolio."""

    # No index of its own: every index below starts with the firm, and inserts pay per index.
    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="clients", db_index=False)
    legal_name = models.CharField(_("legal name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="BE")
    # NULL, not "", when absent: the unique constraints below then ignore missing numbers.
    company_number = models.CharField(  # noqa: DJ001
        _("company number"), max_length=32, null=True, blank=True
    )
    vat_number = models.CharField(_("VAT number"), max_length=32, null=True, blank=True)  # noqa: DJ001
    external_reference = models.CharField(  # noqa: DJ001
        _("external reference"), max_length=100, null=True, blank=True
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    house_number = models.CharField(_("number"), max_length=20, blank=True)
    box = models.CharField(_("box"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    peppol_mandate = models.BooleanField(_("Peppol mandate"), default=False)
    mandate_confirmed_at = models.DateTimeField(null=True, blank=True)
    mandate_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template = models.ForeignKey(
        "configuration.ConfigurationTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
    )
    # Kept when the template is deleted, so the client page can still say where it came from.
    template_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ClientStatus.choices, default=ClientStatus.DRAFT
    )
    # The company's own record, once the client accepted an invitation (or registered itself).
    company = models.ForeignKey(
        "companies.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
    )
    archived_by_client = models.BooleanField(default=False)
    notes = models.TextField(_("notes"), blank=True)
    assigned = models.ManyToManyField(
        Membership, through="ClientAssignment", related_name="assigned_clients", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Derived, for a list that stays fast at 100,000 clients: folded text to search in, and
    # a folded name to sort by. Written by clients.search.client_search_fields, nowhere else.
    search_text = models.TextField(blank=True)
    sort_name = models.CharField(max_length=200, blank=True)
    # A client without any number: its folded name and its primary contact's address,
    # unique per firm (see clients.search.identity_key); NULL for every other client.
    identity_key = models.CharField(max_length=460, null=True, blank=True)  # noqa: DJ001

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "company_number"], name="client_unique_company_number"
            ),
            models.UniqueConstraint(fields=["firm", "vat_number"], name="client_unique_vat_number"),
            models.UniqueConstraint(
                fields=["firm", "external_reference"], name="client_unique_external_reference"
            ),
            models.UniqueConstraint(
                fields=["firm", "identity_key"],
                condition=Q(identity_key__isnull=False),
                name="client_unique_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["firm", "sort_name", "id"], name="client_firm_name"),
            models.Index(
                fields=["firm", "status", "sort_name", "id"], name="client_firm_status_name"
            ),
            models.Index(fields=["firm", "created_at", "id"], name="client_firm_created"),
            models.Index(
                fields=["firm", "status", "created_at", "id"], name="client_firm_status_created"
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_draft(self) -> bool:
        return self.status == ClientStatus.DRAFT

    @property
    def address_lines(self) -> list[str]:
        return address_lines(self)


class ClientAssignment(models.Model):
    # Both served by the indexes in Meta, which start with them.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="client_assignments", db_index=False
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "membership"], name="assignment_unique")
        ]
        # An accountant's list starts from their assignments.
        indexes = [models.Index(fields=["membership", "client"], name="assignment_membership")]

    def __str__(self) -> str:
        return f"{self.membership} → {self.client}"


class Contact(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail address"), max_length=254)
    locale = models.CharField(_("language"), max_length=35, default="nl-BE")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="contact_one_primary"
            ),
            # One contact person per address: Pieter@… and pieter@… are the same mailbox.
            models.UniqueConstraint(
                "client", Lower("email"), name="contact_unique_email_per_client"
            ),
        ]
        ordering = ["-is_primary", "last_name", "first_name", "id"]

    def __str__(self) -> str:
        return person_label(self.first_name, self.last_name, self.email)

    @property
    def full_name(self) -> str:
        return str(self)


class HistorySource(models.TextChoices):
    STAFF = "staff", _("staff")
    API = "api", _("API")
    IMPORT = "import", _("import")
    CLIENT = "client", _("client")
    SYSTEM = "system", _("system")
    REGISTER = "register", _("KBO register")


class ClientHistory(models.Model):
    """One change to a client: who, when, through which door, and each field's old and new value."""

    client = models.ForeignKey(  # served by client_history_at
        Client, on_delete=models.CASCADE, related_name="history", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=16, choices=HistorySource.choices)
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=list, blank=True)  # [{"field", "old", "new"}]
    # The one operation that wrote this row among many (an import: "import:<token>"), so
    # that it can be found, and undone, as a whole. Empty for a change of its own.
    operation = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["client", "-at"], name="client_history_at"),
            models.Index(
                fields=["operation", "id"],
                name="client_history_operation",
                condition=~Q(operation=""),
            ),
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.client_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
