"""Count the adapters of each model per workspace, for exact model suggestions at any size.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "workspace_models",
        sa.Column("workspace", sa.String(255), nullable=False),
        sa.Column("model", sa.String(127), nullable=False),
        sa.Column("adapter_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "model"),
    )
    # the adapters already stored
    op.execute(
        "INSERT INTO workspace_models (workspace, model, adapter_count) "
        "SELECT workspace, model, COUNT(*) FROM adapters GROUP BY workspace, model"
    )


def downgrade():
    op.drop_table("workspace_models")
