"""On PostgreSQL, a trigram index of adapter names (pg_trgm), for fast `$like` on the name.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here as this revision made it: a migration never changes when the models do.
NAME_INDEX = "adapter_names"
NAME_INDEX_POSTGRESQL = f"""
DO $$ BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS {NAME_INDEX}_trgm ON adapters USING gin (name gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is not available: $like filters on names will scan';
END $$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NAME_INDEX_POSTGRESQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}_trgm")
