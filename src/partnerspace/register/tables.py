"""The register's tables, written once for both databases: the migration makes the live ones,
a load makes the same tables under another prefix, fills them, indexes them and swaps them in.

The tables are not Django models: a full load fills millions of rows with COPY (PostgreSQL)
or executemany (SQLite) into tables without indexes, builds the indexes after, and renames
the tables into place in one short transaction, which Django's ORM has no words for. The
selectors read them with SQL.

Index names carry a generation (a load's own suffix), because an index name must be unique
in the database while the old and the new copy both exist.
"""

from collections.abc import Iterable

LIVE = "register_"
LOADING = "register_load_"
OLD = "register_old_"

# PostgreSQL compares enterprise numbers (digits) byte by byte: an index over them is built
# twice as fast as with the database's language rules, and orders them the same.
NUMBER_PG = 'text COLLATE "C" NOT NULL'

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
        ("number", "TEXT NOT NULL", NUMBER_PG),
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
        ("number", "TEXT NOT NULL", NUMBER_PG),
        ("language", "TEXT NOT NULL", "text NOT NULL"),
        ("type", "TEXT NOT NULL", "text NOT NULL"),
        ("name", "TEXT NOT NULL", "text NOT NULL"),
        ("words", "TEXT NOT NULL", "text NOT NULL"),
    ],
)
_table(
    "address",
    [
        ("number", "TEXT NOT NULL", NUMBER_PG),
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
        ("number", "TEXT NOT NULL", NUMBER_PG),
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
# (contentless: the words stay in the name table, from which an update deletes them). No
# column sizes: they serve only ranking functions (bm25), which the search does not use, and
# would double the time to fill the index.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE {prefix}name_fts USING fts5(words, content='', detail='none', "
    "prefix='2 3', columnsize=0, tokenize='unicode61 remove_diacritics 0')"
)


# PostgreSQL's search column: each name's words as a tsvector, computed as rows come in and
# stored, so that the planner may also walk the names in id order and test each row cheaply
# (for a common word that finds the first matches sooner than reading them all). Its lexemes
# are the folded words as they are (array_to_tsvector: no text search parser, three times
# faster to fill), and a search asks for them as they are (a tsquery cast).
POSTGRES_EXTRA = {
    "name": "search tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(words, ' '))) STORED"
}


def columns(name: str) -> tuple[str, ...]:
    return TABLES[name][0]


def _vendor_types(vendor: str, name: str) -> dict[str, str]:
    return TABLES[name][1] if vendor == "sqlite" else TABLES[name][2]


def table_sql(vendor: str, name: str, table: str) -> str:
    """CREATE TABLE of the register's table `name`, named `table`, without its indexes."""
    types = _vendor_types(vendor, name)
    body = ", ".join(f"{column} {kind}" for column, kind in types.items())
    if vendor == "postgresql" and name in POSTGRES_EXTRA:
        body += f", {POSTGRES_EXTRA[name]}"
    return f"CREATE TABLE {table} ({body})"


def copy_sql(table: str, name: str) -> str:
    """PostgreSQL: COPY of rows of the register's table `name` (as tuples) into `table`."""
    return f"COPY {table} ({', '.join(columns(name))}) FROM STDIN"


def tables_create(cursor, vendor: str, prefix: str) -> None:
    """The register's tables under `prefix`, without their indexes."""
    for name in TABLES:
        cursor.execute(table_sql(vendor, name, f"{prefix}{name}"))
    if vendor == "sqlite":
        cursor.execute(SQLITE_FTS.format(prefix=prefix))


def indexes_create(
    cursor,
    vendor: str,
    prefix: str,
    generation: str,
    names: Iterable[str] = tuple(TABLES),
    *,
    search: bool = True,
) -> None:
    """The look-up indexes of the tables `names` under `prefix`; on PostgreSQL also the name
    table's primary key, and its search index unless `search` is false (another connection
    builds it meanwhile: `search_index_create`). SQLite's search index is `search_fill`."""
    _sorting_memory(cursor, vendor)
    for name in names:
        for suffix, what, unique in INDEXES[name]:
            kind = "UNIQUE INDEX" if unique else "INDEX"
            cursor.execute(
                f"CREATE {kind} register_{name}_{suffix}_{generation} ON {prefix}{name} ({what})"
            )
        if vendor != "postgresql":
            continue
        if name == "name":
            # Built as an index first, so that it may be built beside the search index
            # (two CREATE INDEX share the table; ALTER TABLE waits for the table alone).
            cursor.execute(
                f"CREATE UNIQUE INDEX register_name_pk_{generation} ON {prefix}name (id)"
            )
            if search:
                search_index_create(cursor, prefix, generation)
            cursor.execute(
                f"ALTER TABLE {prefix}name ADD CONSTRAINT register_name_pk_{generation} "
                f"PRIMARY KEY USING INDEX register_name_pk_{generation}"
            )
        cursor.execute(f"ANALYZE {prefix}{name}")


def search_index_create(cursor, prefix: str, generation: str) -> None:
    """PostgreSQL: the name table's search index (GIN over each name's words)."""
    _sorting_memory(cursor, "postgresql")
    cursor.execute(
        f"CREATE INDEX register_name_search_{generation} ON {prefix}name USING gin (search)"
    )


def _sorting_memory(cursor, vendor: str) -> None:
    if vendor == "postgresql":
        # Sorting for an index of millions of rows in memory, not in passes over temporary
        # files (the server's memory, for this transaction only).
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")


def insert_sql(table: str, name: str, placeholder: str) -> str:
    """INSERT of one row of the register's table `name` into `table` (its name as created)."""
    names = columns(name)
    marks = ", ".join([placeholder] * len(names))
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"


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
