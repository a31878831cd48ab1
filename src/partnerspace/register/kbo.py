"""Reading the KBO Open Data files (Cookbook KBO Open Data, version R018.00).

A full extract is a ZIP of CSV files (comma-separated, values in double quotes, dates
dd-mm-yyyy, enterprise numbers 9999.999.999, establishment numbers 9.999.999.999, an empty
value as nothing between the commas): meta.csv, code.csv, enterprise.csv, denomination.csv,
address.csv, contact.csv, and establishment.csv, branch.csv and activity.csv that the register
does not keep. An update holds the same meta.csv and the whole code.csv, and for each other
file `<name>_delete.csv` (the entity numbers whose rows go first) and `<name>_insert.csv` (all
current rows of those entities).

This module only reads: every file is streamed from the ZIP member, row by row, so memory
does not grow with the file. It keeps the rows of enterprises (an establishment's names,
addresses and contacts are left out) and turns each into the tuple the tables hold.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from partnerspace.clients.search import fold

# The columns of each file, as the cookbook names them and in its order: a file whose header
# differs is not one we know how to read.
COLUMNS: dict[str, tuple[str, ...]] = {
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
}
# The files the register keeps, in the order they are loaded.
DATA_FILES = ("enterprise", "denomination", "address", "contact")
# The delete file of an update names the entities by the file's first column.
DELETE_COLUMNS = {name: (COLUMNS[name][0],) for name in DATA_FILES}

# The code tables the register answers in words; the others (NACE codes, activity groups)
# are left out of the copy.
CODE_CATEGORIES = frozenset(
    {
        "ContactType",
        "EntityContact",
        "JuridicalForm",
        "JuridicalSituation",
        "Language",
        "Status",
        "TypeOfAddress",
        "TypeOfDenomination",
        "TypeOfEnterprise",
    }
)

FULL = "full"
UPDATE = "update"

# Names are ranked without a sort: a name's id puts the names whose words say most of them
# first (fewer words), and legal names before commercial names and abbreviations. A search
# then reads the index in id order and stops at the first matches.
NAME_ID_SHIFT = 32
MAX_RANKED_WORDS = 15
_TYPE_RANK = {"001": 0, "003": 1, "002": 2}
_WORD = re.compile(r"[^\W_]+")
# A word longer than this is cut, the same in a name and in a query: PostgreSQL takes a
# lexeme of at most 2,047 bytes, and one character may take four (a long run of "㍿" unfolds
# to far more).
MAX_WORD = 100


# The largest ExtractNumber the register records (RegisterExtract.extract_number, a positive
# integer column on every database).
MAX_EXTRACT_NUMBER = 2_147_483_647


class ExtractError(Exception):
    """The file is not a KBO Open Data extract we can read: damaged, foreign, of the wrong
    kind. Nothing has been changed when it is raised."""


@dataclass(frozen=True)
class Meta:
    snapshot_date: date
    extract_timestamp: datetime | None
    extract_type: str
    extract_number: int
    version: str


def words_of(text: str) -> list[str]:
    """The search words of a name or a query: folded (any case, no accents), split on
    everything that is not a letter or a digit, each at most MAX_WORD characters."""
    folded = fold(text)
    if not text.isascii():
        # A compatibility form may bring capitals back ("™" is "TM"): fold their case too.
        folded = folded.casefold()
    words = _WORD.findall(folded)
    if len(folded) > MAX_WORD:
        return [word[:MAX_WORD] for word in words]
    return words


def is_enterprise_number(value: str) -> bool:
    """9999.999.999: an enterprise; 9.999.999.999 is an establishment."""
    return len(value) == 12 and value[4] == "." and value[8] == "."


def _date(text: str) -> str | None:
    """dd-mm-yyyy to ISO yyyy-mm-dd; empty to None."""
    if not text:
        return None
    if len(text) != 10 or text[2] != "-" or text[5] != "-":
        raise ValueError(f"not a date in dd-mm-yyyy: {text!r}")
    return f"{text[6:]}-{text[3:5]}-{text[:2]}"


def parse_date(text: str) -> date:
    try:
        iso = _date(text.strip())
        if iso is None:
            raise ValueError("an empty date")
        return date.fromisoformat(iso)
    except ValueError as error:
        raise ExtractError(f"meta.csv: not a date: {text!r}") from error


def _timestamp(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    for pattern in ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


class _CountingReader(io.RawIOBase):
    """A ZIP member's bytes, telling `advance` how many it has read (the progress bar)."""

    def __init__(self, raw, advance: Callable[[int], None]):
        self._raw = raw
        self._advance = advance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        if size:
            self._advance(size)
        return size


class Extract:
    """An open KBO Open Data ZIP: its meta.csv read and its files checked, not yet its rows.

    `Extract(path, kind=FULL)` raises ExtractError for a file that is not a ZIP, a ZIP
    without the files of that kind, or a meta.csv that says another kind.
    """

    def __init__(self, path, *, kind: str):
        self.kind = kind
        self.total_bytes = 0
        self.read_bytes = 0
        self.on_read: Callable[[int, int], None] | None = None
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ExtractError(f"not a readable ZIP file ({error})") from error
        self._members = {
            info.filename.rsplit("/", 1)[-1].lower(): info
            for info in self._zip.infolist()
            if not info.is_dir()
        }
        needed = ["meta.csv", "code.csv"]
        if kind == FULL:
            needed += [f"{name}.csv" for name in DATA_FILES]
        else:
            needed += [f"{name}_{part}.csv" for name in DATA_FILES for part in ("delete", "insert")]
        missing = [name for name in needed if name not in self._members]
        if missing:
            self.close()
            raise ExtractError(f"not a KBO Open Data {kind} extract: {', '.join(missing)} missing")
        try:
            self.meta = self._read_meta()
        except ExtractError:
            self.close()
            raise
        if self.meta.extract_type != kind:
            self.close()
            raise ExtractError(
                f"this is a {self.meta.extract_type or 'unknown'} extract, not a {kind} extract"
            )
        self.total_bytes = sum(self._members[name].file_size for name in needed)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Extract:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def member_size(self, member: str) -> int:
        """The unpacked size of a member the extract holds, in bytes."""
        return self._members[member].file_size

    def _advance(self, size: int) -> None:
        self.read_bytes += size
        if self.on_read is not None:
            self.on_read(self.read_bytes, self.total_bytes)

    def _open(self, info: zipfile.ZipInfo):
        """A member's bytes; ExtractError for one that zipfile cannot open: encrypted, or
        compressed by a method it does not read (Deflate64, as Windows writes large ZIPs)."""
        try:
            return self._zip.open(info)
        except (RuntimeError, NotImplementedError) as error:
            raise ExtractError(f"{info.filename}: cannot be opened ({error})") from error

    def rows(self, member: str, columns: tuple[str, ...], convert=None) -> Iterator:
        """The rows of one CSV member after its header, which must be `columns`; through
        `convert` (which unpacks each row: a row of another width is a ValueError) when given."""
        info = self._members[member]
        reader = None
        try:
            with self._open(info) as raw:
                counted = io.BufferedReader(_CountingReader(raw, self._advance), 1 << 20)
                text = io.TextIOWrapper(counted, encoding="utf-8-sig", newline="")
                reader = csv.reader(text, strict=True)
                header = next(reader, None)
                if header is None or tuple(header) != columns:
                    raise ExtractError(f"{member}: not the columns of the KBO Open Data format")
                if convert is not None:
                    yield from convert(reader)
                    return
                width = len(columns)
                for row in reader:
                    if len(row) != width:
                        raise ValueError(f"{len(row)} values, not {width}")
                    yield row
        except ValueError as error:
            line = reader.line_num if reader is not None else 0
            raise ExtractError(f"{member}, line {line}: {error}") from error
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as error:
            raise ExtractError(f"{member}: damaged ({error})") from error
        except csv.Error as error:
            raise ExtractError(f"{member}: not readable as CSV ({error})") from error

    def _read_meta(self) -> Meta:
        values = {}
        for variable, value in self.rows("meta.csv", COLUMNS["meta"]):
            values[variable.strip()] = value.strip()
        text = values.get("ExtractNumber", "")
        # isdecimal: int() would also read "1_000" and " -1".
        if not text.isdecimal() or not 0 < int(text) <= MAX_EXTRACT_NUMBER:
            raise ExtractError(f"meta.csv: no ExtractNumber the register can hold ({text!r})")
        number = int(text)
        return Meta(
            snapshot_date=parse_date(values.get("SnapshotDate", "")),
            extract_timestamp=_timestamp(values.get("ExtractTimestamp", "")),
            extract_type=values.get("ExtractType", "").lower(),
            extract_number=number,
            version=values.get("Version", ""),
        )

    # The rows as the tables hold them

    def codes(self) -> Iterator[tuple]:
        for category, code, language, description in self.rows("code.csv", COLUMNS["code"]):
            if category in CODE_CATEGORIES:
                yield (category, code, language.upper(), description)

    def names(self, part: str = "", *, sequence: Iterator[int]) -> Iterator[tuple]:
        """The rows of denomination (of a full extract, or an update's `insert` part) for the
        enterprises, as table tuples. `sequence` numbers the names."""
        member = f"denomination_{part}.csv" if part else "denomination.csv"
        return self.rows(
            member, COLUMNS["denomination"], lambda rows: _denominations(rows, sequence)
        )

    def raw_rows(self, name: str, part: str = "") -> Iterator[list[str]]:
        """The rows of enterprise, address or contact of the enterprises (not of their
        establishments) as the file has them, each a list of the file's values, for a
        database to convert (`converted`); their width is not checked here."""
        if name == "enterprise":
            return self.rows(_member(name, part), COLUMNS[name], iter)
        return self.rows(_member(name, part), COLUMNS[name], _of_enterprises)

    def raw_body(self, name: str, part: str = "") -> Iterator[bytes]:
        """The bytes of enterprise, address or contact after the header (which must be the
        file's columns), streamed in chunks, for PostgreSQL's COPY (FORMAT csv) to read."""
        member = _member(name, part)
        columns = COLUMNS[name]
        try:
            with self._open(self._members[member]) as raw:
                counted = io.BufferedReader(_CountingReader(raw, self._advance), 1 << 20)
                first = counted.readline().decode("utf-8-sig")
                header = next(csv.reader([first]), None)
                if header is None or tuple(header) != columns:
                    raise ExtractError(f"{member}: not the columns of the KBO Open Data format")
                while chunk := counted.read(1 << 20):
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as error:
            raise ExtractError(f"{member}: damaged ({error})") from error
        except csv.Error as error:
            raise ExtractError(f"{member}: not readable as CSV ({error})") from error

    def deleted_numbers(self, name: str) -> Iterator[str]:
        """The enterprise numbers whose rows of `name` an update deletes first."""
        for (number,) in self.rows(f"{name}_delete.csv", DELETE_COLUMNS[name]):
            if is_enterprise_number(number):
                yield number.replace(".", "")


def _denominations(rows: Iterator[list[str]], sequence: Iterator[int]) -> Iterator[tuple]:
    """(id, number, language, type, name, words): the id ranks the name (see NAME_ID_SHIFT)."""
    type_rank = _TYPE_RANK.get
    for number, language, kind, name in rows:
        if len(number) != 12 or number[4] != ".":
            continue  # an establishment's name
        words = words_of(name)
        rank = min(max(len(words), 1), MAX_RANKED_WORDS) * 4 + type_rank(kind, 3)
        yield (
            (rank << NAME_ID_SHIFT) | next(sequence),
            number.replace(".", ""),
            language,
            kind,
            name,
            " ".join(words),
        )


def _of_enterprises(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    for row in rows:
        number = row[0]
        if len(number) == 12 and number[4] == ".":
            yield row


def _member(name: str, part: str) -> str:
    return f"{name}_{part}.csv" if part else f"{name}.csv"


# Enterprise, address and contact go into the tables nearly as the files have them; the
# databases convert their values as the rows come in (SQL over the file's columns), so that a
# load of millions of rows need not turn each into Python values first. The same SQL serves
# both databases, fed by parameters (SQLite) or from a table the CSV was copied into
# (PostgreSQL). Names stay in Python: their search words are `words_of` (see _denominations).
CONVERTED = ("enterprise", "address", "contact")


def converted_insert(name: str, table: str, columns: tuple[str, ...]) -> str:
    """SQLite: INSERT of one row of file `name` as read (its values ?1, ?2, ...) into `table`,
    whose `columns` are in the order `converted` gives them."""
    expressions, _keep = converted(name, lambda index: f"?{index + 1}", "sqlite")
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(expressions)})"


def bad_row(member: str, error: Exception) -> ExtractError:
    """A database's refusal of a row (a value of the wrong shape, a row of another width)."""
    return ExtractError(f"{member}: a row the format does not allow ({error})")


def _sql_date(value: str, vendor: str) -> str:
    """dd-mm-yyyy to ISO yyyy-mm-dd, empty to NULL (a value of another shape is caught by
    `_sql_dates_valid`). Three slices, "yyyy" + "-mm-" + "dd", and no CASE: the cheapest
    form for both databases, evaluated for every row of a load."""
    iso = f"NULLIF(substr({value}, 7) || substr({value}, 3, 4) || substr({value}, 1, 2), '')"
    return f"CAST({iso} AS date)" if vendor == "postgresql" else iso


def _sql_dates_valid(values: list[str]) -> str:
    # LIKE's "_" is any one character: ten of them, dashes third and sixth.
    return " AND ".join(f"({value} = '' OR {value} LIKE '__-__-____')" for value in values)


def converted(name: str, column: Callable[[int], str], vendor: str) -> tuple[list[str], str]:
    """The SQL expressions of the table columns of file `name` (in the table's order) over
    the file's values (`column(i)` is the i-th) and the condition a row is kept on (a row of
    an enterprise, not an establishment).

    A date not in dd-mm-yyyy makes the number NULL, which the table refuses (NOT NULL): the
    database stops the load there, as the Python reading would."""
    value = column
    number = f"replace({value(0)}, '.', '')"
    enterprise_row = f"length({value(0)}) = 12 AND substr({value(0)}, 5, 1) = '.'"
    if name == "enterprise":
        start = value(6)
        return [
            f"CASE WHEN {_sql_dates_valid([start])} THEN {number} END",
            value(3),
            value(2),
            f"NULLIF({value(4)}, '')",
            f"NULLIF({value(5)}, '')",
            _sql_date(start, vendor),
        ], "true"
    if name == "address":
        struck_off = value(12)
        return [
            f"CASE WHEN {_sql_dates_valid([struck_off])} THEN {number} END",
            *(f"NULLIF({value(index)}, '')" for index in range(1, 12)),
            _sql_date(struck_off, vendor),
        ], enterprise_row
    if name == "contact":
        return [number, value(1), value(2), value(3)], enterprise_row
    raise ValueError(name)
