"""The activity history: one event per change of an adapter, a workspace or its members,
appended in the change's own transaction; the database refuses to change or delete one.
Changes made before this version have no events.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Frozen here as this revision made them.
REFUSAL = "activity events are never changed or deleted"
SQLITE = tuple(
    f"CREATE TRIGGER activity_events_no_{verb} BEFORE {verb.upper()} ON activity_events "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END" for verb in ("update", "delete"))
POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION activity_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$;
CREATE TRIGGER activity_events_append_only BEFORE UPDATE OR DELETE ON activity_events
    FOR EACH ROW EXECUTE FUNCTION activity_events_append_only();
"""


def upgrade():
    op.create_table(
        "activity_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_activity_events_workspace", "activity_events", ["workspace", "id"])
    op.create_index("ix_activity_events_subject", "activity_events",
                    ["workspace", "subject", "id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    else:
        op.execute(POSTGRESQL)


def downgrade():
    op.drop_table("activity_events")  # its triggers go with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS activity_events_append_only()")
