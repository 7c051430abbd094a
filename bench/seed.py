"""The seeded SQLite files: made by the app, bulk-filled with raw sqlite3, cached between runs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from bench import ONE, ONE_WORKSPACE, SECRET_KEY, SEED_VERSION, SPREAD_WORKSPACES

MODELS = ("shared/llama-3-8b", "shared/llama-3-70b", "shared/mistral-7b", "shared/gemma-2-9b",
          "shared/qwen-2-7b", "{workspace}/base-model", "{workspace}/support-bot")
DESCRIPTIONS = ("Support bot, March data", "Summaries of internal reports",
                "Code review assistant, Python and Go", "Translation EN-DE, legal texts",
                "Customer emails, tone: friendly", "SQL from questions, analytics team")
SEED_START = datetime(2025, 6, 1)
SEED_SPAN = timedelta(days=365)
CHUNK = 200_000  # rows per transaction while seeding

SEED_COLUMNS = ("workspace", "name", "description", "fileset", "finetuning_type", "enabled",
                "lora_rank", "lora_alpha", "model", "created_at", "updated_at")

# The tables the app keeps in step with the adapters, and how to fill them from the adapters.
COUNTER_TABLES = {
    "workspaces": "INSERT INTO workspaces (name, adapter_count, updated_at) "
                  "SELECT workspace, COUNT(*), MAX(updated_at) FROM adapters GROUP BY workspace",
    "workspace_models": "INSERT INTO workspace_models (workspace, model, adapter_count) "
                        "SELECT workspace, model, COUNT(*) FROM adapters GROUP BY workspace, model",
    "model_type_counts": "INSERT INTO model_type_counts "
                         "(model, workspace, finetuning_type, adapter_count) "
                         "SELECT model, workspace, finetuning_type, COUNT(*) FROM adapters "
                         "GROUP BY model, workspace, finetuning_type",
    # each adapter's creation in the activity history, as the app records it (names, models
    # and filesets hold no quote or backslash, so the JSON is written as text on either side)
    "activity_events": "INSERT INTO activity_events (at, actor, workspace, kind, subject, "
                       "changes) SELECT created_at, 'bench', workspace, 'adapter.created', "
                       "name, '{\"model\":{\"old\":null,\"new\":\"' || model || "
                       "'\"},\"fileset\":{\"old\":null,\"new\":\"' || fileset || "
                       "'\"},\"finetuning_type\":{\"old\":null,\"new\":\"' || "
                       "finetuning_type || '\"},\"enabled\":{\"old\":null,\"new\":' || "
                       "CASE WHEN enabled THEN 'true' ELSE 'false' END || '}}' "
                       "FROM adapters ORDER BY id",
}
# Tables the seeding knows need nothing (or are the app's own bookkeeping).
# People and their credentials start empty on purpose (sign-in off needs none; the sign-in
# rounds add their own user), and so do workspace memberships.
PEOPLE_TABLES = ("users", "login_sessions", "api_tokens", "login_failures", "workspace_members")
KNOWN_TABLES = {"adapters", "alembic_version", *COUNTER_TABLES, *PEOPLE_TABLES}

# The app's own indexes on the adapters (those SQLite makes for constraints have no SQL).
ADAPTER_INDEXES = ("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                   "AND tbl_name = 'adapters' AND sql IS NOT NULL")
# Pragmas for a throwaway bulk load: nothing needs to survive a crash half-way.
LOAD_PRAGMAS = ("journal_mode=DELETE", "journal_mode=OFF", "synchronous=OFF",
                "cache_size=-1000000", "temp_store=MEMORY")


def seed_rows(size: int, layout: str) -> Iterator[tuple]:
    """The seeded adapters, deterministic, in ``created_at`` order."""
    # The app is imported only once a database is seeded: the options are read without it.
    from webui import rules

    types, lora_types = rules.FINETUNING_TYPES, rules.LORA_TYPES
    step = SEED_SPAN / size
    for number in range(size):
        workspace = ONE_WORKSPACE if layout == ONE else SPREAD_WORKSPACES[number % 100]
        finetuning_type = types[number % len(types)]
        model = MODELS[(number * 7 + number // 25) % len(MODELS)].format(workspace=workspace)
        if finetuning_type in lora_types:
            rank = (8, 16, 32, 64)[number % 4]
            lora = (rank, None if number % 3 == 0 else rank * 2)
        else:
            lora = (None, None)
        created = SEED_START + step * number
        updated = created + timedelta(seconds=(number * 7919) % (30 * 86400))
        yield (
            workspace,
            f"adapter-{number:07d}",
            None if number % 11 == 0 else f"{DESCRIPTIONS[number % len(DESCRIPTIONS)]} #{number}",
            f"{workspace}/dataset-{number % 1000:04d}" if number % 2 else f"fs-{number % 500:03d}",
            finetuning_type,
            0 if number % 5 == 0 else 1,
            *lora,
            model,
            created.isoformat(" ", "microseconds"),  # as SQLAlchemy stores a DateTime
            updated.isoformat(" ", "microseconds"),
        )


def check_adapter_columns(required: dict[str, bool]) -> None:
    """Stop when the adapters table (column: required without a default) outgrew the seeding."""
    unknown = [name for name, needed in required.items() if needed and name not in SEED_COLUMNS]
    if unknown or not set(SEED_COLUMNS) <= set(required):
        raise SystemExit(f"the adapters table changed ({sorted(required)}); update bench/seed.py")


def tables_left_empty(tables: set[str]) -> list[str]:
    """Tables of the app's schema this seeding does not know how to fill, with a warning."""
    from webui.models import is_model_table  # the name index is filled by the app's triggers

    unknown = sorted(name for name in tables - KNOWN_TABLES if is_model_table(name))
    if unknown:
        print(f"  WARNING: tables the seeding leaves empty: {', '.join(unknown)}", flush=True)
    return unknown


def app_schema(url: str, instance: Path) -> None:
    """The app's schema, made by the app itself on an empty database."""
    import webui
    from webui.extensions import db

    app = webui.create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                            "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def compact_search_index(url: str, instance: Path) -> None:
    """The search index in one piece, as `flask --app webui search-index compact` leaves it
    after a bulk load (the seeding's inserts leave it in about ten)."""
    import webui
    from webui import queries
    from webui.extensions import db

    app = webui.create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                            "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        queries.compact_search_index()
        db.session.remove()
        db.engine.dispose()  # the last connection closed: the WAL is checkpointed and gone


def remove_database(path: Path) -> None:
    """A SQLite file gone, with its WAL and shared-memory files."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)


def _schema_signature(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        schema = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    return json.dumps([schema, version])


def _table_names(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


@contextlib.contextmanager
def indexes_rebuilt(connection, query: str) -> Iterator[None]:
    """The indexes ``query`` lists (name, definition) dropped, and made again after the block."""
    # Load first, index after, with the app's own definitions replayed verbatim: a sorted index
    # build is much faster than a million B-tree inserts.
    indexes = connection.execute(query).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        connection.execute(sql)


def _load_adapters(connection: sqlite3.Connection, size: int, layout: str) -> None:
    """The adapters in big transactions, the app's indexes dropped first and made again after."""
    insert = (f"INSERT INTO adapters ({', '.join(SEED_COLUMNS)}) "
              f"VALUES ({', '.join('?' * len(SEED_COLUMNS))})")
    rows = seed_rows(size, layout)
    with indexes_rebuilt(connection, ADAPTER_INDEXES):
        while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
            connection.execute("BEGIN")
            connection.executemany(insert, chunk)
            connection.execute("COMMIT")


def _bulk_fill(path: Path, size: int, layout: str) -> None:
    """Fill the app-made file: the adapters, then the counter rows; left in WAL mode."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        check_adapter_columns({
            name: bool(notnull) and default is None and not pk
            for _, name, _, notnull, default, pk in connection.execute(
                "PRAGMA table_info(adapters)")})
        for pragma in LOAD_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
        _load_adapters(connection, size, layout)
        tables = _table_names(connection)
        connection.execute("BEGIN")
        for table, statement in COUNTER_TABLES.items():
            if table in tables:
                connection.execute(f"DELETE FROM {table}")
                connection.execute(statement)
        connection.execute("COMMIT")
        if connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
            raise SystemExit("could not put the seeded file in WAL mode")
    finally:
        connection.close()


def seeded_file(cache: Path, instance: Path, size: int, layout: str, reuse: bool) -> dict:
    """The path of a seeded file for this size and layout, from the cache when it fits."""
    cache.mkdir(parents=True, exist_ok=True)
    fresh = cache / f".seeding-{layout}-{size}.sqlite3"
    started = time.monotonic()
    remove_database(fresh)
    app_schema(f"sqlite:///{fresh}", instance)
    key = hashlib.sha256(json.dumps(
        [SEED_VERSION, size, layout, _schema_signature(fresh)]).encode()).hexdigest()[:16]
    target = cache / f"{layout}-{size}-{key}.sqlite3"
    for stale in cache.glob(f"{layout}-{size}-*.sqlite3"):
        if stale != target:
            stale.unlink()
    cached = reuse and target.exists()
    if cached:
        fresh.unlink()
    else:
        _bulk_fill(fresh, size, layout)
        compact_search_index(f"sqlite:///{fresh}", instance)
        fresh.replace(target)
    for leftover in cache.glob(f".seeding-{layout}-{size}.sqlite3-*"):
        leftover.unlink()
    with contextlib.closing(sqlite3.connect(target)) as connection:
        tables = _table_names(connection)
    unknown = tables_left_empty(tables)
    return {"path": target, "cached": cached, "seconds": round(time.monotonic() - started, 2),
            "bytes": target.stat().st_size, "tables_left_empty": unknown}


def working_copy(source: Path, target: Path) -> Path:
    """A copy to serve (the cached file stays pristine), flushed so writeback is not measured."""
    remove_database(target)
    shutil.copyfile(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    return target
