"""The PostgreSQL mode's database: the app's tables made again, loaded with COPY, not cached."""

from __future__ import annotations

import time
from pathlib import Path

from bench.seed import (
    COUNTER_TABLES,
    SEED_COLUMNS,
    app_schema,
    check_adapter_columns,
    indexes_rebuilt,
    seed_rows,
    tables_left_empty,
)

APP_TABLES = ("adapters", "workspaces", "workspace_models", "model_type_counts",
              "alembic_version",
              "users", "login_sessions", "api_tokens", "login_failures", "workspace_members")
# The app's own indexes on the adapters, not those behind the primary key and the unique
# constraint: those stay through the load.
ADAPTER_INDEXES = ("SELECT indexname, indexdef FROM pg_indexes "
                   "WHERE schemaname = current_schema() AND tablename = 'adapters' "
                   "AND indexname NOT IN (SELECT conname FROM pg_constraint)")


def postgres_urls(url: str) -> tuple[str, str]:
    """The URL the app is given (SQLAlchemy with psycopg 3) and the one psycopg connects to."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername not in ("postgresql", "postgresql+psycopg"):
        raise SystemExit("--database-url: postgresql+psycopg://user@host:port/db (psycopg 3)")
    return (parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
            parsed.set(drivername="postgresql").render_as_string(hide_password=False))


def drop_app_tables(raw_url: str) -> None:
    """The app's tables gone from the database, with whatever depends on them."""
    # psycopg is imported only here: it is the optional ``postgres`` extra.
    import psycopg

    with psycopg.connect(raw_url, autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {', '.join(APP_TABLES)} CASCADE")


def postgres_server(raw_url: str) -> dict:
    """The server's version and the settings that bear on the figures."""
    import psycopg

    with psycopg.connect(raw_url, autocommit=True) as connection:
        return {name: connection.execute(f"SHOW {name}").fetchone()[0]
                for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers",
                             "max_connections")}


def _load(connection, size: int, layout: str) -> None:
    """The rows with COPY (the app's indexes built after), then the counter rows."""
    check_adapter_columns({
        name: nullable == "NO" and default is None and identity != "YES"
        for name, nullable, default, identity in connection.execute(
            "SELECT column_name, is_nullable, column_default, is_identity "
            "FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'adapters'")})
    enabled = SEED_COLUMNS.index("enabled")
    copy_sql = f"COPY adapters ({', '.join(SEED_COLUMNS)}) FROM STDIN"
    with indexes_rebuilt(connection, ADAPTER_INDEXES), connection.cursor().copy(copy_sql) as copy:
        for row in seed_rows(size, layout):
            # SQLite's 0 and 1 are a boolean column here
            copy.write_row((*row[:enabled], bool(row[enabled]), *row[enabled + 1:]))
    for statement in COUNTER_TABLES.values():
        connection.execute(statement)


def seed_postgres(app_url: str, raw_url: str, instance: Path, size: int, layout: str) -> dict:
    """Fresh tables made by the app, loaded, then vacuumed and analysed; never cached."""
    import psycopg

    started = time.monotonic()
    drop_app_tables(raw_url)
    app_schema(app_url, instance)
    with psycopg.connect(raw_url) as connection:  # one transaction, committed on exit
        _load(connection, size, layout)
    with psycopg.connect(raw_url, autocommit=True) as connection:
        # what autovacuum does to a settled table: statistics, and the visibility map that lets
        # a deep page be read off the index alone
        connection.execute("VACUUM ANALYZE")
        tables = {row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")}
        size_bytes = connection.execute(
            "SELECT pg_database_size(current_database())").fetchone()[0]
    return {"database": "postgresql", "cached": False,
            "seconds": round(time.monotonic() - started, 2), "bytes": size_bytes,
            "tables_left_empty": tables_left_empty(tables)}
