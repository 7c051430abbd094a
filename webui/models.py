"""The tables: adapters; workspaces with their counts, models and members; the indexes that
serve the search of adapters, `$like` on adapter names and the search of workspace names; the
activity history; and the people who sign in, their sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    Row,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .rules import (
    FILESET_MAX,
    MODEL_MAX,
    NAME_MAX,
    TOKEN_LABEL_MAX,
    USERNAME_MAX,
    format_timestamp,
)

# Every list sort key, served by an index that starts with the workspace and ends with the name
# (the tie-breaker), so a page is read straight off the index.
_SORT_INDEXES = ("created_at", "updated_at", "finetuning_type", "model", "fileset", "enabled")


class Adapter(db.Model):
    """A registered adapter. Times are stored naive, in UTC."""

    __tablename__ = "adapters"
    __table_args__ = (
        UniqueConstraint("workspace", "name", name="uq_adapters_workspace_name"),
        *(Index(f"ix_adapters_workspace_{key}", "workspace", key, "name") for key in _SORT_INDEXES),
        # ids are never used twice: SQLite would otherwise give a deleted last row's id to the
        # next adapter (PostgreSQL's sequences never do)
        {"sqlite_autoincrement": True},
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
    # who made and last changed it: shown on its page, not part of the API's object
    created_by: Mapped[str | None] = mapped_column(String(USERNAME_MAX))
    updated_by: Mapped[str | None] = mapped_column(String(USERNAME_MAX))

    def to_dict(self) -> dict[str, Any]:
        """The Adapter object, keys in the contract's order."""
        return adapter_json(self)


def adapter_json(adapter: Adapter | Row) -> dict[str, Any]:
    """The contract's Adapter object, keys in its order, from a model or a plain row."""
    (_, workspace, name, description, fileset, finetuning_type, enabled, rank, alpha, model,
     created_at, updated_at, *_) = adapter if isinstance(adapter, Row) else _COLUMNS(adapter)
    return {
        "name": name,
        "workspace": workspace,
        "description": description,
        "fileset": fileset,
        "finetuning_type": finetuning_type,
        "enabled": enabled,
        "lora_config": None if rank is None else {"alpha": alpha, "rank": rank},
        "model": model,
        "created_at": format_timestamp(created_at),
        "updated_at": format_timestamp(updated_at),
    }


# A model's values in the table's column order, as a row of the table holds them.
_COLUMNS = attrgetter(*(column.name for column in Adapter.__table__.columns))


# On SQLite, a trigram index (FTS5) of each adapter's name, model, fileset and description,
# kept in step by triggers: a search reads it instead of every row, and so does `$like` on the
# name (a column filter of the same index: one index to keep up on every write, not two).
# Trigram phrases match literal substrings of three characters or more, ignoring case.
# Its rowid is the adapter's id negated: the newest first is the order FTS5 reads fastest
# (see migration 0010). It keeps no copy of the rows (content=''): the triggers hand it the
# old values to delete. Made with the table.
SEARCH_INDEX = "adapter_search"
SEARCH_COLUMNS = ("name", "model", "fileset", "description")
_SEARCHED = ", ".join(SEARCH_COLUMNS)
_NEW = ", ".join(f"new.{column}" for column in SEARCH_COLUMNS)
_OLD = ", ".join(f"old.{column}" for column in SEARCH_COLUMNS)
SEARCH_INDEX_DDL = (
    f"CREATE VIRTUAL TABLE {SEARCH_INDEX} USING fts5("
    f"{_SEARCHED}, content='', tokenize='trigram')",
    f"CREATE TRIGGER {SEARCH_INDEX}_insert AFTER INSERT ON adapters BEGIN "
    f"INSERT INTO {SEARCH_INDEX} (rowid, {_SEARCHED}) VALUES (-new.id, {_NEW}); END",
    f"CREATE TRIGGER {SEARCH_INDEX}_delete AFTER DELETE ON adapters BEGIN "
    f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}, rowid, {_SEARCHED}) "
    f"VALUES ('delete', -old.id, {_OLD}); END",
    f"CREATE TRIGGER {SEARCH_INDEX}_update AFTER UPDATE OF {_SEARCHED} ON adapters BEGIN "
    f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}, rowid, {_SEARCHED}) "
    f"VALUES ('delete', -old.id, {_OLD}); "
    f"INSERT INTO {SEARCH_INDEX} (rowid, {_SEARCHED}) VALUES (-new.id, {_NEW}); END",
)
for _statement in SEARCH_INDEX_DDL:
    event.listen(Adapter.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(Adapter.__table__, "before_drop",
             DDL(f"DROP TABLE IF EXISTS {SEARCH_INDEX}").execute_if(dialect="sqlite"))


# On PostgreSQL, trigram GIN indexes (pg_trgm, a trusted extension since PostgreSQL 13) serve
# ILIKE: one of names for `$like`, one of the four searched fields joined by spaces for the
# search (a word holds no white space, so it never spans two fields). Where pg_trgm cannot be
# had, both scan instead.
NAME_INDEX = "adapter_names"
SEARCH_TEXT_POSTGRESQL = (
    "(name || ' ' || model || ' ' || fileset || ' ' || coalesce(description, ''))")
SEARCH_INDEX_POSTGRESQL = f"""
DO $$ BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS {NAME_INDEX}_trgm ON adapters USING gin (name gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS {SEARCH_INDEX}_trgm ON adapters
        USING gin ({SEARCH_TEXT_POSTGRESQL} gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is not available: searches and $like filters on names will scan';
END $$
"""
event.listen(Adapter.__table__, "after_create",
             DDL(SEARCH_INDEX_POSTGRESQL).execute_if(dialect="postgresql"))


def is_model_table(name: str) -> bool:
    """Whether a table or index is one the models declare (the search and name indexes, made
    by DDL of their own, are not)."""
    return (not name.startswith((SEARCH_INDEX, NAME_INDEX))
            and name != WORKSPACE_NAMES_NOCASE)


class ActivityEvent(db.Model):
    """One change of an adapter, a workspace or its members, appended in the change's own
    transaction and never changed afterwards (see ``webui/activity.py``). ``subject`` names the
    adapter or member changed; ``changes`` is JSON: each field's old and new value."""

    __tablename__ = "activity_events"
    __table_args__ = (
        Index("ix_activity_events_workspace", "workspace", "id"),
        Index("ix_activity_events_subject", "workspace", "subject", "id"),
        {"sqlite_autoincrement": True},  # events are told apart and ordered by id
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(USERNAME_MAX))
    workspace: Mapped[str] = mapped_column(String(NAME_MAX))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(NAME_MAX))
    changes: Mapped[str] = mapped_column(Text)


# The events are never changed: the database refuses an UPDATE or a DELETE of one.
ACTIVITY_APPEND_ONLY = "activity events are never changed or deleted"
ACTIVITY_APPEND_ONLY_SQLITE = tuple(
    f"CREATE TRIGGER activity_events_no_{verb} BEFORE {verb.upper()} ON activity_events "
    f"BEGIN SELECT RAISE(ABORT, '{ACTIVITY_APPEND_ONLY}'); END" for verb in ("update", "delete"))
ACTIVITY_APPEND_ONLY_POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION activity_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{ACTIVITY_APPEND_ONLY}'; END $$;
CREATE TRIGGER activity_events_append_only BEFORE UPDATE OR DELETE ON activity_events
    FOR EACH ROW EXECUTE FUNCTION activity_events_append_only();
"""
for _statement in ACTIVITY_APPEND_ONLY_SQLITE:
    event.listen(ActivityEvent.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))
event.listen(ActivityEvent.__table__, "after_create",
             DDL(ACTIVITY_APPEND_ONLY_POSTGRESQL).execute_if(dialect="postgresql"))
event.listen(ActivityEvent.__table__, "after_drop", DDL(
    "DROP FUNCTION IF EXISTS activity_events_append_only()").execute_if(dialect="postgresql"))


class WorkspaceModel(db.Model):
    """How many adapters of a workspace use a model: the form's suggestions, kept in step with
    the adapters in the same transaction."""

    __tablename__ = "workspace_models"

    workspace: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    model: Mapped[str] = mapped_column(String(MODEL_MAX), primary_key=True)
    adapter_count: Mapped[int] = mapped_column(BigInteger)


class ModelTypeCount(db.Model):
    """How many adapters of a model a workspace holds, per finetuning type (neither changes
    after creation): a model page's counts per workspace and per type, read by the model
    without counting its adapters. Kept in step with the adapters in the same transaction."""

    __tablename__ = "model_type_counts"

    model: Mapped[str] = mapped_column(String(MODEL_MAX), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    finetuning_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    adapter_count: Mapped[int] = mapped_column(BigInteger)


class Workspace(db.Model):
    """A workspace: made on its own, or by its first adapter. Its count and last change are kept
    in step with its adapters in the same transaction, so they never need a scan of them."""

    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    adapter_count: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    id: Mapped[str | None] = mapped_column(String(36))  # a UUID
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(USERNAME_MAX))
    updated_by: Mapped[str | None] = mapped_column(String(USERNAME_MAX))


# On SQLite, workspace names ignoring ASCII case, then as they are: the index's search by name
# reads one range of it, already in order (names are ASCII below DEL, and NOCASE folds ASCII
# letters only). PostgreSQL searches with ILIKE instead.
WORKSPACE_NAMES_NOCASE = "ix_workspaces_name_nocase"
WORKSPACE_NAMES_NOCASE_DDL = (
    f"CREATE INDEX {WORKSPACE_NAMES_NOCASE} ON workspaces (name COLLATE NOCASE, name)")
event.listen(Workspace.__table__, "after_create",
             DDL(WORKSPACE_NAMES_NOCASE_DDL).execute_if(dialect="sqlite"))


class Membership(db.Model):
    """A binding: the roles a principal (a username, or '*' for every signed-in user) holds in
    a workspace."""

    __tablename__ = "workspace_members"

    workspace: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    principal: Mapped[str] = mapped_column(String(USERNAME_MAX), primary_key=True)
    roles: Mapped[str] = mapped_column(String(64))  # comma-separated, in the roles' order
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    granted_by: Mapped[str | None] = mapped_column(String(USERNAME_MAX))


class User(db.Model):
    """A person who signs in. The password is kept only as a slow salted hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class LoginSession(db.Model):
    """A signed-in browser. The cookie carries a random key; only its SHA-256 is kept, and
    deleting the row ends the session everywhere."""

    __tablename__ = "login_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(db.Model):
    """An API token. Only its SHA-256 is kept, and its first characters for people to tell
    tokens apart."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("user_id", "label", name="uq_api_tokens_user_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(TOKEN_LABEL_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginFailure(db.Model):
    """A failed sign-in, counted per username to slow down password guessing (kept in the
    database, so every worker process counts the same)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_failed_at", "username", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    failed_at: Mapped[datetime] = mapped_column(DateTime)
