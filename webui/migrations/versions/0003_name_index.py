"""On SQLite, a trigram index of adapter names, for fast `$like` filters on the name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

from webui.models import NAME_INDEX, NAME_INDEX_DDL

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


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
