"""The first schema: adapters, and a counter row per workspace.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SORT_KEYS = ("created_at", "updated_at", "finetuning_type", "model", "fileset", "enabled")


def upgrade():
    op.create_table(
        "adapters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("fileset", sa.String(255), nullable=False),
        sa.Column("finetuning_type", sa.String(32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("lora_rank", sa.BigInteger(), nullable=True),
        sa.Column("lora_alpha", sa.BigInteger(), nullable=True),
        sa.Column("model", sa.String(127), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace", "name", name="uq_adapters_workspace_name"),
    )
    for key in SORT_KEYS:
        op.create_index(f"ix_adapters_workspace_{key}", "adapters", ["workspace", key, "name"])
    op.create_table(
        "workspaces",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("adapter_count", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade():
    op.drop_table("workspaces")
    for key in SORT_KEYS:
        op.drop_index(f"ix_adapters_workspace_{key}", "adapters")
    op.drop_table("adapters")
