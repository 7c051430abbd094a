"""On PostgreSQL, a trigram index of adapter names (pg_trgm), for fast `$like` on the name.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op

from webui.models import NAME_INDEX, NAME_INDEX_POSTGRESQL

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NAME_INDEX_POSTGRESQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}_trgm")
