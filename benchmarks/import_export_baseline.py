"""The baseline of the import benchmark: django-import-export importing the same file.

Imported only in a configured Django process (`benchmarks.imports` runs it as a child).

To compare like with like, the resources below do the work the product's import does, the way
a developer using django-import-export would add it through its hooks:

- every row passes the product's own rules (`clients.validation.client_clean` and
  `contact_clean`) in `before_import_row`, so "BE 0403.019.261" is stored as "BE0403019261"
  and a row the product refuses is refused here too (as a ValidationError, an invalid row);
- `before_save_instance` sets the firm, the Draft status, `created_by`, the mandate
  confirmation and `search_text`/`sort_name` through `clients.search.client_search_fields`,
  so the clients are as usable in the list as the product's;
- the primary contact, the "created" history line and the template (the product's
  `configuration.services.template_apply`: staff assignment, integration link, history) are
  written in `after_save_instance` in the default mode, one row at a time; in bulk mode,
  where `after_save_instance` runs before the client has an id, they are written for each
  batch right after its `bulk_create`.

`ClientResource` is import-export's default mode (what a user of its admin or of
`import_data` gets): one `save()` per row in a savepoint, the instance looked up by its
enterprise number first (`ModelInstanceLoader`), the template looked up by name per row
(`ForeignKeyWidget`), a diff of each row kept for the report. `BulkClientResource` follows
import-export's own advice for large files: `use_bulk` with batches of 2,000,
`skip_diff`, `force_init_instance` (no look-up per row: the firm starts empty) and the
firm's templates looked up once.
"""

from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources, widgets

from partnerspace.clients.history import TRACKED_FIELDS, creation_changes
from partnerspace.clients.models import Client, ClientHistory, ClientStatus, Contact, HistorySource
from partnerspace.clients.search import client_search_fields
from partnerspace.clients.validation import client_clean, contact_clean
from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.configuration.services import template_apply
from partnerspace.core.errors import ValidationFailed
from partnerspace.imports.columns import KEYS, headers_for

HEADER = dict(zip(KEYS, headers_for("nl"), strict=True))
COMPANY_KEYS = (
    "legal_name", "country", "company_number", "vat_number", "external_reference", "iban",
    "street", "house_number", "box", "postal_code", "city", "peppol_mandate",
)  # fmt: skip
CONTACT_KEYS = {
    "contact_first_name": "first_name",
    "contact_last_name": "last_name",
    "contact_email": "email",
    "contact_locale": "locale",
}


def read_dataset(path):
    """The first sheet as a tablib.Dataset, as import-export's XLSX format reads it.

    Returns (dataset, how it was read). import-export reads xlsx with openpyxl; when
    openpyxl is not installed (it is not in requirements/bench.lock) the same Dataset is
    built from python-calamine's reading instead, which is faster than openpyxl and so
    favours the baseline.
    """
    import tablib
    from import_export.formats.base_formats import XLSX

    try:
        import openpyxl  # noqa: F401
    except ImportError:
        pass
    else:
        with open(path, "rb") as handle:
            return XLSX().create_dataset(handle.read()), "openpyxl (import-export's XLSX format)"

    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    dataset = tablib.Dataset()
    dataset.headers = [str(cell) for cell in rows[0]]
    for row in rows[1:]:
        # What openpyxl gives: None for an empty cell, an int for a whole number.
        dataset.append(
            [
                None
                if cell == ""
                else (int(cell) if type(cell) is float and cell.is_integer() else cell)
                for cell in row
            ]
        )
    return dataset, "python-calamine into a tablib.Dataset (openpyxl is not installed)"


class FirmTemplateWidget(widgets.ForeignKeyWidget):
    """A template of this firm, by name: one query per row, as ForeignKeyWidget does."""

    def __init__(self, firm):
        super().__init__(ConfigurationTemplate, field="name")
        self.firm = firm

    def get_queryset(self, value, row, *args, **kwargs):
        return ConfigurationTemplate.objects.filter(firm=self.firm)


class CachedTemplateWidget(widgets.ForeignKeyWidget):
    """The firm's templates read once (import-export's advice for bulk imports)."""

    def __init__(self, firm):
        super().__init__(ConfigurationTemplate, field="name")
        self.by_name = {t.name: t for t in ConfigurationTemplate.objects.filter(firm=firm)}

    def clean(self, value, row=None, **kwargs):
        if not value:
            return None
        try:
            return self.by_name[value]
        except KeyError:
            raise ValueError(f"There is no template named {value}.") from None


def _field(key: str, widget=None) -> fields.Field:
    return fields.Field(attribute=key, column_name=HEADER[key], widget=widget)


def _identifier(key: str) -> fields.Field:
    # None, not "", for an absent number: the unique constraints ignore NULLs only.
    return _field(key, widgets.CharWidget(allow_blank=False))


class ClientResource(resources.ModelResource):
    legal_name = _field("legal_name")
    country = _field("country")
    company_number = _identifier("company_number")
    vat_number = _identifier("vat_number")
    external_reference = _identifier("external_reference")
    iban = _field("iban")
    street = _field("street")
    house_number = _field("house_number")
    box = _field("box")
    postal_code = _field("postal_code")
    city = _field("city")
    peppol_mandate = _field("peppol_mandate", widgets.BooleanWidget())
    template = fields.Field(attribute="template", column_name=HEADER["template"])

    class Meta:
        model = Client
        fields = (*COMPANY_KEYS, "template")
        import_id_fields = ("company_number",)

    def __init__(self, *, firm, actor, **kwargs):
        super().__init__(**kwargs)
        self.firm = firm
        self.actor = actor
        self.fields["template"].widget = self.template_widget(firm)

    def template_widget(self, firm):
        return FirmTemplateWidget(firm)

    def get_queryset(self):
        return Client.objects.filter(firm=self.firm)

    def get_instance(self, instance_loader, row):
        if not row.get(HEADER["company_number"]):
            return None  # no number, nothing to match (IS NULL would match many)
        return super().get_instance(instance_loader, row)

    # The product's rules, on every row

    def before_import_row(self, row, **kwargs):
        raw = {key: row.get(HEADER[key]) for key in KEYS}
        raw = {key: "" if value is None else str(value) for key, value in raw.items()}
        errors = {}
        company = contact = None
        try:
            company = client_clean({key: raw[key] for key in COMPANY_KEYS}).values
        except ValidationFailed as failed:
            errors.update({e.field: e.message for e in failed.errors})
        country = company["country"] if company else None
        try:
            contact = contact_clean(
                {name: raw[key] for key, name in CONTACT_KEYS.items()},
                country=country,
                prefix="contact_",
            ).values
        except ValidationFailed as failed:
            errors.update({e.field: e.message for e in failed.errors})
        if errors:
            raise ValidationError(errors)
        for key in COMPANY_KEYS:
            row[HEADER[key]] = company[key]
        row["_contact"] = contact

    def before_save_instance(self, instance, row, **kwargs):
        now = timezone.now()
        instance.firm = self.firm
        instance.status = ClientStatus.DRAFT
        instance.created_by = self.actor
        instance.created_at = instance.updated_at = now
        if instance.peppol_mandate:
            instance.mandate_confirmed_at = now
            instance.mandate_confirmed_by = self.actor
        instance.template_name = instance.template.name if instance.template else ""
        contact = row["_contact"]
        instance.bench_contact = contact
        search = client_search_fields(instance, (SimpleNamespace(**contact),))
        instance.search_text = search["search_text"]
        instance.sort_name = search["sort_name"]

    def after_save_instance(self, instance, row, **kwargs):
        if self._meta.use_bulk or kwargs.get("dry_run"):
            return
        Contact.objects.create(client=instance, is_primary=True, **instance.bench_contact)
        ClientHistory.objects.create(**self.history_values(instance))
        if instance.template is not None:
            template_apply(
                clients=[instance],
                template=instance.template,
                actor=self.actor,
                source=HistorySource.IMPORT,
            )

    def history_values(self, client) -> dict:
        created = {name: getattr(client, name) for name in TRACKED_FIELDS}
        return {
            "client": client,
            "at": client.created_at,
            "actor": self.actor,
            "actor_label": str(self.actor) if self.actor else "",
            "source": HistorySource.IMPORT,
            "action": "created",
            "changes": creation_changes(created),
        }


class BulkClientResource(ClientResource):
    class Meta(ClientResource.Meta):
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        force_init_instance = True

    def template_widget(self, firm):
        return CachedTemplateWidget(firm)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        clients = list(self.create_instances)
        super().bulk_create(
            using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result
        )
        if not clients or clients[0].pk is None:
            return  # the batch failed: import-export recorded the error
        Contact.objects.bulk_create(
            [Contact(client=c, is_primary=True, **c.bench_contact) for c in clients],
            batch_size=batch_size,
        )
        ClientHistory.objects.bulk_create(
            [ClientHistory(**self.history_values(c)) for c in clients], batch_size=batch_size
        )
        by_template: dict[int, list] = {}
        for client in clients:
            if client.template is not None:
                by_template.setdefault(client.template.pk, []).append(client)
        for group in by_template.values():
            template_apply(
                clients=group,
                template=group[0].template,
                actor=self.actor,
                source=HistorySource.IMPORT,
            )
