"""Client lists as accounting packages and spreadsheets export them, under their own headers
(not the template's): for the column mapping's tests, the pages', the API's, the command's
and the browser's."""

from tests.imports.builders import csv_bytes, xlsx


def enterprise_number(n: int) -> str:
    """A valid Belgian enterprise number, a different one for each n."""
    first_eight = 4_000_000 + 13 * n
    return f"{first_eight:08d}{97 - first_eight % 97:02d}"


# A list kept in Excel, in Dutch, and the same in French.
DUTCH = [
    "Naam", "Adres", "Postcode", "Gemeente", "Land", "BTW-nummer", "Ondernemingsnummer",
    "E-mail", "Code", "Taal", "Contactpersoon",
]  # fmt: skip
FRENCH = [
    "Nom", "Adresse", "Code postal", "Localité", "Pays", "Numéro de TVA",
    "Numéro d'entreprise", "Courriel", "Code", "Langue", "Personne de contact",
]  # fmt: skip
# What each of those columns holds, in the same order.
FIELDS = [
    "legal_name", "address", "postal_code", "city", "country", "vat_number", "company_number",
    "contact_email", "external_reference", "contact_locale", "contact_name",
]  # fmt: skip

# An Exact Online–style export of relations ("Relaties"): a code, the name, one address line,
# a phone number and a website the import has no field for.
EXACT = [
    "Relatiecode", "Naam", "Adresregel 1", "Postcode", "Plaats", "Land", "Telefoonnummer",
    "E-mailadres", "Btw-nummer", "Taal", "Contactpersoon", "Website",
]  # fmt: skip
EXACT_FIELDS = {
    "Relatiecode": "external_reference",
    "Naam": "legal_name",
    "Adresregel 1": "address",
    "Postcode": "postal_code",
    "Plaats": "city",
    "Land": "country",
    "Telefoonnummer": "",
    "E-mailadres": "contact_email",
    "Btw-nummer": "vat_number",
    "Taal": "contact_locale",
    "Contactpersoon": "contact_name",
    "Website": "",
}


def dutch_row(n: int) -> list[str]:
    number = enterprise_number(n)
    return [
        f"Bakkerij {n} BV", f"Kerkstraat {n} bus 3", "9000", "Gent", "België", f"BE{number}",
        number, f"an{n}@bakkerij{n}.example", f"K{n:04d}", "nl", f"An Peeters{n}",
    ]  # fmt: skip


def french_row(n: int) -> list[str]:
    number = enterprise_number(n)
    return [
        f"Boulangerie {n} SRL", f"Rue de la Loi {n} bte 2", "5000", "Namur", "Belgique",
        f"BE {number[:4]}.{number[4:7]}.{number[7:]}", number, f"marie{n}@boulangerie{n}.example",
        f"C{n:04d}", "fr", f"DUBOIS{n} Marie",
    ]  # fmt: skip


def exact_row(n: int) -> list[str]:
    number = enterprise_number(n)
    return [
        f"{1000 + n}", f"Schrijnwerkerij {n} BV", f"Stationsstraat {n}/{n + 1}", "2000",
        "Antwerpen", "BE", "+32 3 123 45 67", f"info{n}@schrijnwerkerij{n}.example",
        f"BE{number}", "NL", f"Jan Van den Broeck{n}", f"https://schrijnwerkerij{n}.example",
    ]  # fmt: skip


def dutch_xlsx(count: int = 2) -> bytes:
    return xlsx([DUTCH, *[dutch_row(n) for n in range(1, count + 1)]])


def french_csv(count: int = 2) -> bytes:
    return csv_bytes([FRENCH, *[french_row(n) for n in range(1, count + 1)]])


def exact_csv(count: int = 3) -> bytes:
    """As Exact Online writes a list of relations: semicolons, a title line above."""
    rows = [["Relaties"], [], EXACT, *[exact_row(n) for n in range(1, count + 1)]]
    return csv_bytes(rows)
