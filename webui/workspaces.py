"""Workspaces and their members: records, roles, and which workspaces a person may read."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError

from . import activity, rules
from .database import one_writer
from .extensions import db
from .listing import ListQuery
from .models import Membership, ModelTypeCount, User, Workspace, WorkspaceModel
from .queries import FILTER_CLAUSES, Page, utcnow


class WorkspaceError(Exception):
    """A change the workspace's state does not allow: its status and the detail to answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def workspace_json(workspace: Workspace) -> dict[str, Any]:
    """The Workspace object of the entities API."""
    return {
        "id": workspace.id,
        "name": workspace.name,
        "description": workspace.description,
        "created_at": rules.format_timestamp(workspace.created_at or workspace.updated_at),
        "updated_at": rules.format_timestamp(workspace.updated_at),
        "created_by": workspace.created_by,
        "updated_by": workspace.updated_by,
    }


def member_json(member: Membership) -> dict[str, Any]:
    """The WorkspaceMember object of the entities API."""
    return {"principal": member.principal, "roles": split_roles(member.roles),
            "granted_at": rules.format_timestamp(member.granted_at),
            "granted_by": member.granted_by}


def split_roles(text: str) -> list[str]:
    """Stored roles as a list, in the roles' own order."""
    held = set(text.split(","))
    return [role for role in rules.ROLES if role in held]


def _join_roles(roles: set[str] | list[str]) -> str:
    return ",".join(role for role in rules.ROLES if role in roles)


# --- reads ------------------------------------------------------------------------------------

def roles_of(workspace: str, username: str) -> frozenset[str]:
    """A person's roles in a workspace: their own and those of '*' (every signed-in user)."""
    rows = db.session.connection().execute(_roles_statement(), {
        "workspace": workspace, "username": username}).scalars()
    return frozenset(role for text in rows for role in text.split(","))


@cache
def _roles_statement() -> Any:
    return select(Membership.roles).where(
        Membership.workspace == bindparam("workspace"),
        Membership.principal.in_([bindparam("username"), rules.EVERYONE]))


def _readable_names(username: str) -> Any:
    """The names of the workspaces where ``username`` (or '*') holds a role."""
    return select(Membership.workspace).where(
        Membership.principal.in_([username, rules.EVERYONE]))


def get_workspace(name: str) -> Workspace | None:
    """A workspace record, or None."""
    return db.session.get(Workspace, name)


def list_workspaces(username: str | None, query: ListQuery, search: str | None = None) -> Page:
    """A page of the workspaces a person may read (``username`` None: every workspace).

    ``search`` (the index's search box) keeps the names that start with it, in any case, in
    name order ignoring case (names differing only in case, by name).
    """
    clauses = [] if username is None else [Workspace.name.in_(_readable_names(username))]
    clauses += _name_filter(query.filter or {})
    names = [Workspace.name]
    if search:
        clauses.append(_name_starts(search))
        names = [_name_folded(), Workspace.name]
    key = query.sort.removeprefix("-")
    descending = query.sort.startswith("-")
    if key == "name":
        order = [name.desc() for name in names] if descending else names
    else:  # the name is the tie-breaker
        column = getattr(Workspace, key)
        order = [column.desc() if descending else column, *names]
    total = db.session.scalar(select(func.count()).select_from(Workspace).where(*clauses))
    offset = (query.page - 1) * query.page_size
    if offset >= total:  # past the end: nothing to read
        return Page([], total, query.page, query.page_size)
    # rows, not ORM objects: a page is only read, and loading objects costs more than the SQL
    rows = db.session.execute(
        select(*Workspace.__table__.columns).where(*clauses).order_by(*order)
        .offset(offset).limit(query.page_size)).all()
    return Page(rows, total, query.page, query.page_size)


def _on_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _name_folded() -> Any:
    """The name with its ASCII case ignored, as the search orders and (on SQLite) finds it."""
    return Workspace.name.collate("NOCASE") if _on_sqlite() else func.lower(Workspace.name)


def _name_starts(term: str) -> Any:
    """Names that start with ``term``, ignoring ASCII case.

    On SQLite, one range of the names' case-blind index (``ix_workspaces_name_nocase``): names
    are ASCII, all below DEL, and NOCASE folds ASCII letters only, so ``[term, term + DEL)``
    holds exactly the names starting with the term in any case, with '%' and '_' as
    themselves. PostgreSQL's collation may not order names byte by byte, so there it is an
    ILIKE.
    """
    if not _on_sqlite():
        return Workspace.name.istartswith(term, autoescape=True)
    folded = Workspace.name.collate("NOCASE")
    return and_(folded >= term, folded < term + "\x7f")


def _name_filter(conditions: dict[str, dict[str, Any]]) -> list[Any]:
    """The WHERE terms of a workspace list filter, through the adapters list's operators."""
    return [Workspace.name.icontains(value, autoescape=True) if operator == "$like"
            else FILTER_CLAUSES[operator](getattr(Workspace, field), value)
            for field, operators in conditions.items()
            for operator, value in operators.items()]


def members(workspace: str) -> list[Membership]:
    """A workspace's members, by principal."""
    return list(db.session.scalars(select(Membership).where(Membership.workspace == workspace)
                                   .order_by(Membership.principal)))


# --- writes -----------------------------------------------------------------------------------

def create_workspace(name: str, description: str | None, actor: str) -> Workspace:
    """A new workspace; ``actor`` becomes its Admin (unless sign-in is off)."""
    now = utcnow()
    workspace = Workspace(name=name, id=str(uuid.uuid4()), description=description,
                          adapter_count=0, created_at=now, updated_at=now, created_by=actor,
                          updated_by=actor)
    admin = [] if actor == rules.LOCAL else [Membership(
        workspace=name, principal=actor, roles="Admin", granted_at=now, granted_by=actor)]
    try:
        with one_writer():
            db.session.add_all([workspace, *admin])
            db.session.flush()  # a taken name fails here, before any event
            activity.record(name, activity.WORKSPACE_CREATED, actor, now,
                            changes=activity.changed({}, {"description": description}))
            for member in admin:
                activity.record(name, activity.MEMBER_ADDED, actor, now, member.principal,
                                activity.changed({}, {"roles": member.roles}))
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise WorkspaceError(409, f"Workspace '{name}' already exists") from None
    return workspace


def update_workspace(workspace: Workspace, description: str | None, actor: str) -> Workspace:
    """A new description; the answer is the record as this change committed it."""
    with one_writer():
        # read again, locked, inside the write: the last change is taken against the newest
        _reread(workspace, with_for_update=True)
        before = workspace.description
        workspace.description = description
        workspace.updated_at = max(utcnow(), workspace.updated_at)  # never backwards
        workspace.updated_by = actor
        db.session.flush()
        activity.record(workspace.name, activity.WORKSPACE_CHANGED, actor, workspace.updated_at,
                        changes=activity.changed({"description": before},
                                                 {"description": description}))
        db.session.expunge(workspace)  # not expired by the commit, so never read again
        db.session.commit()
    return workspace


def delete_workspace(workspace: Workspace, actor: str) -> None:
    """Delete an empty workspace with its members; 409 while it holds adapters. Its history
    stays."""
    with one_writer():
        _reread(workspace)
        if workspace.adapter_count:
            db.session.rollback()
            raise WorkspaceError(409, f"Workspace '{workspace.name}' still holds "
                                      f"{workspace.adapter_count} adapters: delete them first")
        for table in (Membership, WorkspaceModel, ModelTypeCount):
            db.session.execute(delete(table).where(table.workspace == workspace.name))
        db.session.delete(workspace)
        activity.record(workspace.name, activity.WORKSPACE_DELETED, actor, utcnow(),
                        changes=activity.changed({"description": workspace.description}, {}))
        db.session.commit()


def _reread(workspace: Workspace, with_for_update: bool = False) -> None:
    """Read the record again inside a write; 404 if another request deleted it meanwhile."""
    name = workspace.name
    statement = (select(Workspace).where(Workspace.name == name)
                 .execution_options(populate_existing=True))
    if db.session.scalars(statement.with_for_update(of=Workspace) if with_for_update
                          else statement).first() is None:
        db.session.rollback()
        raise WorkspaceError(404, f"Workspace '{name}' not found")


def known_principal(principal: str) -> bool:
    """Whether a principal can hold roles: '*' or an existing user."""
    return principal == rules.EVERYONE or db.session.scalar(
        select(func.count()).select_from(User).where(User.username == principal)) > 0


def set_member(workspace: str, principal: str, roles: list[str], actor: str,
               add: bool) -> Membership:
    """Give a principal roles (added to theirs with ``add``, else replacing them)."""
    with one_writer():
        had_admin = _has_admin(workspace)
        member = db.session.get(Membership, (workspace, principal))
        if member is None:
            if not add:
                db.session.rollback()
                raise WorkspaceError(404, f"Member '{principal}' not found in workspace "
                                          f"'{workspace}'")
            member = Membership(workspace=workspace, principal=principal, roles="",
                                granted_at=utcnow(), granted_by=actor)
            db.session.add(member)
        before = member.roles
        held = set(split_roles(before)) if add else set()
        member.roles = _join_roles(held | set(roles))
        _keep_an_admin(workspace, had_admin)
        if member.roles != before:  # roles held already: nothing changed, nothing recorded
            activity.record(workspace, activity.MEMBER_CHANGED if before else
                            activity.MEMBER_ADDED, actor, utcnow(), principal,
                            activity.changed({"roles": before or None}, {"roles": member.roles}))
        db.session.commit()
    return member


def remove_member(workspace: str, principal: str, actor: str) -> None:
    """Take every role of a principal away; the last Admin cannot go."""
    with one_writer():
        had_admin = _has_admin(workspace)
        member = db.session.get(Membership, (workspace, principal))
        if member is None:
            db.session.rollback()
            raise WorkspaceError(404, f"Member '{principal}' not found in workspace "
                                      f"'{workspace}'")
        db.session.delete(member)
        _keep_an_admin(workspace, had_admin)
        activity.record(workspace, activity.MEMBER_REMOVED, actor, utcnow(), principal,
                        activity.changed({"roles": member.roles}, {}))
        db.session.commit()


def _has_admin(workspace: str) -> bool:
    db.session.flush()
    rows = db.session.scalars(select(Membership.roles)
                              .where(Membership.workspace == workspace)).all()
    return any("Admin" in split_roles(roles) for roles in rows)


def _keep_an_admin(workspace: str, had_admin: bool) -> None:
    """Inside a change of members: refuse it if the workspace had an Admin and would have
    none."""
    if had_admin and not _has_admin(workspace):
        db.session.rollback()
        raise WorkspaceError(409, f"Workspace '{workspace}' must keep at least one Admin")
