"""The workspaces index with many workspaces: its first page, a search by name and its last page.

A SQLite file made by the app is filled with ``--workspaces`` workspaces (one adapter each, so
each workspace's counter row is the app's own, made from its adapters), served by the app under
gunicorn and measured with wrk like every other request kind. On PostgreSQL it is not measured.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from bench.load import Kind, measure_app
from bench.seed import (
    COUNTER_TABLES,
    LOAD_PRAGMAS,
    SEED_COLUMNS,
    SEED_START,
    app_schema,
    remove_database,
)

# Ten teams' worth of prefixes: a search for one of them matches a tenth of the workspaces.
PREFIXES = ("research", "support", "vision", "speech", "legal", "finance", "search", "ops",
            "platform", "data")
SEARCHED = "research"
INDEX_PAGE_SIZE = 25  # the index's default page size
REFERENCE = "index_reference"  # measured beside the index, judged by no target


def workspace_names(count: int) -> list[str]:
    """The seeded workspaces' names, deterministic."""
    return [f"{PREFIXES[number % len(PREFIXES)]}-{number:05d}" for number in range(count)]


def index_kinds(count: int) -> list[Kind]:
    """The index's request kinds: page 1, a search by name, the last page; and, for scale, the
    adapters listing of one workspace on the same server (not a target of its own)."""
    last = max(1, math.ceil(count / INDEX_PAGE_SIZE))
    return [
        Kind("index_page1", "(g) workspaces index, page 1", "GET", "/", 200),
        Kind("index_search", f"(g) workspaces index, search '{SEARCHED}'", "GET",
             f"/?q={SEARCHED}", 200),
        Kind("index_last", f"(g) workspaces index, page {last} (last)", "GET",
             f"/?page={last}", 200),
        Kind(REFERENCE, "(d) HTML listing, one workspace (for scale)", "GET",
             f"/workspaces/{workspace_names(1)[0]}/adapters", 200),
    ]


def _seed(path: Path, instance: Path, count: int) -> None:
    """The app's schema, then ``count`` workspaces of one adapter each, in one transaction."""
    remove_database(path)
    app_schema(f"sqlite:///{path}", instance)
    insert = (f"INSERT INTO adapters ({', '.join(SEED_COLUMNS)}) "
              f"VALUES ({', '.join('?' * len(SEED_COLUMNS))})")
    step = timedelta(days=365) / count
    rows = []
    for number, workspace in enumerate(workspace_names(count)):
        stamp = (SEED_START + step * number).isoformat(" ", "microseconds")
        rows.append((workspace, "adapter", None, "fs-001", "lora", 1, 8, 16,
                     "shared/llama-3-8b", stamp, stamp))
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for pragma in LOAD_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN")
        connection.executemany(insert, rows)
        for statement in COUNTER_TABLES.values():
            connection.execute(statement)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")


def run_index(count: int, args: argparse.Namespace, work: Path, run_id: str) -> dict:
    """Seed ``count`` workspaces, serve them, and measure each of the index's request kinds."""
    database = work / f"index-{count}.sqlite3"
    started = time.monotonic()
    _seed(database, work / "instance", count)
    seconds = round(time.monotonic() - started, 2)
    print(f"  seeded {count:,} workspaces in {seconds} s", flush=True)
    try:
        figures = measure_app(database, index_kinds(count), args, work, f"{run_id}-ix", "index",
                              args.p95_rounds)
    finally:
        remove_database(database)
    return {"workspaces": count, "seed_seconds": seconds, "kinds": figures}
