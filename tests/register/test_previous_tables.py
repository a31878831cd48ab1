"""A copy loaded by the previous release keeps working until the next full load: its tables
(PostgreSQL: numbers in the database's collation, a search column of to_tsvector('simple');
SQLite: a search index with column sizes) take an update, and the search finds what it
did."""

from django.core.management import call_command
from django.db import connection

from partnerspace.register import tables
from partnerspace.register.selectors import register_companies_search, register_company_get
from tests.register.conftest import DUPONT, GONE, PEETERS

LIVE = tables.LIVE


def _as_the_previous_release_made_them() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in ("enterprise", "name", "address", "contact"):
                cursor.execute(
                    f'ALTER TABLE {LIVE}{name} ALTER COLUMN number TYPE text COLLATE "default"'
                )
            cursor.execute(f"ALTER TABLE {LIVE}name DROP COLUMN search")
            cursor.execute(
                f"ALTER TABLE {LIVE}name ADD COLUMN search tsvector GENERATED ALWAYS AS "
                "(to_tsvector('simple'::regconfig, words)) STORED"
            )
            cursor.execute(
                f"CREATE INDEX register_name_search_previous ON {LIVE}name USING gin (search)"
            )
            return
        cursor.execute(f"DROP TABLE {LIVE}name_fts")
        cursor.execute(
            f"CREATE VIRTUAL TABLE {LIVE}name_fts USING fts5(words, content='', detail='none', "
            "prefix='2 3', tokenize='unicode61 remove_diacritics 0')"
        )
        cursor.execute(
            f"INSERT INTO {LIVE}name_fts (rowid, words) SELECT id, words FROM {LIVE}name"
        )


def test_a_copy_of_the_previous_release_takes_an_update_and_is_searched(db, full_zip, update_1):
    call_command("kbo_load", str(full_zip))
    _as_the_previous_release_made_them()

    call_command("kbo_update", str(update_1))

    assert register_company_get(GONE) is None
    assert [m.number for m in register_companies_search("dupont fils")] == [DUPONT]
    assert [m.number for m in register_companies_search("BAKKERIJ peet")] == [PEETERS]
    assert register_companies_search("verdwenen") == []
