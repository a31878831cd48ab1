"""The trigram index behind the client search: FTS5 on SQLite, pg_trgm on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE clients_client_fts USING fts5("
    "search_text, tokenize='trigram', content='clients_client', content_rowid='id', detail='none')",
    "CREATE TRIGGER clients_client_fts_insert AFTER INSERT ON clients_client BEGIN "
    "INSERT INTO clients_client_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER clients_client_fts_delete AFTER DELETE ON clients_client BEGIN "
    "INSERT INTO clients_client_fts(clients_client_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER clients_client_fts_update AFTER UPDATE OF search_text ON clients_client BEGIN "
    "INSERT INTO clients_client_fts(clients_client_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO clients_client_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO clients_client_fts(clients_client_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS clients_client_fts_update",
    "DROP TRIGGER IF EXISTS clients_client_fts_delete",
    "DROP TRIGGER IF EXISTS clients_client_fts_insert",
    "DROP TABLE IF EXISTS clients_client_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS clients_client_search_trgm "
    "ON clients_client USING gin (search_text gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS clients_client_search_trgm"]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
