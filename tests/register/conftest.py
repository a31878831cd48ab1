"""A small register in the exact KBO Open Data format: a full extract and two updates.

The full extract (number 140, snapshot 04-10-2025) holds:
- PEETERS 0403.019.261, a BV with a Dutch legal name, an abbreviation and a commercial name
  with quotes and commas in it, a seat in Leuven and three contacts;
- DUPONT 0417.123.457, a French SA, renamed by the first update;
- MULLER 0888.111.115, a German-speaking company (names in German and French) in Eupen;
- JANSSENS 0777.777.771, a natural person: no legal form, no seat address;
- LUX 0555.555.523, a foreign entity whose seat is in Luxembourg;
- NIEUW 1000.000.021, a 1-series number;
- GONE 0654.321.022, struck off (deleted) by the first update;
- MOVER 0470.000.038, whose seat moves in the second update;
and rows of an establishment (9.999.999.999) that the register leaves out.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from partnerspace.register import tables
from partnerspace.register.selectors import codes_forget
from tests.register.kbo_files import dotted, write_full, write_update

PEETERS = "0403019261"
DUPONT = "0417123457"
MULLER = "0888111115"
JANSSENS = "0777777771"
LUX = "0555555523"
NIEUW = "1000000021"
GONE = "0654321022"
MOVER = "0470000038"
ESTABLISHMENT = "2.123.456.789"

PEETERS_COMMERCIAL = 'Brasserie "De Kroon", Peeters & Co'


def make_mover(membership):
    """Firm's client MOVER with the seat the full extract gives it (Wetstraat 16, Brussel)."""
    from tests.factories import make_client

    return make_client(
        membership,
        "Verhuizers Peeters",
        company_number=MOVER,
        street="Wetstraat",
        house_number="16",
        postal_code="1000",
        city="Brussel",
    )


def _address(
    number, *, zipcode, nl, fr, street_nl, street_fr, house, box="", country=("", ""), kind="REGO"
):
    return (
        dotted(number) if "." not in number else number,
        kind,
        country[0],
        country[1],
        zipcode,
        nl,
        fr,
        street_nl,
        street_fr,
        house,
        box,
        "",
        "",
    )


def full_tables():
    d = dotted
    return {
        "enterprise": [
            (d(PEETERS), "AC", "000", "2", "610", "", "01-02-1998"),
            (d(DUPONT), "AC", "000", "2", "014", "", "15-06-1975"),
            (d(MULLER), "AC", "000", "2", "610", "", "03-03-2005"),
            (d(JANSSENS), "AC", "000", "1", "", "", "01-09-2010"),
            (d(LUX), "AC", "000", "2", "030", "", "12-12-2012"),
            (d(NIEUW), "AC", "000", "2", "610", "", "02-01-2024"),
            (d(GONE), "AC", "000", "2", "610", "", "05-05-2001"),
            (d(MOVER), "AC", "000", "2", "014", "", "07-07-1999"),
        ],
        "establishment": [(ESTABLISHMENT, "01-02-1998", d(PEETERS))],
        "denomination": [
            (d(PEETERS), "2", "001", "Bakkerij Peeters"),
            (d(PEETERS), "2", "002", "BP"),
            (d(PEETERS), "2", "003", PEETERS_COMMERCIAL),
            (ESTABLISHMENT, "2", "003", "Winkel Peeters Kessel-Lo"),
            (d(DUPONT), "1", "001", "Boulangerie Dupont"),
            (d(MULLER), "3", "001", "Müller Bäckerei"),
            (d(MULLER), "1", "001", "Boulangerie Müller"),
            (d(JANSSENS), "0", "001", "Janssens, Jan"),
            (d(LUX), "1", "001", "Société Générale Luxembourgeoise"),
            (d(NIEUW), "2", "001", "Nieuwe Start"),
            (d(GONE), "2", "001", "Verdwenen Bakkerij"),
            (d(MOVER), "2", "001", "Verhuizers Peeters"),
        ],
        "address": [
            _address(
                PEETERS,
                zipcode="3000",
                nl="Leuven",
                fr="Louvain",
                street_nl="Bondgenotenlaan",
                street_fr="Boulevard des Alliés",
                house="12",
                box="3",
            ),
            _address(
                ESTABLISHMENT,
                kind="BAET",
                zipcode="3010",
                nl="Kessel-Lo",
                fr="Kessel-Lo",
                street_nl="Diestsesteenweg",
                street_fr="Diestsesteenweg",
                house="1",
            ),
            _address(
                DUPONT,
                zipcode="5000",
                nl="Namen",
                fr="Namur",
                street_nl="Rue de Fer",
                street_fr="Rue de Fer",
                house="7",
            ),
            _address(
                MULLER,
                zipcode="4700",
                nl="Eupen",
                fr="Eupen",
                street_nl="Aachener Straße",
                street_fr="Aachener Straße",
                house="5",
            ),
            _address(
                LUX,
                zipcode="L-1115",
                nl="Luxemburg",
                fr="Luxembourg",
                street_nl="Boulevard Royal",
                street_fr="Boulevard Royal",
                house="2",
                country=("Luxemburg", "Luxembourg"),
            ),
            _address(
                NIEUW,
                zipcode="9000",
                nl="Gent",
                fr="Gand",
                street_nl="Veldstraat",
                street_fr="Veldstraat",
                house="1",
            ),
            _address(
                GONE,
                zipcode="2000",
                nl="Antwerpen",
                fr="Anvers",
                street_nl="Meir",
                street_fr="Meir",
                house="1",
            ),
            _address(
                MOVER,
                zipcode="1000",
                nl="Brussel",
                fr="Bruxelles",
                street_nl="Wetstraat",
                street_fr="Rue de la Loi",
                house="16",
            ),
        ],
        "contact": [
            (d(PEETERS), "ENT", "TEL", "016 12 34 56"),
            (d(PEETERS), "ENT", "EMAIL", "info@bakkerij-peeters.example"),
            (d(PEETERS), "ENT", "WEB", "www.bakkerij-peeters.example"),
            (ESTABLISHMENT, "EST", "TEL", "016 65 43 21"),
        ],
        "activity": [(d(PEETERS), "001", "2008", "10711", "MAIN")],
    }


UPDATE_1 = {
    "deletes": {
        "enterprise": [dotted(GONE)],
        "denomination": [dotted(DUPONT), dotted(GONE)],
        "address": [dotted(GONE)],
    },
    "inserts": {
        "denomination": [
            (dotted(DUPONT), "1", "001", "Boulangerie Dupont & Fils"),
            (dotted(DUPONT), "2", "001", "Bakkerij Dupont & Zonen"),
        ],
    },
}
UPDATE_2 = {
    "deletes": {"address": [dotted(MOVER)]},
    "inserts": {
        "address": [
            _address(
                MOVER,
                zipcode="8000",
                nl="Brugge",
                fr="Bruges",
                street_nl="Markt",
                street_fr="Markt",
                house="1",
            ),
        ],
    },
}


@pytest.fixture(autouse=True)
def _fresh_code_cache():
    codes_forget()
    yield
    codes_forget()


def full_extract(directory: Path) -> Path:
    """The full extract of `full_tables()`, written in `directory`."""
    return write_full(
        directory / "KboOpenData_0140_2025_10_Full.zip",
        number=140,
        snapshot="04-10-2025",
        tables=full_tables(),
    )


@contextmanager
def full_register(directory: Path) -> Iterator[None]:
    """The register loaded from the full extract, for the tests of other apps: the cached
    codes forgotten before and after, as the fixture below does for the register's own."""
    codes_forget()
    call_command("kbo_load", str(full_extract(directory)))
    try:
        yield
    finally:
        codes_forget()


@pytest.fixture
def committed_register(transactional_db):
    yield
    # The register's tables are not models: the flush after a transactional test leaves them.
    with connection.cursor() as cursor:
        for name in tables.TABLES:
            cursor.execute(f"DELETE FROM {tables.LIVE}{name}")
        if connection.vendor == "sqlite":
            name_fts = f"{tables.LIVE}name_fts"
            cursor.execute(f"INSERT INTO {name_fts} ({name_fts}) VALUES ('delete-all')")


@pytest.fixture
def full_zip(tmp_path):
    return full_extract(tmp_path)


@pytest.fixture
def update_1(tmp_path):
    return write_update(
        tmp_path / "KboOpenData_0141_2025_10_Update.zip",
        number=141,
        snapshot="05-10-2025",
        **UPDATE_1,
    )


@pytest.fixture
def update_2(tmp_path):
    return write_update(
        tmp_path / "KboOpenData_0142_2025_10_Update.zip",
        number=142,
        snapshot="06-10-2025",
        **UPDATE_2,
    )
