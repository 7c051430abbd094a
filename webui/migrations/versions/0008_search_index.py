"""An index for the search of adapters: every word of a search, in any of the name, model,
fileset and description. On SQLite an FTS5 trigram table of the four fields, kept in step by
triggers, replaces the name-only one of 0003 (`$like` on the name reads a column of it); on
PostgreSQL a pg_trgm GIN index of the four fields joined by spaces joins the name's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen here as this revision made them: a migration never changes when the models do.
NAME_INDEX = "adapter_names"
NAME_INDEX_DDL = (
    f"CREATE VIRTUAL TABLE {NAME_INDEX} USING fts5("
    "name, content='adapters', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {NAME_INDEX}_insert AFTER INSERT ON adapters BEGIN "
    f"INSERT INTO {NAME_INDEX} (rowid, name) VALUES (new.id, new.name); END",
    f"CREATE TRIGGER {NAME_INDEX}_delete AFTER DELETE ON adapters BEGIN "
    f"INSERT INTO {NAME_INDEX} ({NAME_INDEX}, rowid, name) VALUES ('delete', old.id, old.name); "
    "END",
    f"CREATE TRIGGER {NAME_INDEX}_update AFTER UPDATE OF name ON adapters BEGIN "
    f"INSERT INTO {NAME_INDEX} ({NAME_INDEX}, rowid, name) VALUES ('delete', old.id, old.name); "
    f"INSERT INTO {NAME_INDEX} (rowid, name) VALUES (new.id, new.name); END",
)
SEARCH_INDEX = "adapter_search"
SEARCH_INDEX_DDL = (
    f"CREATE VIRTUAL TABLE {SEARCH_INDEX} USING fts5("
    "name, model, fileset, description, content='adapters', content_rowid='id', "
    "tokenize='trigram')",
    f"CREATE TRIGGER {SEARCH_INDEX}_insert AFTER INSERT ON adapters BEGIN "
    f"INSERT INTO {SEARCH_INDEX} (rowid, name, model, fileset, description) "
    "VALUES (new.id, new.name, new.model, new.fileset, new.description); END",
    f"CREATE TRIGGER {SEARCH_INDEX}_delete AFTER DELETE ON adapters BEGIN "
    f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}, rowid, name, model, fileset, description) "
    "VALUES ('delete', old.id, old.name, old.model, old.fileset, old.description); END",
    f"CREATE TRIGGER {SEARCH_INDEX}_update AFTER UPDATE OF name, model, fileset, description "
    f"ON adapters BEGIN "
    f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}, rowid, name, model, fileset, description) "
    "VALUES ('delete', old.id, old.name, old.model, old.fileset, old.description); "
    f"INSERT INTO {SEARCH_INDEX} (rowid, name, model, fileset, description) "
    "VALUES (new.id, new.name, new.model, new.fileset, new.description); END",
)
SEARCH_INDEX_POSTGRESQL = f"""
DO $$ BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS {SEARCH_INDEX}_trgm ON adapters
        USING gin ((name || ' ' || model || ' ' || fileset || ' ' || coalesce(description, ''))
                   gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is not available: searches will scan';
END $$
"""


def _replace(old: str, new: str, ddl: tuple[str, ...]) -> None:
    """Drop one FTS5 index and its triggers; make the other and fill it from the rows."""
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER {old}_{trigger}")
    op.execute(f"DROP TABLE {old}")
    for statement in ddl:
        op.execute(statement)
    op.execute(f"INSERT INTO {new} ({new}) VALUES ('rebuild')")  # the rows so far


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _replace(NAME_INDEX, SEARCH_INDEX, SEARCH_INDEX_DDL)
    elif dialect == "postgresql":
        op.execute(SEARCH_INDEX_POSTGRESQL)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _replace(SEARCH_INDEX, NAME_INDEX, NAME_INDEX_DDL)
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}_trgm")
