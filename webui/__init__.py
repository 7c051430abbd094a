"""webui: a registry of fine-tuned model adapters, per workspace."""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import flask_migrate
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event, inspect, text

from . import api, errors, health, openapi, rules, security, views
from .extensions import csrf, db, migrate

_PROJECT = Path(__file__).resolve().parent.parent
HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, and the schema on first start."""
    test_config = dict(test_config or {})
    app = Flask(
        __name__,
        instance_path=test_config.pop("INSTANCE_PATH", None)
        or os.environ.get("WEBUI_INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=str(_PROJECT / "templates"),
        static_folder=str(_PROJECT / "static"),
    )
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'webui.sqlite3'}",
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", rules.MAX_BODY_BYTES)),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # htmx from a CDN, pinned, checked by its SRI hash; HTMX_URL=/static/vendor/htmx.min.js
        # (make vendor-htmx) serves a self-hosted copy of the same file instead.
        HTMX_URL=os.environ.get("HTMX_URL", HTMX_CDN_URL),
        HTMX_INTEGRITY=HTMX_INTEGRITY,
        HTMX_CONFIG={
            "allowEval": False,
            "includeIndicatorStyles": False,
            "responseHandling": [
                {"code": "204", "swap": False},
                {"code": "[23]..", "swap": True},
                {"code": "422", "swap": True},
                {"code": "[45]..", "swap": False, "error": True},
            ],
        },
    )
    app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    app.json.sort_keys = False  # the Adapter object's key order is part of the contract

    # '/a//b' (or an escaped '..%2f') is not a route: no redirect that turns it into one
    app.url_map.merge_slashes = False
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(health.bp)
    csrf.exempt(api.bp)  # scripts send JSON, which a cross-site form cannot (415)
    errors.register(app)
    security.register(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        with _instance_lock(Path(app.instance_path) / ".schema.lock"), _database_lock():
            _prepare_schema()
    return app


def _prepare_schema() -> None:
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
    if current != _head_revision():
        flask_migrate.upgrade()


@cache
def _head_revision() -> str | None:
    """The newest migration (read once per process)."""
    script = ScriptDirectory(str(Path(__file__).parent / "migrations"))
    return script.get_current_head()


@contextmanager
def _instance_lock(path: Path) -> Iterator[None]:
    """One process at a time (server workers start together and would race on the schema)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Any fixed number: the advisory lock PostgreSQL holds while one process prepares the schema.
_SCHEMA_LOCK_KEY = 0x77656275  # "webu"


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


def _sqlite_pragmas(connection: sqlite3.Connection, _record: object) -> None:
    """WAL for concurrent readers, a busy timeout for writers, and FULL sync: a 201 is on disk."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _instance_secret(path: Path) -> str:
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
