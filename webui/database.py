"""The database's lifecycle: connection settings, schema preparation under its locks, the
instance secret, the writer lock that queues writers on a SQLite file, and what happens when
the database is down, busy, full, read-only, deleted or replaced: a 503 with ``Retry-After``,
never a 500, and recovery by itself once the cause is gone.

``queries`` reads and writes; this module makes sure there is a database to do it in.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote

import flask_migrate
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import ServiceUnavailable

from . import models  # noqa: F401  (the tables a new database is made with)
from .extensions import db, migrate

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the advisory lock PostgreSQL holds while one process prepares the schema.
_SCHEMA_LOCK_KEY = 0x77656275  # "webu"


# How long a write may wait for the database (the writer lock, a lock held by another
# program, PostgreSQL's row locks) before it is answered 503: far below gunicorn's timeout.
WRITE_WAIT_SECONDS = 5.0
# What a 503 asks the client to wait before trying again, in seconds.
RETRY_AFTER = 5
# A reader on SQLite in WAL mode waits only in rare moments (a WAL reset); this bounds it.
_SQLITE_BUSY_MS = 100


class Unavailable(ServiceUnavailable):
    """The database cannot be used right now: a 503 with ``Retry-After``; ``cause`` is logged."""

    description = ("The registry cannot reach its database right now. "
                   "Nothing was changed; try again in a few seconds.")

    def __init__(self, cause: str, kind: str = "unreachable",
                 retry_after: int = RETRY_AFTER) -> None:
        super().__init__(retry_after=retry_after)
        self.cause = cause
        self.kind = kind  # what the health check reports: unreachable, missing, replaced, busy


@dataclass(eq=False)
class _State:
    """What one process knows of its database: prepared yet, which file, the last failure."""

    url: URL
    path: Path | None  # the SQLite file, if the database is one
    prepared: bool = False
    creating: bool = False  # only while the first process makes a new SQLite file
    identity: tuple[int, int] | None = None  # the file's (device, inode) when it was prepared
    lock: threading.Lock = field(default_factory=threading.Lock)
    write_failure: tuple[float, str] | None = None  # when, and why, the last write failed

    @property
    def marker(self) -> Path | None:
        """The writer lock file beside the database: made with it, so it outlives a deletion."""
        return None if self.path is None else Path(f"{self.path}-writer.lock")


def init_app(app: Flask) -> None:
    """Bind the database to the app, and prepare the schema if the database answers.

    When it does not, the app starts anyway: each request tries again (and answers 503 until
    the database is back), so a server never dies of a database that is down at its start.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    _engine_options(app, url)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    path = None if url.database in (None, "", ":memory:") else Path(url.database)
    state = _State(url, path if url.get_backend_name() == "sqlite" else None)
    app.extensions["webui.database"] = state
    with app.app_context():
        if state.path is not None:
            event.listen(db.engine, "do_connect", _never_create(state))
        if url.get_backend_name() == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "handle_error", _sqlite_faults_reconnect)
        try:
            ensure_ready()
        except (Unavailable, SQLAlchemyError, OSError) as error:  # a worker that failed to
            # start would stop the whole server: start, and answer from the next request on
            app.logger.warning("Starting without the database (%s): it is tried again on each "
                               "request", getattr(error, "cause", error))
    app.before_request_funcs.setdefault(None, []).insert(0, _before_request)
    for error in (Unavailable, OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, _database_fault)


def _engine_options(app: Flask, url: URL) -> None:
    """Bounded waits everywhere; on PostgreSQL, connections checked before use, so the ones a
    restart left dead are replaced instead of failing a request."""
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if url.database not in (None, "", ":memory:"):  # a pool of connections, not just one
        options.setdefault("pool_timeout", WRITE_WAIT_SECONDS)
    if url.get_backend_name() == "postgresql":
        options.setdefault("pool_pre_ping", True)
        arguments = options.setdefault("connect_args", {})
        arguments.setdefault("connect_timeout", 3)
        arguments.setdefault("options", f"-c lock_timeout={int(WRITE_WAIT_SECONDS * 1000)}")


def _state() -> _State:
    return current_app.extensions["webui.database"]


def _never_create(state: _State):
    """Open the SQLite file read-write but never make it, except while preparing a new one: a
    deleted database must not come back empty beside the one the other processes still use."""
    def connect(dialect, _record, _arguments, parameters):
        if state.creating:
            return None  # the default: make the file
        target = f"file:{quote(str(state.path))}?mode=rw"
        return dialect.loaded_dbapi.connect(target, **{**parameters, "uri": True})
    return connect


# Each connection's page cache, in KiB (SQLite's default is 2 000). At 1 000 000 adapters a
# search of a common word, or a workspace's listing, reads a working set of 16 to 32 MiB: with
# the default they went back to the file on every request (two-word search 13 ms, listing
# 15 ms in-process; with this, 9 ms each). Grown only as used, at most pool size x this.
_SQLITE_CACHE_KIB = 32 * 1024


def _sqlite_pragmas(connection: sqlite3.Connection, _record: object) -> None:
    """WAL for concurrent readers, a short busy timeout (writers queue on the writer lock
    instead), FULL sync (a 201 is on disk), and a page cache that holds a large registry's
    working set."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
    cursor.close()


# SQLite errors after which a connection must not be used again: one opened while the file was
# read-only stays read-only forever; one that hit a full disk or an I/O error may be unsound.
_SQLITE_UNSOUND = ("readonly", "read-only", "disk is full", "disk i/o error",
                   "unable to open database file")


def _sqlite_faults_reconnect(context) -> None:
    """Treat those errors as a lost connection: SQLAlchemy drops it and the pool opens new ones
    on the next request, so writes work again by themselves once the cause is gone."""
    message = str(context.original_exception).lower()
    if any(fault in message for fault in _SQLITE_UNSOUND):
        context.is_disconnect = True


def ensure_ready() -> None:
    """The database is there, is the one this process started with, and has the newest schema;
    else raise :class:`Unavailable`. Cheap once prepared: a stat of the SQLite file."""
    state = _state()
    if not state.prepared:
        with state.lock:
            if not state.prepared:
                _prepare(state)
    if state.identity is not None:
        _check_identity(state)


def _prepare(state: _State) -> None:
    if state.path is not None and not state.path.exists() and state.marker.exists():
        raise Unavailable(f"the database file {state.path} is missing (deleted?); restore it, "
                          f"or delete {state.marker} to start with a new, empty database",
                          "missing")
    try:
        with _instance_lock(Path(current_app.instance_path) / ".schema.lock"), _database_lock():
            state.creating = state.path is not None and not state.path.exists()
            prepare_schema()
    except (OperationalError, InterfaceError) as error:
        raise Unavailable(f"the database does not answer: {error.orig or error}") from error
    finally:
        state.creating = False
    if state.path is not None:
        try:
            state.identity = _identity(state.path)
        except FileNotFoundError:  # deleted the moment after it was prepared
            raise Unavailable(f"the database file {state.path} was deleted", "missing") from None
        state.marker.touch(exist_ok=True)
    state.prepared = True


def _identity(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_dev, found.st_ino


def _check_identity(state: _State) -> None:
    """The file at the database's path is still the one this process has open."""
    try:
        now = _identity(state.path)
    except FileNotFoundError:
        raise Unavailable(f"the database file {state.path} was deleted while in use; restore "
                          "it and restart the server", "missing") from None
    if now != state.identity:
        raise Unavailable(f"the database file {state.path} was replaced while in use; restart "
                          "the server to use the new file", "replaced")


def _before_request() -> None:
    """Every request but static files and the API document needs the database."""
    endpoint = request.endpoint or ""
    if endpoint not in _WITHOUT_DATABASE and not endpoint.startswith("openapi."):
        ensure_ready()


# the health check reports instead
_WITHOUT_DATABASE = {"static", "favicon.favicon", "health.healthz"}


def _database_fault(error: Exception):
    """A database that is down, busy past its bound, full, read-only or gone: a 503, the cause
    in the log."""
    from .errors import handle_http_error

    cause = error.cause if isinstance(error, Unavailable) else (
        getattr(error, "orig", None) or error)
    current_app.logger.error("The database failed on %s %s: %s", request.method, request.path,
                             cause)
    try:
        db.session.rollback()
    except DBAPIError:
        pass  # the connection is gone; the pool drops it
    return handle_http_error(error if isinstance(error, Unavailable) else Unavailable(str(cause)))


def note_write_failure(error: Exception) -> None:
    """Remember a failed write for the health check (per process, for a few seconds)."""
    _state().write_failure = (time.monotonic(), str(getattr(error, "orig", None) or error))


def health() -> str:
    """'ok', or what is wrong with the database: unreachable, missing, replaced, not writable."""
    state = _state()
    try:
        ensure_ready()
        db.session.execute(text("SELECT 1"))
    except Unavailable as error:
        return error.kind
    except (OperationalError, InterfaceError, PoolTimeout):
        db.session.rollback()
        return "unreachable"
    if not _writable(state):
        return "not writable"
    return "ok"


_RECENT_FAILURE_SECONDS = 10.0
_MIN_FREE_BYTES = 64 * 1024


def _writable(state: _State) -> bool:
    """No write failed in the last seconds, and on SQLite the file opens for writing and its
    file system has room."""
    failed = state.write_failure
    if failed is not None and time.monotonic() - failed[0] < _RECENT_FAILURE_SECONDS:
        return False
    if state.path is None:
        return True
    # access(), not an open and close: closing any descriptor of the file would drop the
    # POSIX locks SQLite holds on it in this process
    if not os.access(state.path, os.W_OK):
        return False
    try:
        room = os.statvfs(state.path.parent)
    except OSError:
        return False
    return room.f_bavail * room.f_frsize >= _MIN_FREE_BYTES


def prepare_schema() -> None:
    """Bring the database to the newest schema version, whatever it starts from."""
    tables = set(inspect(db.engine).get_table_names())
    if "adapters" not in tables:  # a new database: made at the newest version at once
        db.create_all()
        flask_migrate.stamp(revision="head")
        return
    if "alembic_version" not in tables:  # made by the first release, before versions
        flask_migrate.stamp(revision="0001")
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head_revision():
        flask_migrate.upgrade()


@cache
def head_revision() -> str | None:
    """The newest migration (read once per process)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


@contextmanager
def _instance_lock(path: Path) -> Iterator[None]:
    """One process at a time (server workers start together and would race on the schema)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _database_lock() -> Iterator[None]:
    """On PostgreSQL, one process at a time across machines, held by the server itself."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK_KEY})
            connection.commit()


def instance_secret(path: Path) -> str:
    """The instance's secret key: made once, kept in the instance folder.

    Written to a temporary file and linked into place, so processes starting together agree.
    """
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(secrets.token_hex(32))
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


_WRITER_LOCKS: dict[str, tuple[threading.Lock, int]] = {}


@contextmanager
def one_writer(wait: float | None = None) -> Iterator[None]:
    """A write: on a SQLite file, one writer at a time across threads and worker processes,
    its transaction opened with the database's write lock held; everywhere, a bounded wait.

    Waiting writers queue on a file lock beside the database and hand over the moment the one
    before is done (SQLite's own busy wait polls with sleeps of up to 100 ms). The waits are
    short sleeps, which a gevent worker spends serving other requests; past ``wait`` seconds
    the write is answered 503 (:class:`Unavailable`) and changes nothing.
    """
    state = _state()
    if wait is None:
        wait = current_app.config.get("WRITE_WAIT_SECONDS", WRITE_WAIT_SECONDS)
    try:
        if state.path is None:
            yield
        else:
            with _writer_turn(state, time.monotonic() + wait):
                yield
    except (OperationalError, InterfaceError) as error:
        note_write_failure(error)
        raise
    state.write_failure = None


@contextmanager
def _writer_turn(state: _State, deadline: float) -> Iterator[None]:
    lock, descriptor = _WRITER_LOCKS.get(str(state.path)) or _writer_lock(str(state.path))
    if not lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
        raise Unavailable("a write waited too long for the writer lock", "busy", 1)
    try:
        _until(deadline, lambda: _try_flock(descriptor), "the writer lock")
        try:
            _check_identity(state)
            _begin_immediate(deadline)
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        lock.release()


def _try_flock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _begin_immediate(deadline: float) -> None:
    """Take SQLite's write lock now, so a program holding it makes this write wait here, for
    a bounded time, rather than fail halfway."""
    connection = db.session.connection()
    if connection.connection.dbapi_connection.in_transaction:
        return  # this request already wrote: its transaction holds the lock

    tries = 0

    def begin() -> bool:
        nonlocal tries
        tries += 1
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError as error:
            if "locked" not in str(error.orig) and "busy" not in str(error.orig):
                raise
            if tries == 1:  # held by another program: try again without SQLite's blocking wait
                connection.exec_driver_sql("PRAGMA busy_timeout=0")
            return False
        return True

    try:
        _until(deadline, begin, "the database's write lock (held by another program)")
    finally:
        if tries > 1:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")


def _until(deadline: float, attempt, what: str) -> None:
    """Call ``attempt`` until it succeeds, sleeping a little between tries, up to ``deadline``."""
    pause = 0.001
    while not attempt():
        if time.monotonic() >= deadline:
            raise Unavailable(f"a write waited too long for {what}", "busy", 1)
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def _writer_lock(database: str) -> tuple[threading.Lock, int]:
    descriptor = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    return _WRITER_LOCKS.setdefault(database, (threading.Lock(), descriptor))
