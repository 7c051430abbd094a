"""People: users and their passwords, sign-in sessions, API tokens, failed sign-ins.

Passwords are kept only as argon2id hashes; session keys and tokens only as SHA-256 digests
(they are long random strings, so a fast digest is safe and a lookup is one indexed read).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from . import rules
from .database import Unavailable, one_writer
from .extensions import db
from .models import ApiToken, LoginFailure, LoginSession, User
from .queries import insert_new, utcnow

TOKEN_PREFIX = "wui_"
LAST_USED_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often
LAST_USED_WAIT = 0.2  # seconds: a read never waits longer on a busy database to note it
FAILURES_ALLOWED = 5
FAILURE_WINDOW = timedelta(minutes=15)


class AccountError(Exception):
    """A change to people or tokens that cannot be made; the message says why."""


def digest(secret: str) -> str:
    """The SHA-256 of a session key or a token, as kept."""
    return hashlib.sha256(secret.encode()).hexdigest()


# --- passwords --------------------------------------------------------------------------------

@cache
def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def hasher() -> PasswordHasher:
    """argon2id with the app's cost settings (tests make it cheap)."""
    cost = current_app.config["PASSWORD_COST"]
    return _hasher(cost["time_cost"], cost["memory_cost"])


def hash_password(password: str) -> str:
    """A slow salted hash of a password."""
    return hasher().hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether a password matches a stored hash. With no hash (an unknown user) a stand-in is
    checked instead, so every refusal takes the same time."""
    try:
        return hasher().verify(stored or _stand_in_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _stand_in_hash() -> str:
    cost = current_app.config["PASSWORD_COST"]
    return _stand_in(cost["time_cost"], cost["memory_cost"])


@cache
def _stand_in(time_cost: int, memory_cost: int) -> str:
    return _hasher(time_cost, memory_cost).hash(secrets.token_urlsafe(16))


# --- users ------------------------------------------------------------------------------------

def get_user(username: str) -> User | None:
    """A user by (lower-cased) name."""
    return db.session.scalars(select(User).where(User.username == username)).first()


def create_user(username: str, password: str, platform_admin: bool = False) -> User:
    """A new user; AccountError for a bad or taken name or a short password."""
    username = rules.normalise_username(username)
    if problem := rules.check_username(username) or rules.check_password(password):
        raise AccountError(problem.msg)
    user = User(username=username, password_hash=hash_password(password),
                is_platform_admin=platform_admin, disabled=False, created_at=utcnow())
    if not insert_new(user):
        raise AccountError(f"User '{username}' already exists")
    return user


def list_users() -> list[User]:
    """Every user, by name."""
    return list(db.session.scalars(select(User).order_by(User.username)))


def existing_user(username: str) -> User:
    """A user that must exist (AccountError otherwise)."""
    user = get_user(rules.normalise_username(username))
    if user is None:
        raise AccountError(f"No user called '{username}'")
    return user


def set_disabled(username: str, disabled: bool) -> None:
    """Disable (every session and token refused from now on) or enable a user."""
    user = existing_user(username)
    with one_writer():
        user.disabled = disabled
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        db.session.commit()


def set_password(username: str, password: str) -> None:
    """A new password; ends every session of the user."""
    user = existing_user(username)
    if problem := rules.check_password(password):
        raise AccountError(problem.msg)
    password_hash = hash_password(password)
    with one_writer():
        user.password_hash = password_hash
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        db.session.commit()


# --- sessions ---------------------------------------------------------------------------------

def start_session(user: User) -> str:
    """A new sign-in session; returns the key the cookie carries."""
    key = secrets.token_urlsafe(32)
    with one_writer():
        db.session.add(LoginSession(key_hash=digest(key), user_id=user.id, created_at=utcnow()))
        db.session.commit()
    return key


def session_caller(key: str, workspace: str | None) -> Caller | None:
    """Who a sign-in session acts for, if it still exists and its user is enabled."""
    rows = _run(_SESSION_SQL, workspace, digest(key))
    if not rows or rows[0][3]:  # no such session, or its user is disabled
        return None
    user_id, username, platform_admin = rows[0][:3]
    return Caller(user_id, username, bool(platform_admin), False, _roles(rows))


def end_session(key: str) -> None:
    """Forget a session: its cookie no longer works anywhere."""
    with one_writer():
        db.session.execute(delete(LoginSession).where(LoginSession.key_hash == digest(key)))
        db.session.commit()


# --- failed sign-ins --------------------------------------------------------------------------

def retry_after(username: str) -> int | None:
    """Seconds until ``username`` may try again, when it has failed too often lately."""
    since = utcnow() - FAILURE_WINDOW
    count, first = db.session.execute(
        select(func.count(), func.min(LoginFailure.failed_at))
        .where(LoginFailure.username == username, LoginFailure.failed_at > since)).one()
    if count < FAILURES_ALLOWED:
        return None
    return max(1, int((first + FAILURE_WINDOW - utcnow()).total_seconds()) + 1)


def record_failure(username: str) -> None:
    """Count a failed sign-in for ``username`` (whether or not the user exists)."""
    with one_writer():
        db.session.add(LoginFailure(username=username[:rules.USERNAME_MAX], failed_at=utcnow()))
        db.session.execute(delete(LoginFailure).where(
            LoginFailure.failed_at < utcnow() - FAILURE_WINDOW))
        db.session.commit()


def clear_failures(username: str) -> None:
    """A good sign-in forgets the failures before it."""
    with one_writer():
        db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
        db.session.commit()


# --- tokens -----------------------------------------------------------------------------------

def create_token(user: User, label: str, expires_in_days: int | None = None,
                 read_only: bool = False) -> tuple[str, ApiToken]:
    """A new token for ``user``: its text (shown once, never kept) and its record."""
    if problem := rules.check_token_label(label) or rules.check_expiry_days(expires_in_days):
        raise AccountError(problem.msg)
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id, label=label, token_hash=digest(text),
        prefix=text[len(TOKEN_PREFIX):len(TOKEN_PREFIX) + 8], read_only=read_only,
        created_at=now, last_used_at=None,
        expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days))
    if not insert_new(token):
        raise AccountError(f"A token labelled '{label}' already exists")
    return text, token


def list_tokens(user: User) -> list[ApiToken]:
    """A user's tokens, newest first."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(user: User, label: str) -> bool:
    """Delete a token by its label; False if the user has none so labelled."""
    with one_writer():
        deleted = db.session.execute(delete(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.label == label)).rowcount
        db.session.commit()
    return bool(deleted)


class Caller(NamedTuple):
    """Who a session or a token acts for, with their roles in the workspace the request
    names: read once per request, in one indexed lookup."""

    user_id: int
    username: str
    platform_admin: bool
    read_only: bool
    roles: frozenset[str]  # in the request's workspace (their own and those of '*')


# Every request with credentials runs one of these two lookups, so they go straight to the
# database driver: through SQLAlchemy's statement machinery each cost four times as much (about
# 90 µs against 25 on SQLite), a fifth of a whole list request. Each reads the user and, joined
# on, their own and '*''s roles in the workspace the request names: one indexed lookup.
_ROLES_JOIN = (
    "LEFT OUTER JOIN workspace_members ON workspace_members.workspace = ? "
    "AND workspace_members.principal IN (users.username, '*')")
_SESSION_SQL = (
    "SELECT users.id, users.username, users.is_platform_admin, users.disabled, "
    "workspace_members.roles FROM login_sessions "
    "JOIN users ON users.id = login_sessions.user_id " + _ROLES_JOIN +
    " WHERE login_sessions.key_hash = ?")
_TOKEN_SQL = (
    "SELECT users.id, users.username, users.is_platform_admin, users.disabled, api_tokens.id, "
    "api_tokens.read_only, api_tokens.expires_at, api_tokens.last_used_at, "
    "workspace_members.roles FROM api_tokens "
    "JOIN users ON users.id = api_tokens.user_id " + _ROLES_JOIN +
    " WHERE api_tokens.token_hash = ?")


def _run(sql: str, workspace: str | None, key_digest: str) -> list[tuple]:
    """One of the lookups above, on the session's connection, through the driver itself."""
    connection = db.session.connection()
    if connection.dialect.paramstyle != "qmark":  # psycopg: %s
        sql = sql.replace("?", "%s")
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, (workspace, key_digest))
        return cursor.fetchall()
    finally:
        cursor.close()


def _time(value: datetime | str | None) -> datetime | None:
    """A stored time as the driver hands it back (SQLite: text) as a naive UTC datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _roles(rows: list[tuple]) -> frozenset[str]:
    return frozenset(role for row in rows if row[-1] for role in row[-1].split(","))


def token_caller(text: str, workspace: str | None) -> Caller | None:
    """Who a live token acts for; None for an unknown, expired or disowned token."""
    if not text.startswith(TOKEN_PREFIX):
        return None
    rows = _run(_TOKEN_SQL, workspace, digest(text))
    if not rows:
        return None
    user_id, username, platform_admin, disabled, token_id, read_only, expires, used, _ = rows[0]
    expires, used = _time(expires), _time(used)
    now = utcnow()
    if disabled or (expires is not None and expires <= now):
        return None
    if used is None or now - used >= LAST_USED_EVERY:
        _mark_used(token_id, now)
    return Caller(user_id, username, bool(platform_admin), bool(read_only), _roles(rows))


def _mark_used(token_id: int, now: datetime) -> None:
    """Best effort: a busy, full or read-only database must not fail the read it rides on."""
    try:
        with one_writer(wait=LAST_USED_WAIT):
            db.session.execute(update(ApiToken).where(ApiToken.id == token_id)
                               .values(last_used_at=now))
            db.session.commit()
    except (Unavailable, OperationalError):
        db.session.rollback()


def token_summary(token: ApiToken) -> dict[str, Any]:
    """What the CLI and the tokens page show of a token (never its text)."""
    return {"label": token.label, "prefix": TOKEN_PREFIX + token.prefix,
            "created_at": token.created_at, "expires_at": token.expires_at,
            "last_used_at": token.last_used_at, "read_only": token.read_only}
