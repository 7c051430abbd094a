"""On SQLite, adapter ids are never used twice (AUTOINCREMENT): a deleted last row's id no
longer goes to the next adapter. PostgreSQL's sequences never reuse ids already.

SQLite cannot add AUTOINCREMENT in place, so the table is copied, ids kept (the name index
refers to them), and its indexes and the name index's triggers are made again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen here as this revision made them: a migration never changes when the models do.
COLUMNS = ("id, workspace, name, description, fileset, finetuning_type, enabled, lora_rank, "
           "lora_alpha, model, created_at, updated_at, created_by, updated_by")
ADAPTERS = """CREATE TABLE adapters (
    id INTEGER NOT NULL PRIMARY KEY{autoincrement},
    workspace VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    fileset VARCHAR(255) NOT NULL,
    finetuning_type VARCHAR(32) NOT NULL,
    enabled BOOLEAN NOT NULL,
    lora_rank BIGINT,
    lora_alpha BIGINT,
    model VARCHAR(127) NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    created_by VARCHAR(64),
    updated_by VARCHAR(64),
    CONSTRAINT uq_adapters_workspace_name UNIQUE (workspace, name)
)"""
SORT_KEYS = ("created_at", "updated_at", "finetuning_type", "model", "fileset", "enabled")
NAME_INDEX = "adapter_names"
NAME_INDEX_TRIGGERS = (
    f"CREATE TRIGGER {NAME_INDEX}_insert AFTER INSERT ON adapters BEGIN "
    f"INSERT INTO {NAME_INDEX} (rowid, name) VALUES (new.id, new.name); END",
    f"CREATE TRIGGER {NAME_INDEX}_delete AFTER DELETE ON adapters BEGIN "
    f"INSERT INTO {NAME_INDEX} ({NAME_INDEX}, rowid, name) VALUES ('delete', old.id, old.name); "
    "END",
    f"CREATE TRIGGER {NAME_INDEX}_update AFTER UPDATE OF name ON adapters BEGIN "
    f"INSERT INTO {NAME_INDEX} ({NAME_INDEX}, rowid, name) VALUES ('delete', old.id, old.name); "
    f"INSERT INTO {NAME_INDEX} (rowid, name) VALUES (new.id, new.name); END",
)


def _copy_adapters(autoincrement: str) -> None:
    """Make the adapters table again with every row and id, then its indexes and triggers."""
    for trigger in ("insert", "delete", "update"):  # the copy must not touch the name index
        op.execute(f"DROP TRIGGER {NAME_INDEX}_{trigger}")
    op.execute("ALTER TABLE adapters RENAME TO adapters_0006")
    op.execute(ADAPTERS.format(autoincrement=autoincrement))
    op.execute(f"INSERT INTO adapters ({COLUMNS}) SELECT {COLUMNS} FROM adapters_0006")
    op.execute("DROP TABLE adapters_0006")  # and its indexes
    for key in SORT_KEYS:
        op.execute(f"CREATE INDEX ix_adapters_workspace_{key} ON adapters "
                   f"(workspace, {key}, name)")
    for statement in NAME_INDEX_TRIGGERS:
        op.execute(statement)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _copy_adapters(" AUTOINCREMENT")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _copy_adapters("")
