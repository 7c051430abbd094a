"""Every read and write the views need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db
from .models import Adapter, Workspace, WorkspaceModel
from .rules import ListQuery


class NameTaken(Exception):
    """The adapter name is already used in the workspace."""

    def __init__(self, workspace: str, name: str) -> None:
        super().__init__(f"Adapter with name '{name}' already exists in workspace '{workspace}'")


def not_found_message(workspace: str, name: str) -> str:
    """The 404 sentence for an adapter."""
    return f"Adapter '{name}' not found in workspace '{workspace}'"


def utcnow() -> datetime:
    """The current time, naive in UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def _count(table: type[Workspace] | type[WorkspaceModel], keys: dict[str, str], delta: int,
           **also: object) -> None:
    """Add ``delta`` to a counter row (made if missing), inside the caller's transaction."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**keys, adapter_count=delta, **also)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={"adapter_count": table.adapter_count + delta, **also},
    )
    db.session.execute(statement)


def _touch_workspace(workspace: str, delta: int, stamp: datetime, model: str | None = None) -> None:
    """Keep the workspace's counts and last change in step with a change to its adapters."""
    _count(Workspace, {"name": workspace}, delta, updated_at=stamp)
    if model is not None:
        _count(WorkspaceModel, {"workspace": workspace, "model": model}, delta)


def create_adapter(workspace: str, values: dict[str, Any]) -> Adapter:
    """Store a new adapter from checked values; raise NameTaken if the name is used."""
    stamp = utcnow()
    lora = values.get("lora_config") or {}
    adapter = Adapter(
        workspace=workspace,
        name=values["name"],
        description=values.get("description"),
        fileset=values["fileset"],
        finetuning_type=values["finetuning_type"],
        enabled=values.get("enabled", True),
        lora_rank=lora.get("rank"),
        lora_alpha=lora.get("alpha"),
        model=values["model"],
        created_at=stamp,
        updated_at=stamp,
    )
    db.session.add(adapter)
    try:
        db.session.flush()
        _touch_workspace(workspace, 1, stamp, adapter.model)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise NameTaken(workspace, values["name"]) from None
    return adapter


def get_adapter(workspace: str, name: str, model: str | None = None) -> Adapter | None:
    """One adapter, or None; with ``model``, only if it belongs to that model."""
    statement = select(Adapter).where(Adapter.workspace == workspace, Adapter.name == name)
    if model is not None:
        statement = statement.where(Adapter.model == model)
    return db.session.scalars(statement).first()


def update_adapter(
    workspace: str, name: str, changes: dict[str, Any], model: str | None = None
) -> Adapter | None:
    """Apply checked changes and set a new ``updated_at``; None if there is no such adapter."""
    adapter = get_adapter(workspace, name, model)
    if adapter is None:
        return None
    stamp = utcnow()
    for field, value in changes.items():
        setattr(adapter, field, value)
    # strictly later than before, even within one clock tick
    adapter.updated_at = max(stamp, adapter.updated_at + timedelta(microseconds=1))
    try:
        db.session.flush()
        _touch_workspace(workspace, 0, stamp)
        db.session.commit()
    except StaleDataError:  # deleted by someone else between the read and the write
        db.session.rollback()
        return None
    return adapter


def delete_adapter(workspace: str, name: str, model: str | None = None) -> bool:
    """Delete one adapter; False if there was none."""
    statement = Adapter.__table__.delete().where(
        Adapter.workspace == workspace, Adapter.name == name
    )
    if model is not None:
        statement = statement.where(Adapter.model == model)
    deleted = db.session.execute(statement.returning(Adapter.model)).scalars().all()
    if len(deleted) != 1:
        db.session.rollback()
        return False
    _touch_workspace(workspace, -1, utcnow(), deleted[0])
    db.session.commit()
    return True


def _contains(column: Any, text: str) -> Any:
    """Case-insensitive substring match; '%' and '_' in ``text`` match literally.

    SQLite's LIKE already ignores ASCII case, and a plain LIKE is twice as fast there as
    comparing lower() of both sides; elsewhere both sides are lowered.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def _filter_clauses(conditions: dict[str, dict[str, Any]]) -> list[Any]:
    clauses = []
    for field, operators in conditions.items():
        column = getattr(Adapter, field)
        for operator, value in operators.items():
            if operator == "$eq":
                clauses.append(column == value)
            elif operator == "$like":
                # case-insensitive substring; '%' and '_' in the value match literally
                clauses.append(_contains(column, value))
            elif operator == "$in":
                clauses.append(column.in_(value))
            elif operator == "$nin":
                clauses.append(or_(column.is_(None), column.not_in(value)))
            elif operator == "$gt":
                clauses.append(column > value)
            elif operator == "$gte":
                clauses.append(column >= value)
            elif operator == "$lt":
                clauses.append(column < value)
            elif operator == "$lte":
                clauses.append(column <= value)
    return clauses


def count_in_workspace(workspace: str) -> int:
    """How many adapters a workspace holds, from its counter row."""
    count = db.session.scalar(select(Workspace.adapter_count).where(Workspace.name == workspace))
    return count or 0


def list_adapters(
    workspace: str, query: ListQuery, search: str | None = None
) -> tuple[list[Adapter], int]:
    """One page of a workspace's adapters, filtered and sorted, with the total that match.

    ``search`` (the pages' search box) matches a substring of the name, model, fileset or
    description, case-insensitively.
    """
    clauses = [Adapter.workspace == workspace, *_filter_clauses(query.filter or {})]
    if search:
        clauses.append(or_(*(_contains(column, search) for column in (
            Adapter.name, Adapter.model, Adapter.fileset, Adapter.description))))
    if query.filter or search:
        total = db.session.scalar(select(func.count()).select_from(Adapter).where(*clauses))
    else:
        total = count_in_workspace(workspace)
    offset = (query.page - 1) * query.page_size
    if offset >= total:  # past the end: nothing to read
        return [], total
    key = query.sort.removeprefix("-")
    descending = query.sort.startswith("-")
    columns = [getattr(Adapter, key), Adapter.name] if key != "name" else [Adapter.name]
    order = [column.desc() if descending else column.asc() for column in columns]
    # Find the page's ids first: the sort index holds them, so skipping `offset` rows reads
    # only the index; then load just those rows.
    page_ids = (
        select(Adapter.id).where(*clauses).order_by(*order)
        .offset(offset).limit(query.page_size).subquery()
    )
    statement = select(Adapter).join(page_ids, Adapter.id == page_ids.c.id).order_by(*order)
    return list(db.session.scalars(statement)), total


def list_workspaces() -> list[Workspace]:
    """The workspaces that hold adapters, most recently changed first."""
    statement = (
        select(Workspace)
        .where(Workspace.adapter_count > 0)
        .order_by(Workspace.updated_at.desc(), Workspace.name)
    )
    return list(db.session.scalars(statement))


def models_in_workspace(workspace: str, limit: int = 50) -> list[str]:
    """The models a workspace's adapters use, most used first, for suggestions."""
    statement = (
        select(WorkspaceModel.model)
        .where(WorkspaceModel.workspace == workspace, WorkspaceModel.adapter_count > 0)
        .order_by(WorkspaceModel.adapter_count.desc(), WorkspaceModel.model)
        .limit(limit)
    )
    return list(db.session.scalars(statement))
