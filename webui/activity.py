"""The activity history: one event for every change of an adapter, a workspace or its members.

An event says when, who (the username; ``local`` with sign-in off), what (the workspace, and
the adapter or member changed) and, field by field, the old and the new value. It is written
by the change itself, in the same transaction (:func:`record`), so there is no change without
its event and no event without its change; the table refuses to update or delete one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select

from . import listing, queries  # queries records through this module: read at call time
from .extensions import db
from .models import ActivityEvent
from .rules import (
    ACTIVITY_KINDS,
    LABELS,
    Violation,
    check_activity_kind,
    check_actor,
    check_name,
    format_timestamp,
)

# What an event is about (the kinds are the rules'); an adapter's and a member's events name
# it as their subject.
KINDS = ACTIVITY_KINDS
(ADAPTER_CREATED, ADAPTER_CHANGED, ADAPTER_DELETED, WORKSPACE_CREATED, WORKSPACE_CHANGED,
 WORKSPACE_DELETED, MEMBER_ADDED, MEMBER_CHANGED, MEMBER_REMOVED) = KINDS


def changed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field whose value differs, with its old and new value (a field missing on one side
    is None there)."""
    return {field: {"old": old.get(field), "new": new.get(field)}
            for field in dict.fromkeys([*old, *new]) if old.get(field) != new.get(field)}


def adapter_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an event records of an adapter's stored columns (by name)."""
    rank, alpha = row["lora_rank"], row["lora_alpha"]
    return {"model": row["model"], "fileset": row["fileset"],
            "finetuning_type": row["finetuning_type"], "description": row["description"],
            "enabled": row["enabled"],
            "lora_config": None if rank is None else {"alpha": alpha, "rank": rank}}


def record(workspace: str, kind: str, actor: str, at: datetime, subject: str | None = None,
           changes: dict[str, dict[str, Any]] | None = None) -> None:
    """Append one event, inside the caller's transaction (which commits it with the change)."""
    db.session.connection().execute(insert(ActivityEvent.__table__), {
        "workspace": workspace, "kind": kind, "actor": actor, "at": at, "subject": subject,
        "changes": json.dumps(changes or {}, separators=(",", ":"))})


FILTERS = ("adapter", "actor", "kind", "since", "until")


def checked_filters(args: Any) -> tuple[dict[str, Any], list[tuple[str, Violation]]]:
    """The filters given in ``args`` (blank ones left out), each checked by its rule: those
    that pass, read (times as naive UTC), and the refused ones' problems."""
    found: dict[str, Any] = {}
    problems: list[tuple[str, Violation]] = []
    checks = {"adapter": check_name, "actor": check_actor, "kind": check_activity_kind}
    for key in FILTERS:
        value = (args.get(key) or "").strip()
        if not value:
            continue
        if key in checks:
            problem = checks[key](value)
        else:
            try:
                value, problem = listing.parse_timestamp(value, key), None
            except listing.FilterError as error:  # the list filters' own message
                problem = Violation(str(error), "datetime_parsing")
        if problem:
            problems.append((key, problem))
        else:
            found[key] = value
    return found, problems


def adapter_kind(kind: str) -> bool:
    """Whether an event is about an adapter (its subject then names the adapter)."""
    return kind.startswith("adapter.")


# A workspace's events are counted up to this many, then "more than": an exact count of a
# busy workspace's million events took 330 ms a page under load (p50, served). The pages
# stop there too, the newest first (a filter finds older ones).
COUNT_MOST = 1000


def list_events(workspace: str, page: int, page_size: int, adapter: str | None = None,
                actor: str | None = None, kind: str | None = None,
                since: datetime | None = None, until: datetime | None = None) -> queries.Page:
    """A workspace's events, newest first, a page at a time: with ``adapter``, only that
    adapter's (a deleted one's too), and only those of ``actor``, of ``kind``, at or after
    ``since`` and before ``until``. Counted up to COUNT_MOST (``capped`` says there are
    more)."""
    table = ActivityEvent.__table__
    conditions = [table.c.workspace == workspace]
    if adapter is not None:
        conditions += [table.c.subject == adapter,
                       table.c.kind.in_([kind for kind in KINDS if adapter_kind(kind)])]
    if actor is not None:
        conditions.append(table.c.actor == actor)
    if kind is not None:
        conditions.append(table.c.kind == kind)
    if since is not None:
        conditions.append(table.c.at >= since)
    if until is not None:
        conditions.append(table.c.at < until)
    counted = db.session.scalar(select(func.count()).select_from(
        select(table.c.id).where(*conditions).limit(COUNT_MOST + 1).subquery()))
    total = min(counted, COUNT_MOST)
    offset = (page - 1) * page_size
    limit = min(page_size, total - offset)  # the pages stop at the cap
    rows = [] if limit <= 0 else db.session.execute(
        select(table).where(*conditions).order_by(table.c.id.desc())
        .offset(offset).limit(limit)).all()
    return queries.Page(rows, total, page, page_size, counted > COUNT_MOST)


def event_json(event: Any) -> dict[str, Any]:
    """One event as the API shows it."""
    return {"id": event.id, "at": format_timestamp(event.at), "actor": event.actor,
            "workspace": event.workspace, "kind": event.kind, "subject": event.subject,
            "changes": json.loads(event.changes)}


# --- as the pages show it ---------------------------------------------------------------------

# What each kind of event says, after who did it (the subject, if any, follows).
KIND_TEXT = {
    ADAPTER_CREATED: "created adapter", ADAPTER_CHANGED: "changed adapter",
    ADAPTER_DELETED: "deleted adapter", WORKSPACE_CREATED: "created the workspace",
    WORKSPACE_CHANGED: "changed the workspace's description",
    WORKSPACE_DELETED: "deleted the workspace", MEMBER_ADDED: "gave roles to",
    MEMBER_CHANGED: "changed the roles of", MEMBER_REMOVED: "took every role from",
}
# The kinds as a filter offers them.
KIND_CHOICES = {
    ADAPTER_CREATED: "Adapter created", ADAPTER_CHANGED: "Adapter changed",
    ADAPTER_DELETED: "Adapter deleted", WORKSPACE_CREATED: "Workspace created",
    WORKSPACE_CHANGED: "Workspace changed", WORKSPACE_DELETED: "Workspace deleted",
    MEMBER_ADDED: "Member added", MEMBER_CHANGED: "Member's roles changed",
    MEMBER_REMOVED: "Member removed",
}
assert tuple(KIND_TEXT) == tuple(KIND_CHOICES) == KINDS


class Change(NamedTuple):
    """One field of an event, as a page shows it."""

    label: str
    old: str | None
    new: str | None


def shown_changes(event: Any) -> list[Change]:
    """An event's fields, each with its old and new value as text (None: it had none)."""
    return [Change(LABELS.get(field, field.replace("_", " ").capitalize()),
                   _shown(values.get("old")), _shown(values.get("new")))
            for field, values in json.loads(event.changes).items()]


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):  # the LoRA settings
        return ", ".join(f"{key} {number}" for key, number in sorted(value.items(),
                                                                      reverse=True))
    return str(value)
