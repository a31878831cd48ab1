"""Finding clients fast: a folded text column, indexed by the database's own trigram index.

SQLite keeps an FTS5 table with the trigram tokenizer, filled by triggers (migration 0002);
PostgreSQL keeps a pg_trgm GIN index. Both answer `LIKE '%term%'` from the index, so a
search over 100,000 clients reads only the rows that contain every term.
"""

import re
import unicodedata
from contextlib import contextmanager

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from partnerspace.core.text import CONTROL
from partnerspace.identifiers.rules import digits_of

# A query made of digits and separators, with or without a BE prefix, is one number.
_NUMBER_QUERY = re.compile(r"^(?:be)?[\d\s./\-]{4,}$", re.IGNORECASE)
# Trigram indexes cannot serve a term shorter than three characters.
MIN_INDEXED_TERM = 3


def _accent_table() -> dict[int, str]:
    """Latin letters with accents to their bare letters, for the common case in one pass."""
    table = {}
    for code in range(0xC0, 0x250):
        bare = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if bare != chr(code) and bare.isascii():
            table[code] = bare
    return table


_ACCENTS = _accent_table()
# str.translate looks every character up, ASCII too; a text holds only a few accented
# letters, so only those are looked up (five times faster on an import's names).
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _bare(match: re.Match) -> str:
    char = match.group()
    return _ACCENTS.get(ord(char), char)


def fold(text: str) -> str:
    """Lower case, accents removed: "Bêta BV" and "beta bv" are the same to a search."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    folded = _NOT_ASCII.sub(_bare, folded)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


IDENTIFIER_FIELDS = ("company_number", "vat_number", "external_reference")


def identity_key(client, primary_email: str | None) -> str | None:
    """How a client without any number is told apart: its folded name and the address of
    its primary contact, one per firm (the database's client_unique_identity decides, also
    between two imports or requests at once). None for a client with an enterprise number,
    a VAT number or an external reference: those identify it, and have their own
    constraints."""
    if not primary_email or any(getattr(client, name) for name in IDENTIFIER_FIELDS):
        return None
    return f"{fold(client.legal_name)[:200]}\n{primary_email}"


def client_search_fields(client, contacts) -> dict[str, str | None]:
    """The derived search_text and sort_name of a client and its contacts, and its
    identity_key (from its primary contact: the contact with is_primary)."""
    contacts = list(contacts)
    parts = [
        client.legal_name,
        client.company_number or "",
        client.vat_number or "",
        client.external_reference or "",
        client.postal_code,
        client.city,
    ]
    for contact in contacts:
        parts += [contact.first_name, contact.last_name, contact.email]
    primary = next((c for c in contacts if getattr(c, "is_primary", False)), None)
    return {
        "search_text": fold(" ".join(part for part in parts if part)),
        "sort_name": fold(client.legal_name)[:200],
        "identity_key": identity_key(client, primary.email if primary else None),
    }


@contextmanager
def search_index_deferred(first_id: int, last_id: int):
    """Insert clients with ids first_id..last_id inside this block; index them in one go after.

    Must run inside the caller's transaction, which must own every id in that range (the
    import reserves them). PostgreSQL's index takes rows as they come: nothing to defer.
    """
    if connection.vendor != "sqlite":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("search_index_deferred needs the caller's transaction")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO clients_client_fts_deferral (id) VALUES (1)")
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO clients_client_fts(rowid, search_text) SELECT id, search_text "
            "FROM clients_client WHERE id BETWEEN %s AND %s",
            [first_id, last_id],
        )
        cursor.execute("DELETE FROM clients_client_fts_deferral")


# The triggers that keep SQLite's search index in step with clients_client. SQLite drops a
# table's triggers whenever a migration rebuilds the table (as it does to alter a column),
# so they are checked and put back after every migrate (see ClientsConfig.ready).
SQLITE_TRIGGERS = {
    "clients_client_fts_insert": (
        "CREATE TRIGGER clients_client_fts_insert AFTER INSERT ON clients_client "
        "WHEN NOT EXISTS (SELECT 1 FROM clients_client_fts_deferral) BEGIN "
        "INSERT INTO clients_client_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    "clients_client_fts_delete": (
        "CREATE TRIGGER clients_client_fts_delete AFTER DELETE ON clients_client BEGIN "
        "INSERT INTO clients_client_fts(clients_client_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    ),
    "clients_client_fts_update": (
        "CREATE TRIGGER clients_client_fts_update AFTER UPDATE OF search_text ON clients_client "
        "BEGIN INSERT INTO clients_client_fts(clients_client_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO clients_client_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
}


def search_index_repair(connection) -> list[str]:
    """Put back the SQLite search triggers a table rebuild removed, and re-index; the names
    of the triggers restored (none, normally)."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'clients_client_fts'"
        )
        if cursor.fetchone() is None:  # migrations not this far yet
            return []
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'clients_client'"
        )
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in SQLITE_TRIGGERS if name not in present]
        for name in missing:
            cursor.execute(SQLITE_TRIGGERS[name])
        if missing:
            cursor.execute("INSERT INTO clients_client_fts(clients_client_fts) VALUES ('rebuild')")
    return missing


def search_terms(query: str) -> list[str]:
    """The folded terms of what was typed; an identifier in any spelling becomes its digits.
    A control character is read as a space (core.text)."""
    query = CONTROL.sub(" ", query).strip()
    if not query:
        return []
    if _NUMBER_QUERY.match(query):
        digits = digits_of(query)
        # "BE 403.019.261": Excel-style 9-digit numbers are found inside the 10-digit ones.
        return [digits] if digits else []
    return [term for term in fold(query).split() if term][:8]


def search_filter(queryset: QuerySet, query: str) -> QuerySet:
    terms = search_terms(query)
    if not terms:
        return queryset
    long_terms = [term for term in terms if len(term) >= MIN_INDEXED_TERM]
    if not long_terms:
        # Only one- and two-letter terms: names that start with them (the name index serves it).
        return queryset.filter(sort_name__startswith=" ".join(terms))
    queryset = _contains_all(queryset, long_terms)
    for term in terms:
        if len(term) < MIN_INDEXED_TERM:
            # Checked only on the rows the indexed terms already found.
            queryset = queryset.filter(search_text__contains=term)
    return queryset


def _contains_all(queryset: QuerySet, terms: list[str]) -> QuerySet:
    if connection.vendor == "sqlite":
        # FTS5 hands only a plain two-argument LIKE to its trigram index (an ESCAPE clause
        # turns it into a full scan), so `%` and `_` typed by the user act as wildcards
        # there; the exact check below then keeps only the rows that really contain them.
        where = " AND ".join("search_text LIKE %s" for _ in terms)
        params = [f"%{term}%" for term in terms]
        queryset = queryset.filter(
            id__in=RawSQL(f"SELECT rowid FROM clients_client_fts WHERE {where}", params)  # noqa: S608, S611
        )
        terms = [term for term in terms if "%" in term or "_" in term]
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    return queryset
