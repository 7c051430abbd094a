"""On SQLite, a trigram index of adapter names, for fast `$like` filters on the name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
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


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in NAME_INDEX_DDL:
        op.execute(statement)
    op.execute(f"INSERT INTO {NAME_INDEX} ({NAME_INDEX}) VALUES ('rebuild')")  # the rows so far


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER {NAME_INDEX}_{trigger}")
    op.execute(f"DROP TABLE {NAME_INDEX}")
