"""The tables: adapters, and one row per workspace with its count and last change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .rules import FILESET_MAX, MODEL_MAX, NAME_MAX, format_timestamp

# Every list sort key, served by an index that starts with the workspace and ends with the name
# (the tie-breaker), so a page is read straight off the index.
_SORT_INDEXES = ("created_at", "updated_at", "finetuning_type", "model", "fileset", "enabled")


class Adapter(db.Model):
    """A registered adapter. Times are stored naive, in UTC."""

    __tablename__ = "adapters"
    __table_args__ = (
        UniqueConstraint("workspace", "name", name="uq_adapters_workspace_name"),
        *(Index(f"ix_adapters_workspace_{key}", "workspace", key, "name") for key in _SORT_INDEXES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(NAME_MAX))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    fileset: Mapped[str] = mapped_column(String(FILESET_MAX))
    finetuning_type: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean)
    lora_rank: Mapped[int | None] = mapped_column(BigInteger)
    lora_alpha: Mapped[int | None] = mapped_column(BigInteger)
    model: Mapped[str] = mapped_column(String(MODEL_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    @property
    def lora_config(self) -> dict[str, int | None] | None:
        """The LoRA settings in the contract's shape, or None."""
        if self.lora_rank is None:
            return None
        return {"alpha": self.lora_alpha, "rank": self.lora_rank}

    def to_dict(self) -> dict[str, Any]:
        """The Adapter object, keys in the contract's order."""
        return {
            "name": self.name,
            "workspace": self.workspace,
            "description": self.description,
            "fileset": self.fileset,
            "finetuning_type": self.finetuning_type,
            "enabled": self.enabled,
            "lora_config": self.lora_config,
            "model": self.model,
            "created_at": format_timestamp(self.created_at),
            "updated_at": format_timestamp(self.updated_at),
        }


class WorkspaceModel(db.Model):
    """How many adapters of a workspace use a model: the form's suggestions, kept in step with
    the adapters in the same transaction."""

    __tablename__ = "workspace_models"

    workspace: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    model: Mapped[str] = mapped_column(String(MODEL_MAX), primary_key=True)
    adapter_count: Mapped[int] = mapped_column(BigInteger)


class Workspace(db.Model):
    """A workspace that has (or had) adapters: kept in step with them in the same transaction,
    so the count and the last change never need a scan of the adapters table."""

    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    adapter_count: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
