"""KBO Open Data ZIPs written as the cookbook (R018.00) describes them, for the tests.

Values in double quotes (a quote inside doubled), comma-separated, an empty value as nothing
between the commas, dates dd-mm-yyyy, enterprise numbers 9999.999.999 and establishment
numbers 9.999.999.999; a full extract has meta.csv, code.csv and one file per table, an update
`<name>_delete.csv` and `<name>_insert.csv` for each.
"""

import zipfile
from pathlib import Path

HEADERS = {
    "meta": ("Variable", "Value"),
    "code": ("Category", "Code", "Language", "Description"),
    "enterprise": (
        "EnterpriseNumber",
        "Status",
        "JuridicalSituation",
        "TypeOfEnterprise",
        "JuridicalForm",
        "JuridicalFormCAC",
        "StartDate",
    ),
    "establishment": ("EstablishmentNumber", "StartDate", "EnterpriseNumber"),
    "denomination": ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
    "address": (
        "EntityNumber",
        "TypeOfAddress",
        "CountryNL",
        "CountryFR",
        "Zipcode",
        "MunicipalityNL",
        "MunicipalityFR",
        "StreetNL",
        "StreetFR",
        "HouseNumber",
        "Box",
        "ExtraAddressInfo",
        "DateStrikingOff",
    ),
    "contact": ("EntityNumber", "EntityContact", "ContactType", "Value"),
    "activity": ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
    "branch": ("Id", "StartDate", "EnterpriseNumber"),
}
DELETE_HEADERS = {
    "enterprise": ("EnterpriseNumber",),
    "establishment": ("EstablishmentNumber",),
    "denomination": ("EntityNumber",),
    "address": ("EntityNumber",),
    "contact": ("EntityNumber",),
    "activity": ("EntityNumber",),
    "branch": ("Id",),
}
DATA = ("enterprise", "establishment", "denomination", "address", "contact", "activity", "branch")


def line(values) -> str:
    return ",".join(
        '"' + str(v).replace('"', '""') + '"' if v not in (None, "") else "" for v in values
    )


def csv_text(header, rows) -> str:
    return "".join(line(row) + "\r\n" for row in [header, *rows])


def dotted(number: str) -> str:
    """0403019261 -> 0403.019.261"""
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def valid_number(first8: str) -> str:
    """The 10-digit enterprise number with these first 8 digits and its mod-97 check."""
    return first8 + f"{97 - int(first8) % 97:02d}"


CODES = [
    ("Language", "0", "Onbekend", "Inconnu"),
    ("Language", "1", "Frans", "Français"),
    ("Language", "2", "Nederlands", "Néerlandais"),
    ("Language", "3", "Duits", "Allemand"),
    ("Language", "4", "Engels", "Anglais"),
    ("TypeOfEnterprise", "1", "Natuurlijk persoon", "Personne physique"),
    ("TypeOfEnterprise", "2", "Rechtspersoon", "Personne morale"),
    ("JuridicalSituation", "000", "Normale toestand", "Situation normale"),
    ("JuridicalSituation", "012", "Opening faillissement", "Ouverture de faillite"),
    ("JuridicalForm", "014", "Naamloze vennootschap", "Société anonyme"),
    ("JuridicalForm", "610", "Besloten vennootschap", "Société à responsabilité limitée"),
    ("JuridicalForm", "030", "Buitenlandse entiteit", "Entité étrangère"),
    ("TypeOfAddress", "REGO", "Maatschappelijke zetel", "Siège social"),
    ("TypeOfAddress", "BAET", "Vestigingseenheid", "Unité d'établissement"),
    ("TypeOfDenomination", "001", "Naam", "Dénomination"),
    ("TypeOfDenomination", "002", "Afkorting", "Abréviation"),
    ("TypeOfDenomination", "003", "Commerciële naam", "Dénomination commerciale"),
    ("ContactType", "TEL", "Telefoonnummer", "Numéro de téléphone"),
    ("ContactType", "EMAIL", "E-mail", "E-mail"),
    ("ContactType", "WEB", "Webadres", "Adresse web"),
    ("EntityContact", "ENT", "Onderneming", "Entreprise"),
    ("EntityContact", "EST", "Vestigingseenheid", "Unité d'établissement"),
    (
        "Nace2008",
        "10711",
        "Ambachtelijke vervaardiging van brood",
        "Fabrication artisanale de pain",
    ),
]


def code_rows(codes=CODES):
    rows = []
    for category, code, nl, fr in codes:
        rows.append((category, code, "NL", nl))
        rows.append((category, code, "FR", fr))
    rows.append(("JuridicalSituation", "000", "DE", "Normaler Zustand"))
    return rows


def meta_rows(*, kind: str, number: int, snapshot: str) -> list:
    return [
        ("SnapshotDate", snapshot),
        ("ExtractTimestamp", f"{snapshot} 07:41:38"),
        ("ExtractType", kind),
        ("ExtractNumber", str(number)),
        ("Version", "1.0.0"),
    ]


def write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return path


def write_full(path: Path, *, number: int, snapshot: str, tables: dict[str, list], codes=None):
    files = {
        "meta.csv": csv_text(
            HEADERS["meta"], meta_rows(kind="full", number=number, snapshot=snapshot)
        ),
        "code.csv": csv_text(HEADERS["code"], code_rows(codes or CODES)),
    }
    for name in DATA:
        files[f"{name}.csv"] = csv_text(HEADERS[name], tables.get(name, []))
    return write_zip(path, files)


def write_update(
    path: Path, *, number: int, snapshot: str, deletes: dict[str, list], inserts: dict[str, list]
):
    files = {
        "meta.csv": csv_text(
            HEADERS["meta"], meta_rows(kind="update", number=number, snapshot=snapshot)
        ),
        "code.csv": csv_text(HEADERS["code"], code_rows()),
    }
    for name in DATA:
        files[f"{name}_delete.csv"] = csv_text(
            DELETE_HEADERS[name], [(n,) for n in deletes.get(name, [])]
        )
        files[f"{name}_insert.csv"] = csv_text(HEADERS[name], inserts.get(name, []))
    return write_zip(path, files)
