"""Count the adapters of each model per workspace and finetuning type, for the model pages:
their counts per workspace and per type are read by the model, never by counting adapters.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "model_type_counts",
        sa.Column("model", sa.String(127), nullable=False),
        sa.Column("workspace", sa.String(255), nullable=False),
        sa.Column("finetuning_type", sa.String(32), nullable=False),
        sa.Column("adapter_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("model", "workspace", "finetuning_type"),
    )
    # the adapters already stored
    op.execute(
        "INSERT INTO model_type_counts (model, workspace, finetuning_type, adapter_count) "
        "SELECT model, workspace, finetuning_type, COUNT(*) FROM adapters "
        "GROUP BY model, workspace, finetuning_type"
    )


def downgrade():
    op.drop_table("model_type_counts")
