"""The integrations a Belgian firm uses to receive its clients' documents: data, in one place.

Each entry says what the firm configures once (firm_fields) and what each client link needs
(client_fields). Adding an integration is adding an entry here; the pages, the API, templates
and validation all read this table.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SettingField:
    key: str
    label: Promise
    kind: str = "text"  # text | email | folder | number
    required: bool = False
    pattern: str | None = None  # the whole value must match
    pattern_hint: Promise | str = ""
    max_length: int = 200
    help: Promise | str = ""
    # The client's external reference (its ID in the accounting package) is the natural
    # default where an integration keys clients by it.
    from_external_reference: bool = False

    @cached_property
    def regex(self) -> re.Pattern | None:
        return re.compile(self.pattern) if self.pattern else None


@dataclass(frozen=True)
class IntegrationSpec:
    key: str
    name: Promise | str  # a brand (not translated) or, for generic ones, a translated name
    description: Promise
    category: str  # accounting | storage | email
    firm_fields: tuple[SettingField, ...] = field(default_factory=tuple)
    client_fields: tuple[SettingField, ...] = field(default_factory=tuple)


_DIGITS = r"\d{1,10}"
_CODE = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"


def _client_code(key: str, label) -> SettingField:
    """The code by which an accounting package knows the client: the external reference."""
    return SettingField(
        key,
        label,
        required=True,
        pattern=_CODE,
        pattern_hint=_("letters, digits, dots and dashes"),
        from_external_reference=True,
    )


INTEGRATIONS: tuple[IntegrationSpec, ...] = (
    IntegrationSpec(
        key="exact_online",
        name="Exact Online",
        description=_("Sends purchase and sales invoices to the client's Exact Online division."),
        category="accounting",
        firm_fields=(
            SettingField(
                "region",
                _("Exact Online region"),
                pattern=r"(be|nl)",
                pattern_hint=_("be or nl"),
                help=_("Where the firm's Exact Online licence runs: be or nl."),
            ),
        ),
        client_fields=(
            SettingField(
                "division",
                _("Division (company code)"),
                kind="number",
                required=True,
                pattern=_DIGITS,
                pattern_hint=_("digits only, e.g. 123456"),
                from_external_reference=True,
            ),
        ),
    ),
    IntegrationSpec(
        key="yuki",
        name="Yuki",
        description=_("Delivers documents to the client's Yuki administration."),
        category="accounting",
        firm_fields=(
            SettingField(
                "domain",
                _("Yuki domain"),
                pattern=_CODE,
                pattern_hint=_("letters, digits, dots and dashes"),
            ),
        ),
        client_fields=(
            SettingField(
                "administration_id",
                _("Administration ID"),
                required=True,
                pattern=r"[0-9a-fA-F\-]{1,40}|\d{1,10}",
                pattern_hint=_("the administration's ID or GUID"),
                from_external_reference=True,
            ),
        ),
    ),
    IntegrationSpec(
        key="octopus",
        name="Octopus",
        description=_("Mails documents to the client's Octopus dossier mailbox."),
        category="accounting",
        client_fields=(
            SettingField(
                "dossier_mailbox", _("Dossier mailbox address"), kind="email", required=True
            ),
        ),
    ),
    IntegrationSpec(
        key="winbooks",
        name="WinBooks",
        description=_("Exports documents to the client's WinBooks dossier."),
        category="accounting",
        client_fields=(_client_code("dossier", _("Dossier code")),),
    ),
    IntegrationSpec(
        key="horus",
        name="Horus",
        description=_("Exports documents to the client's Horus file."),
        category="accounting",
        client_fields=(_client_code("dossier", _("Dossier ID")),),
    ),
    IntegrationSpec(
        key="clearfacts",
        name="ClearFacts",
        description=_("Sends documents to the client's ClearFacts company."),
        category="accounting",
        client_fields=(_client_code("company_code", _("Company code")),),
    ),
    IntegrationSpec(
        key="dropbox",
        name="Dropbox",
        description=_("Stores documents in a folder of the firm's Dropbox."),
        category="storage",
        firm_fields=(SettingField("account", _("Dropbox account (e-mail address)"), kind="email"),),
        client_fields=(
            SettingField(
                "folder_path",
                _("Folder path"),
                kind="folder",
                required=True,
                pattern=r"/[^\\:*?\"<>|]{0,254}",
                pattern_hint=_("starts with /, e.g. /Clients/Bakkerij Peeters"),
            ),
        ),
    ),
    IntegrationSpec(
        key="email_export",
        name=_("Export by e-mail"),
        description=_("Forwards every document to an e-mail address."),
        category="email",
        client_fields=(SettingField("address", _("E-mail address"), kind="email", required=True),),
    ),
)

CATALOG: dict[str, IntegrationSpec] = {spec.key: spec for spec in INTEGRATIONS}


def integration_spec(key: str) -> IntegrationSpec | None:
    return CATALOG.get(key)


def setting_history_field(integration_key: str, setting_key: str) -> str:
    """How a client's history names a changed per-client setting: keys, in no language, so
    that each reader sees the label in theirs (setting_history_label)."""
    return f"{integration_key}.{setting_key}"


def setting_history_label(field: str) -> str | None:
    """'Exact Online · Division (company code)' in the active language, for a history field
    that setting_history_field made; None for any other field."""
    integration_key, _dot, setting_key = str(field).partition(".")
    spec = CATALOG.get(integration_key)
    if spec is None:
        return None
    for setting in spec.client_fields:
        if setting.key == setting_key:
            return f"{spec.name} · {setting.label}"
    return None
