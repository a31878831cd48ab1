"""Finding clients fast: a folded text column, indexed by the database's own trigram index.

SQLite keeps an FTS5 table with the trigram tokenizer, filled by triggers (migration 0002);
PostgreSQL keeps a pg_trgm GIN index. Both answer `LIKE '%term%'` from the index, so a
search over 100,000 clients reads only the rows that contain every term.
"""

import re
import unicodedata

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from partnerspace.identifiers.rules import digits_of

# A query made of digits and separators, with or without a BE prefix, is one number.
_NUMBER_QUERY = re.compile(r"^(?:be)?[\d\s./\-]{4,}$", re.IGNORECASE)
# Trigram indexes cannot serve a term shorter than three characters.
MIN_INDEXED_TERM = 3


def fold(text: str) -> str:
    """Lower case, accents removed: "Bêta BV" and "beta bv" are the same to a search."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def client_search_fields(client, contacts) -> dict[str, str]:
    """The derived search_text and sort_name of a client and its contacts."""
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
    return {
        "search_text": fold(" ".join(part for part in parts if part)),
        "sort_name": fold(client.legal_name)[:200],
    }


def search_terms(query: str) -> list[str]:
    """The folded terms of what was typed; an identifier in any spelling becomes its digits."""
    query = query.strip()
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
