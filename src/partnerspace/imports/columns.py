"""The columns of a client import, in one place.

The template writer, the reader, the export and the error report all take their columns
from :data:`COLUMNS`, in this order. The Dutch headers are the reference; the French and
English ones are their equivalents. Labels and hints are plain data keyed by language code
("nl", "fr", "en"), not gettext: the reader must recognise a header in every language,
whatever the language of the person who uploads the file.

This module imports nothing from Django and needs no settings.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "COLUMNS",
    "COLUMN_BY_KEY",
    "KEYS",
    "LANGUAGES",
    "REFERENCE_LANGUAGE",
    "REQUIRED_KEYS",
    "Column",
    "header_key",
    "headers_for",
    "normalize_header",
]

LANGUAGES: tuple[str, ...] = ("nl", "fr", "en")
REFERENCE_LANGUAGE = "nl"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the import file.

    ``labels`` and ``hints`` map a language code to the header text and to a short rule
    with an example (used as the header comment of the template). The lengths and every
    other rule are clients.validation's, the same for the import as for the form. An
    ``is_identifier`` column identifies the client (enterprise number, VAT number, the
    firm's own reference): its values are codes, never numbers, and are used to recognise
    a client that already exists.
    """

    key: str
    required: bool
    labels: Mapping[str, str]
    is_identifier: bool
    hints: Mapping[str, str]
    aliases: tuple[str, ...] = ()  # other headers people use for this column

    def __hash__(self) -> int:  # the mappings are not hashable; the key is unique
        return hash(self.key)

    def label(self, language: str) -> str:
        """The header in ``language`` (a code such as "fr" or "fr-BE"); Dutch otherwise."""
        return self.labels[_language(language)]

    def hint(self, language: str) -> str:
        """The rule and example in ``language``; Dutch otherwise."""
        return self.hints[_language(language)]


def _column(
    key: str,
    *,
    required: bool,
    nl: str,
    fr: str,
    en: str,
    hint_nl: str,
    hint_fr: str,
    hint_en: str,
    is_identifier: bool = False,
    aliases: tuple[str, ...] = (),
) -> Column:
    return Column(
        key=key,
        required=required,
        labels=MappingProxyType({"nl": nl, "fr": fr, "en": en}),
        is_identifier=is_identifier,
        hints=MappingProxyType({"nl": hint_nl, "fr": hint_fr, "en": hint_en}),
        aliases=aliases,
    )


COLUMNS: tuple[Column, ...] = (
    _column(
        "legal_name",
        required=True,
        nl="Juridische naam *",
        fr="Dénomination légale *",
        en="Legal name *",
        hint_nl="Verplicht. De naam zoals ingeschreven in de KBO, met rechtsvorm. "
        "Bijvoorbeeld: Bakkerij Peeters BV",
        hint_fr="Obligatoire. La dénomination inscrite à la BCE, avec la forme juridique. "
        "Par exemple : Boulangerie Dubois SRL",
        hint_en="Required. The name as registered, with the legal form. "
        "For example: Peeters Bakery Ltd",
        aliases=(
            "Bedrijfsnaam",
            "Naam onderneming",
            "Raison sociale",
            "Dénomination",
            "Company name",
        ),
    ),
    _column(
        "country",
        required=True,
        nl="Land (lettercode) *",
        fr="Pays (code à deux lettres) *",
        en="Country (letter code) *",
        hint_nl="Verplicht. Landcode van twee letters, of de naam van het land. Bijvoorbeeld: BE",
        hint_fr="Obligatoire. Code pays à deux lettres, ou le nom du pays. Par exemple : BE",
        hint_en="Required. Two-letter country code, or the country's name. For example: BE",
        aliases=("Land", "Landcode", "Pays", "Code pays", "Country", "Country code"),
    ),
    _column(
        "contact_email",
        required=True,
        nl="E-mailadres contactpersoon *",
        fr="Adresse e-mail de la personne de contact *",
        en="Contact e-mail address *",
        hint_nl="Verplicht. Eén e-mailadres: hierheen gaat de uitnodiging. "
        "Bijvoorbeeld: an.peeters@bakkerijpeeters.be",
        hint_fr="Obligatoire. Une seule adresse e-mail : l'invitation y sera envoyée. "
        "Par exemple : marie.dubois@boulangeriedubois.be",
        hint_en="Required. One e-mail address: the invitation is sent there. "
        "For example: an.peeters@peetersbakery.be",
        aliases=(
            "E-mail",
            "E-mailadres",
            "Adresse e-mail",
            "Courriel",
            "E-mail address",
            "Contact e-mail",
        ),
    ),
    _column(
        "contact_first_name",
        required=True,
        nl="Voornaam contactpersoon *",
        fr="Prénom de la personne de contact *",
        en="Contact first name *",
        hint_nl="Verplicht. Bijvoorbeeld: An",
        hint_fr="Obligatoire. Par exemple : Marie",
        hint_en="Required. For example: An",
        aliases=("Voornaam", "Prénom", "First name"),
    ),
    _column(
        "contact_last_name",
        required=True,
        nl="Achternaam contactpersoon *",
        fr="Nom de la personne de contact *",
        en="Contact last name *",
        hint_nl="Verplicht. Bijvoorbeeld: Peeters",
        hint_fr="Obligatoire. Par exemple : Dubois",
        hint_en="Required. For example: Peeters",
        aliases=("Achternaam", "Familienaam", "Nom de famille", "Last name"),
    ),
    _column(
        "contact_locale",
        required=True,
        nl="Taal contactpersoon (locale) *",
        fr="Langue de la personne de contact (locale) *",
        en="Contact language (locale) *",
        hint_nl="Verplicht. Taal en regio voor e-mails en het portaal: nl-BE, fr-BE, de-BE, "
        "en-BE of en-GB. Bijvoorbeeld: nl-BE",
        hint_fr="Obligatoire. Langue et région des e-mails et du portail : fr-BE, nl-BE, "
        "de-BE, en-BE ou en-GB. Par exemple : fr-BE",
        hint_en="Required. Language and region for e-mails and the portal: en-BE, en-GB, "
        "nl-BE, fr-BE or de-BE. For example: en-BE",
        aliases=("Taal", "Langue", "Language", "Locale"),
    ),
    _column(
        "company_number",
        required=False,
        nl="Bedrijfsnummer",
        fr="Numéro d'entreprise",
        en="Company number",
        hint_nl="10 cijfers, begint met 0 of 1, zonder punten of spaties. Bijvoorbeeld: 0403019261",
        hint_fr="10 chiffres, commence par 0 ou 1, sans points ni espaces. "
        "Par exemple : 0403019261",
        hint_en="Belgian enterprise number: 10 digits starting with 0 or 1, without dots or "
        "spaces. For example: 0403019261",
        is_identifier=True,
        aliases=("Ondernemingsnummer", "KBO-nummer", "Numéro BCE", "Enterprise number"),
    ),
    _column(
        "vat_number",
        required=False,
        nl="BTW",
        fr="TVA",
        en="VAT",
        hint_nl="Btw-nummer met landcode, zonder punten of spaties. Bijvoorbeeld: BE0403019261",
        hint_fr="Numéro de TVA avec le code pays, sans points ni espaces. "
        "Par exemple : BE0403019261",
        hint_en="VAT number with its country prefix, without dots or spaces. "
        "For example: BE0403019261",
        is_identifier=True,
        aliases=("BTW-nummer", "Btw-nr", "Numéro de TVA", "N° TVA", "VAT number"),
    ),
    _column(
        "external_reference",
        required=False,
        nl="Externe referentie",
        fr="Référence externe",
        en="External reference",
        hint_nl="Je eigen code voor deze klant, bijvoorbeeld het klantnummer in je "
        "boekhoudpakket. Bijvoorbeeld: K-00123",
        hint_fr="Votre propre code pour ce client, par exemple son numéro dans votre logiciel "
        "comptable. Par exemple : C-00123",
        hint_en="Your own code for this client, e.g. its number in your accounting software. "
        "For example: C-00123",
        is_identifier=True,
        aliases=("Referentie", "Référence", "Reference"),
    ),
    _column(
        "iban",
        required=False,
        nl="IBAN",
        fr="IBAN",
        en="IBAN",
        hint_nl="Rekeningnummer in IBAN-vorm; spaties mogen. Bijvoorbeeld: BE71 0961 2345 6769",
        hint_fr="Numéro de compte au format IBAN ; les espaces sont permis. "
        "Par exemple : BE71 0961 2345 6769",
        hint_en="Account number as an IBAN; spaces are allowed. For example: BE71 0961 2345 6769",
        aliases=("Rekeningnummer", "Numéro de compte", "Bank account"),
    ),
    _column(
        "street",
        required=False,
        nl="Straat",
        fr="Rue",
        en="Street",
        hint_nl="Alleen de straatnaam; nummer en bus in hun eigen kolom. Bijvoorbeeld: Kerkstraat",
        hint_fr="Le nom de la rue seul ; numéro et boîte dans leur propre colonne. "
        "Par exemple : Rue de la Loi",
        hint_en="The street name only; number and box go in their own columns. "
        "For example: Kerkstraat",
        aliases=("Straatnaam", "Street name"),
    ),
    _column(
        "house_number",
        required=False,
        nl="Nummer",
        fr="Numéro",
        en="Number",
        hint_nl="Huisnummer. Bijvoorbeeld: 12A",
        hint_fr="Numéro de la maison. Par exemple : 12A",
        hint_en="House number. For example: 12A",
        aliases=("Huisnummer", "House number"),
    ),
    _column(
        "box",
        required=False,
        nl="Postbus",
        fr="Boîte",
        en="Box",
        hint_nl="Busnummer, als het adres er een heeft. Bijvoorbeeld: 3",
        hint_fr="Numéro de boîte, si l'adresse en a un. Par exemple : 3",
        hint_en="Box number, if the address has one. For example: 3",
        aliases=("Bus", "Busnummer", "Box number"),
    ),
    _column(
        "postal_code",
        required=False,
        nl="Postcode",
        fr="Code postal",
        en="Postal code",
        hint_nl="Bijvoorbeeld: 9000",
        hint_fr="Par exemple : 1000",
        hint_en="For example: 9000",
        aliases=("Postnummer", "Zip code"),
    ),
    _column(
        "city",
        required=False,
        nl="Gemeente/stad",
        fr="Commune/ville",
        en="Municipality/city",
        hint_nl="Bijvoorbeeld: Gent",
        hint_fr="Par exemple : Namur",
        hint_en="For example: Ghent",
        aliases=(
            "Gemeente",
            "Stad",
            "Plaats",
            "Commune",
            "Ville",
            "Localité",
            "City",
            "Municipality",
            "Town",
        ),
    ),
    _column(
        "peppol_mandate",
        required=False,
        nl="Mandaat",
        fr="Mandat",
        en="Mandate",
        hint_nl="Heeft de klant u een Peppol-mandaat gegeven? Ja of Nee; leeg is Nee. "
        "Bijvoorbeeld: Ja",
        hint_fr="Le client vous a-t-il donné un mandat Peppol ? Oui ou Non ; vide vaut Non. "
        "Par exemple : Oui",
        hint_en="Has the client given you a Peppol mandate? Yes or No; empty means No. "
        "For example: Yes",
        aliases=("Peppol-mandaat", "Mandat Peppol", "Peppol mandate"),
    ),
    _column(
        "template",
        required=False,
        nl="Sjabloon",
        fr="Modèle",
        en="Template",
        hint_nl="Naam van een sjabloon van je kantoor, zoals in Partner Space. "
        "Bijvoorbeeld: Standaard",
        hint_fr="Nom d'un modèle de votre cabinet, tel qu'il figure dans Partner Space. "
        "Par exemple : Standard",
        hint_en="Name of one of your firm's templates, as in Partner Space. For example: Standard",
    ),
)

KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS)
REQUIRED_KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS if column.required)
COLUMN_BY_KEY: Mapping[str, Column] = MappingProxyType({column.key: column for column in COLUMNS})


def _language(language: str) -> str:
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else REFERENCE_LANGUAGE


def normalize_header(text: object) -> str:
    """The comparison form of a header: letters and digits only, case-folded, accents
    removed. Spaces (including no-break spaces), the trailing ``*``, punctuation and
    underscores do not count: "Juridische naam *", "JURIDISCHE  NAAM" and "juridische_naam"
    are the same header."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for text in (column.key, *column.labels.values(), *column.aliases):
            normalized = normalize_header(text)
            if lookup.setdefault(normalized, column.key) != column.key:
                raise ValueError(f"header {text!r} would mean two columns")  # pragma: no cover
    return lookup


_LOOKUP: Mapping[str, str] = MappingProxyType(_lookup())


# The last column of the error report (report.py), with each row's messages. Plain data like
# the other headers. Uploading the corrected report again must not call it unknown.
REPORT_MESSAGES_LABEL: Mapping[str, str] = MappingProxyType(
    {"nl": "Meldingen", "fr": "Problèmes", "en": "Problems"}
)
_IGNORED = frozenset(normalize_header(text) for text in REPORT_MESSAGES_LABEL.values())


def header_ignored(text: object) -> bool:
    """Whether a header is the error report's messages column: read past, said nothing of."""
    return text is not None and normalize_header(text) in _IGNORED


def header_key(text: object) -> str | None:
    """The key of the column whose header ``text`` is, in Dutch, French or English, or
    one of a few common aliases, or the key itself; ``None`` when not recognised.

    Case, accents, spaces (also no-break spaces), punctuation and the ``*`` that marks a
    required column are ignored."""
    if text is None:
        return None
    return _LOOKUP.get(normalize_header(text))


def headers_for(language: str) -> list[str]:
    """The headers of all columns, in order, in ``language`` ("nl", "fr" or "en"; a
    locale such as "fr-BE" counts as "fr"; any other language gets the Dutch headers)."""
    code = _language(language)
    return [column.labels[code] for column in COLUMNS]
