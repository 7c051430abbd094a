"""On SQLite, an index of workspace names ignoring ASCII case, then as they are: the index's
search by name reads one range of it, already in order. PostgreSQL keeps its ILIKE search.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen here as this revision made it: a migration never changes when the models do.
WORKSPACE_NAMES_NOCASE = "ix_workspaces_name_nocase"
WORKSPACE_NAMES_NOCASE_DDL = (
    f"CREATE INDEX {WORKSPACE_NAMES_NOCASE} ON workspaces (name COLLATE NOCASE, name)")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(WORKSPACE_NAMES_NOCASE_DDL)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP INDEX {WORKSPACE_NAMES_NOCASE}")
