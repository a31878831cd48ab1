"""Translatable messages for the error codes and note reasons of ``rules``.

``ERROR_MESSAGES[error.code]`` explains an :class:`~.rules.IdentifierError`;
``NOTE_MESSAGES[note.reason] % {"original": note.original, "normalized": note.normalized}``
explains a :class:`~.rules.Note` (a repair the user sees as a warning).
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ERROR_MESSAGES: dict[str, Promise] = {
    "invalid_country": _(
        "Enter a country as a two-letter ISO code (e.g. BE, NL, FR) or its name in Dutch, "
        "French, German or English (e.g. België, Belgique, Belgien, Belgium)."
    ),
    "invalid_company_number": _(
        "Enter a Belgian enterprise number of 10 digits starting with 0 or 1, "
        "e.g. 0403.019.261. For a company outside Belgium, enter its registration number "
        "in at most 32 characters."
    ),
    "company_number_checksum": _(
        "This is not a valid enterprise number: its last two digits (the check digits) do "
        "not match the first eight. Check it for a typing error, e.g. in the public search "
        "of the Crossroads Bank for Enterprises (KBO/BCE)."
    ),
    "invalid_vat": _(
        "Enter a VAT number of the company's country: for Belgium BE followed by the "
        "10-digit enterprise number, e.g. BE 0403.019.261; for another EU country the "
        "number with that country's prefix (EL for Greece, XI for Northern Ireland); "
        "elsewhere at most 32 characters."
    ),
    "vat_checksum": _(
        "This is not a valid VAT number: its check digits do not match the rest of the "
        "number. Check it for a typing error, e.g. with the European Commission's VIES "
        "service."
    ),
    "vat_company_number_mismatch": _(
        "The VAT number and the enterprise number of a Belgian company must be the same "
        "number: BE followed by the enterprise number."
    ),
    "invalid_iban": _(
        "Enter a valid IBAN: the country code, two check digits and the account number, "
        "e.g. BE71 0961 2345 6769. Check it for a typing error: its check digits are "
        "wrong or its length or layout does not match the country."
    ),
    "invalid_locale": _(
        "Enter a language and region such as nl-BE, fr-BE, de-BE, en-BE or en-GB. "
        "A language alone (nl, fr, de, en) is completed with the company's country only "
        "when that combination exists."
    ),
    "invalid_email": _("Enter a valid e-mail address, e.g. name@example.be."),
    "invalid_postal_code": _(
        "Enter a Belgian postal code of 4 digits, from 1000 to 9999, e.g. 9000."
    ),
    "invalid_mandate": _(
        "Answer yes or no: Ja/Nee, Oui/Non, Ja/Nein, Yes/No, Y/N, J/N, O/N, True/False, "
        "Waar/Onwaar, Vrai/Faux or 1/0. An empty cell means no."
    ),
}

NOTE_MESSAGES: dict[str, Promise] = {
    "case_changed": _("Capitalization corrected: %(original)s became %(normalized)s."),
    "country_name": _("Country name replaced by its code: %(original)s became %(normalized)s."),
    "separators_removed": _(
        "Spaces, dots, dashes or other separators removed: %(original)s became %(normalized)s."
    ),
    "whitespace_collapsed": _("Repeated spaces removed: %(original)s became %(normalized)s."),
    "prefix_removed": _("Prefix (BE or IBAN) removed: %(original)s became %(normalized)s."),
    "prefix_added": _("Country prefix added: %(original)s became %(normalized)s."),
    "prefix_changed": _(
        "Greek VAT numbers start with EL, not GR: %(original)s became %(normalized)s."
    ),
    "leading_zero_restored": _("Leading zero restored: %(original)s became %(normalized)s."),
    "reformatted": _("Written in its standard form: %(original)s became %(normalized)s."),
    "locale_spelling": _("Language code corrected: %(original)s became %(normalized)s."),
    "locale_completed": _(
        "Region added from the company's country: %(original)s became %(normalized)s."
    ),
    "postal_code_unknown": _(
        "%(normalized)s is not a Belgian postal code in use on bpost's list. Check it for a "
        "typing error."
    ),
    "address_split": _(
        "The address %(original)s was split into street, number and box: %(normalized)s."
    ),
    "address_not_split": _(
        "No house number found in the address %(original)s: it was kept whole as the street."
    ),
    "name_split": _(
        "The name %(original)s was split into first name and last name: %(normalized)s."
    ),
    "bank_code_unknown": _(
        "The IBAN %(normalized)s is valid, but its bank code is not on the National Bank "
        "of Belgium's list of Belgian banks. Check that the account number is right."
    ),
}
