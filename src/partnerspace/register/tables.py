"""The register's tables, written once for both databases: the migration makes the live ones,
a load makes the same tables under another prefix, fills them, indexes them and swaps them in.

The tables are not Django models: a full load fills millions of rows with COPY (PostgreSQL)
or executemany (SQLite) into tables without indexes, builds the indexes after, and renames
the tables into place in one short transaction, which Django's ORM has no words for. The
selectors read them with SQL.

Index names carry a generation (a load's own suffix), because an index name must be unique
in the database while the old and the new copy both exist.
"""

LIVE = "register_"
LOADING = "register_load_"
OLD = "register_old_"

# name: (columns in insert order, SQLite column types, PostgreSQL column types)
TABLES: dict[str, tuple[tuple[str, ...], dict[str, str], dict[str, str]]] = {}


def _table(name: str, columns: list[tuple[str, str, str]]) -> None:
    TABLES[name] = (
        tuple(column for column, _sqlite, _pg in columns),
        {column: sqlite for column, sqlite, _pg in columns},
        {column: pg for column, _sqlite, pg in columns},
    )


_table(
    "enterprise",
    [
        ("number", "TEXT NOT NULL", "text NOT NULL"),
        ("type", "TEXT NOT NULL", "text NOT NULL"),
        ("situation", "TEXT NOT NULL", "text NOT NULL"),
        ("form", "TEXT", "text"),
        ("form_cac", "TEXT", "text"),
        ("start_date", "TEXT", "date"),
    ],
)
_table(
    "name",
    [
        ("id", "INTEGER PRIMARY KEY", "bigint NOT NULL"),
        ("number", "TEXT NOT NULL", "text NOT NULL"),
        ("language", "TEXT NOT NULL", "text NOT NULL"),
        ("type", "TEXT NOT NULL", "text NOT NULL"),
        ("name", "TEXT NOT NULL", "text NOT NULL"),
        ("words", "TEXT NOT NULL", "text NOT NULL"),
    ],
)
_table(
    "address",
    [
        ("number", "TEXT NOT NULL", "text NOT NULL"),
        ("type", "TEXT NOT NULL", "text NOT NULL"),
        ("country_nl", "TEXT", "text"),
        ("country_fr", "TEXT", "text"),
        ("zipcode", "TEXT", "text"),
        ("municipality_nl", "TEXT", "text"),
        ("municipality_fr", "TEXT", "text"),
        ("street_nl", "TEXT", "text"),
        ("street_fr", "TEXT", "text"),
        ("house_number", "TEXT", "text"),
        ("box", "TEXT", "text"),
        ("extra", "TEXT", "text"),
        ("struck_off_on", "TEXT", "date"),
    ],
)
_table(
    "contact",
    [
        ("number", "TEXT NOT NULL", "text NOT NULL"),
        ("entity_contact", "TEXT NOT NULL", "text NOT NULL"),
        ("type", "TEXT NOT NULL", "text NOT NULL"),
        ("value", "TEXT NOT NULL", "text NOT NULL"),
    ],
)
_table(
    "code",
    [
        ("category", "TEXT NOT NULL", "text NOT NULL"),
        ("code", "TEXT NOT NULL", "text NOT NULL"),
        ("language", "TEXT NOT NULL", "text NOT NULL"),
        ("description", "TEXT NOT NULL", "text NOT NULL"),
    ],
)

# The table each KBO file goes to.
TABLE_OF_FILE = {
    "enterprise": "enterprise",
    "denomination": "name",
    "address": "address",
    "contact": "contact",
}

# table: (index suffix, columns or expression, unique)
INDEXES = {
    "enterprise": [("number", "number", True)],
    "name": [("number", "number", False)],
    "address": [("number", "number", False)],
    "contact": [("number", "number", False)],
    "code": [("key", "category, code, language", False)],
}
# SQLite's search index: FTS5 over the folded words of each name, its rowid the name's id
# (contentless: the words stay in the name table, from which an update deletes them).
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE {prefix}name_fts USING fts5(words, content='', detail='none', "
    "prefix='2 3', tokenize='unicode61 remove_diacritics 0')"
)


# PostgreSQL's search column: each name's words as a tsvector, computed as rows come in and
# stored, so that the planner may also walk the names in id order and test each row cheaply
# (for a common word that finds the first matches sooner than reading them all).
POSTGRES_EXTRA = {
    "name": "search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED"
}


def columns(name: str) -> tuple[str, ...]:
    return TABLES[name][0]


def _vendor_types(vendor: str, name: str) -> dict[str, str]:
    return TABLES[name][1] if vendor == "sqlite" else TABLES[name][2]


def tables_create(cursor, vendor: str, prefix: str) -> None:
    """The register's tables under `prefix`, without their indexes."""
    for name in TABLES:
        types = _vendor_types(vendor, name)
        body = ", ".join(f"{column} {kind}" for column, kind in types.items())
        if vendor == "postgresql" and name in POSTGRES_EXTRA:
            body += f", {POSTGRES_EXTRA[name]}"
        cursor.execute(f"CREATE TABLE {prefix}{name} ({body})")
    if vendor == "sqlite":
        cursor.execute(SQLITE_FTS.format(prefix=prefix))


def indexes_create(cursor, vendor: str, prefix: str, generation: str) -> None:
    """The look-up indexes of the tables under `prefix`; on PostgreSQL also the search index
    and the name table's primary key (SQLite's search index is filled by `search_fill`)."""
    if vendor == "postgresql":
        # Sorting for an index of millions of rows in memory, not in passes over temporary
        # files (the server's memory, for this transaction only).
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for name, indexes in INDEXES.items():
        for suffix, what, unique in indexes:
            kind = "UNIQUE INDEX" if unique else "INDEX"
            cursor.execute(
                f"CREATE {kind} register_{name}_{suffix}_{generation} ON {prefix}{name} ({what})"
            )
    if vendor == "postgresql":
        cursor.execute(
            f"ALTER TABLE {prefix}name ADD CONSTRAINT register_name_pk_{generation} "
            "PRIMARY KEY (id)"
        )
        cursor.execute(
            f"CREATE INDEX register_name_search_{generation} ON {prefix}name USING gin (search)"
        )
        for name in TABLES:
            cursor.execute(f"ANALYZE {prefix}{name}")


def search_fill(cursor, vendor: str, prefix: str) -> None:
    """SQLite: the search index of every name in the name table under `prefix`."""
    if vendor == "sqlite":
        cursor.execute(
            f"INSERT INTO {prefix}name_fts (rowid, words) SELECT id, words FROM {prefix}name"
        )


def _names(vendor: str) -> list[str]:
    return [*TABLES, "name_fts"] if vendor == "sqlite" else list(TABLES)


def tables_drop(cursor, vendor: str, prefix: str) -> None:
    for name in _names(vendor):
        cursor.execute(f"DROP TABLE IF EXISTS {prefix}{name}")


def tables_rename(cursor, vendor: str, old_prefix: str, new_prefix: str) -> None:
    for name in _names(vendor):
        cursor.execute(f"ALTER TABLE {old_prefix}{name} RENAME TO {new_prefix}{name}")
