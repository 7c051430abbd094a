"""People, sessions, API tokens and workspace roles; who made and changed adapters and
workspaces. Existing workspaces become workspace records with no members.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

USERNAME = sa.String(64)


def upgrade():
    # Nullable columns are added in place (no table copy on SQLite, so the adapters' name
    # index triggers stay as they are).
    for table in ("adapters", "workspaces"):
        op.add_column(table, sa.Column("created_by", USERNAME, nullable=True))
        op.add_column(table, sa.Column("updated_by", USERNAME, nullable=True))
    op.add_column("workspaces", sa.Column("id", sa.String(36), nullable=True))
    op.add_column("workspaces", sa.Column("description", sa.Text(), nullable=True))
    op.add_column("workspaces", sa.Column("created_at", sa.DateTime(), nullable=True))
    _backfill_workspaces()
    _create_people_tables()
    _create_credential_tables()


def _backfill_workspaces():
    """Each existing workspace gets an id; its first known time is its last change."""
    workspaces = sa.table("workspaces", sa.column("name"), sa.column("id"),
                          sa.column("created_at"), sa.column("updated_at"))
    connection = op.get_bind()
    for (name,) in connection.execute(sa.select(workspaces.c.name)).all():
        connection.execute(
            workspaces.update().where(workspaces.c.name == name)
            .values(id=str(uuid.uuid4()), created_at=workspaces.c.updated_at))


def _create_people_tables():
    op.create_table(
        "workspace_members",
        sa.Column("workspace", sa.String(255), nullable=False),
        sa.Column("principal", USERNAME, nullable=False),
        sa.Column("roles", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("granted_by", USERNAME, nullable=True),
        sa.PrimaryKeyConstraint("workspace", "principal"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", USERNAME, nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_platform_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )


def _create_credential_tables():
    op.create_table(
        "login_sessions",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sa.UniqueConstraint("user_id", "label", name="uq_api_tokens_user_label"),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", USERNAME, nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_username_failed_at", "login_failures",
                    ["username", "failed_at"])


def downgrade():
    for table in ("login_failures", "api_tokens", "login_sessions", "users",
                  "workspace_members"):
        op.drop_table(table)
    for column in ("created_at", "description", "id", "updated_by", "created_by"):
        op.drop_column("workspaces", column)
    for column in ("updated_by", "created_by"):
        op.drop_column("adapters", column)
