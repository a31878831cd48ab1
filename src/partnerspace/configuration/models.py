import unicodedata
from typing import Any

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.configuration.catalog import CATALOG
from partnerspace.firms.choices import firm_choices_changed
from partnerspace.firms.models import Firm, Membership


class FirmIntegration(models.Model):
    """An integration the firm installed once, with its firm-level settings."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="integrations")
    key = models.CharField(_("integration"), max_length=40)
    settings = models.JSONField(default=dict, blank=True)
    installed_at = models.DateTimeField(default=timezone.now)
    installed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "key"], name="firm_integration_unique_key")
        ]
        ordering = ["key"]

    def __str__(self) -> str:
        return str(self.spec.name) if self.spec else self.key

    @property
    def spec(self):
        return CATALOG.get(self.key)


def template_name_key(name: str) -> str:
    """What makes two template names the same name: compared in Python, not with SQL LOWER(),
    which on SQLite folds ASCII only and would let "École" and "école" both exist; in one
    Unicode form (NFKC: "École" typed, and pasted from macOS as E + a combining accent, are
    one name) and with its spaces as one."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


class TemplateQuerySet(models.QuerySet["ConfigurationTemplate"]):
    """Keeps name_key in step with name on the writes that bypass save(), and tells the
    firms' lists to choose from (firms.choices) of the names they write, as the signals do
    for save() and delete()."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for template in objs:
            template.name_key = template_name_key(template.name)
        if "name" in (kwargs.get("update_fields") or ()):
            kwargs["update_fields"] = [*kwargs["update_fields"], "name_key"]
        created = super().bulk_create(objs, *args, **kwargs)
        firm_choices_changed(firm_ids={template.firm_id for template in objs})
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if "name" in fields:
            for template in objs:
                template.name_key = template_name_key(template.name)
            fields = [*fields, "name_key"]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        # bulk_update comes here with both, name_key computed already.
        if "name" in kwargs and "name_key" not in kwargs:
            if not isinstance(kwargs["name"], str):
                # An SQL expression cannot be casefolded the way Python does it.
                raise TypeError("Rename a template with a plain string, or through save().")
            kwargs["name_key"] = template_name_key(kwargs["name"])
        if "name" in kwargs:
            firm_choices_changed(firm_ids=set(self.values_list("firm_id", flat=True)))
        return super().update(**kwargs)


class ConfigurationTemplate(models.Model):
    """The settings a new client starts with: assigned staff and linked integrations.

    Copied onto a client when it is created; changing the template later changes no client.
    """

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(_("name"), max_length=100)
    # The name casefolded, which may be longer than the name ("ß" becomes "ss"): the
    # uniqueness of names and the look-up by name use it. Filled on every save.
    name_key = models.CharField(max_length=300, editable=False)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default template"), default=False)
    users = models.ManyToManyField(Membership, blank=True, related_name="templates")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "name_key"], name="template_unique_name_key"),
            models.UniqueConstraint(
                fields=["firm"], condition=Q(is_default=True), name="template_one_default"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = template_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class TemplateIntegration(models.Model):
    template = models.ForeignKey(
        ConfigurationTemplate, on_delete=models.CASCADE, related_name="integration_links"
    )
    firm_integration = models.ForeignKey(
        FirmIntegration, on_delete=models.CASCADE, related_name="template_links"
    )
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template", "firm_integration"], name="template_integration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.firm_integration}"


class ClientIntegration(models.Model):
    """An integration linked to one client, with that client's own settings."""

    client = models.ForeignKey(  # served by the unique (client, firm_integration) index
        "clients.Client", on_delete=models.CASCADE, related_name="integration_links", db_index=False
    )
    # PROTECT: a firm integration still linked to clients cannot disappear under them.
    firm_integration = models.ForeignKey(
        FirmIntegration, on_delete=models.PROTECT, related_name="client_links"
    )
    settings = models.JSONField(default=dict, blank=True)
    is_complete = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "firm_integration"], name="client_integration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.firm_integration}"
