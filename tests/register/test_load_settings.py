"""A load changes its connection's settings only while it runs: the database's page cache,
checkpoints and sorting (SQLite) or its sorting memory (PostgreSQL) are as they were after it,
and SQLite's WAL, grown by the load, is given back."""

import os

from django.db import connection

from partnerspace.register.services import register_load

SETTINGS = {
    "sqlite": ("cache_size", "wal_autocheckpoint", "temp_store"),
    "postgresql": ("maintenance_work_mem", "work_mem"),
}


def _settings() -> dict:
    values = {}
    with connection.cursor() as cursor:
        for name in SETTINGS[connection.vendor]:
            cursor.execute(f"PRAGMA {name}" if connection.vendor == "sqlite" else f"SHOW {name}")
            values[name] = cursor.fetchone()[0]
    return values


def test_a_load_leaves_the_connections_settings_as_they_were(committed_register, full_zip):
    connection.ensure_connection()
    before = _settings()

    register_load(path=full_zip)

    assert _settings() == before


def test_a_load_gives_back_the_wal_it_grew(committed_register, full_zip):
    register_load(path=full_zip)

    if connection.vendor != "sqlite":
        # PostgreSQL's WAL is the server's to recycle: the load only leaves no transaction open.
        assert not connection.in_atomic_block
        assert connection.connection.info.transaction_status == 0  # idle
        return
    assert os.path.getsize(f"{connection.settings_dict['NAME']}-wal") == 0
