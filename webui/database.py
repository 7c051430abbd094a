"""The database's lifecycle: connection settings, schema preparation under its locks, the
instance secret, and the writer lock that queues writers on a SQLite file.

``queries`` reads and writes; this module makes sure there is a database to do it in.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import flask_migrate
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event, inspect, text

from . import models  # noqa: F401  (the tables a new database is made with)
from .extensions import db, migrate

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the advisory lock PostgreSQL holds while one process prepares the schema.
_SCHEMA_LOCK_KEY = 0x77656275  # "webu"


def init_app(app: Flask) -> None:
    """Bind the database to the app, set up its connections, and bring its schema up to date."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        with _instance_lock(Path(app.instance_path) / ".schema.lock"), _database_lock():
            prepare_schema()


def _sqlite_pragmas(connection: sqlite3.Connection, _record: object) -> None:
    """WAL for concurrent readers, a busy timeout for writers, and FULL sync: a 201 is on disk."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


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
def one_writer() -> Iterator[None]:
    """On a SQLite file, let one writer at a time in, across threads and worker processes.

    SQLite admits one writer anyway, but a waiting writer polls with growing sleeps (up to
    100 ms each); a blocking file lock hands over the moment the writer before is done, which
    cuts the slow tail of writes under load. Other databases need nothing of the kind.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    lock, descriptor = _WRITER_LOCKS.get(url.database) or _writer_lock(url.database)
    with lock:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _writer_lock(database: str) -> tuple[threading.Lock, int]:
    descriptor = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    return _WRITER_LOCKS.setdefault(database, (threading.Lock(), descriptor))
