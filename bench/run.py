"""The benchmark behind ``make bench``: the app under gunicorn, on SQLite, driven by wrk.

For each size (default 1 000, 100 000 and 1 000 000 adapters) it

1. seeds two SQLite files, created by ``webui.create_app`` (so the schema, the indexes and the
   workspace counter table are the app's own) and then bulk-filled with raw ``sqlite3``: one
   with every adapter in the workspace ``bench``, one with the adapters spread over the
   100 workspaces ``ws000``..``ws099``. A seeded file is kept in the cache directory and reused
   while the seeding parameters and the app's schema stay the same;
2. serves a copy of each with ``gunicorn -w WORKERS 'webui:create_app()'`` on 127.0.0.1 and
   measures each request kind with ``wrk`` for a fixed time (requests/s, p50/p95/p99);
3. serves a copy of the same files with the baseline (``bench/baseline.py``: Flask + raw
   sqlite3, same schema, indexes and pragmas) under the same gunicorn settings and measures
   its create and list, so every figure also stands as a ratio to it.

The figures go to ``bench/results/latest.json`` and ``bench/RESULTS.md`` (with the targets,
met or missed and by how much). Only the Python standard library (and the app, to create the
schema) is used here; no traffic leaves 127.0.0.1.

With ``--database-url postgresql+psycopg://...`` (or ``--database-url-from-env
TEST_DATABASE_URL`` under ``tests/with-postgres.sh``) the same request kinds are measured on
PostgreSQL instead: for each size and layout the app's tables are dropped, made again by
``webui.create_app``, loaded with psycopg's COPY (never cached), their counter tables filled
and the database analysed; then the app alone is served (there is no raw-psycopg baseline, so
the figures are absolute and the baseline-ratio targets are skipped). Its figures go to
``bench/results/latest-postgresql.json`` and ``bench/RESULTS-postgresql.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import html
import importlib.metadata
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

# Bump when the seeded rows change, so cached files are not reused.
SEED_VERSION = 1
ONE = "one"  # every adapter in one workspace
SPREAD = "spread"  # adapters spread over 100 workspaces
LAYOUT_LABELS = {ONE: "one workspace", SPREAD: "100 workspaces"}
ONE_WORKSPACE = "bench"
SPREAD_WORKSPACES = [f"ws{number:03d}" for number in range(100)]
SPREAD_MEASURED = "ws042"  # the workspace the spread layout is measured in
SECRET_KEY = "benchmark-secret-key"
PAGE_SIZE = 100  # the API's default page size
MODELS = ("shared/llama-3-8b", "shared/llama-3-70b", "shared/mistral-7b", "shared/gemma-2-9b",
          "shared/qwen-2-7b", "{workspace}/base-model", "{workspace}/support-bot")
DESCRIPTIONS = ("Support bot, March data", "Summaries of internal reports",
                "Code review assistant, Python and Go", "Translation EN-DE, legal texts",
                "Customer emails, tone: friendly", "SQL from questions, analytics team")
SEED_START = datetime(2025, 6, 1)
SEED_SPAN = timedelta(days=365)
CHUNK = 200_000  # rows per transaction while seeding

# The targets of the issue.
TARGET_GROWTH = 2.0  # list page 1 and the HTML listing at 1M within 2x of their latency at 1 000
TARGET_P95_MS = 50.0  # p95 of every measured request at 100 000
TARGET_RATIO = 0.5  # API create and list: at least half the baseline's throughput


# --- seeding ------------------------------------------------------------------------------------


def _finetuning_types() -> tuple[tuple[str, ...], frozenset[str]]:
    from webui import rules

    return rules.FINETUNING_TYPES, rules.LORA_TYPES


def _rows(size: int, layout: str):
    """The seeded adapters, deterministic, in ``created_at`` order."""
    types, lora_types = _finetuning_types()
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


SEED_COLUMNS = ("workspace", "name", "description", "fileset", "finetuning_type", "enabled",
                "lora_rank", "lora_alpha", "model", "created_at", "updated_at")


# The tables the app keeps in step with the adapters, and how to fill them from the adapters.
COUNTER_TABLES = {
    "workspaces": "INSERT INTO workspaces (name, adapter_count, updated_at) "
                  "SELECT workspace, COUNT(*), MAX(updated_at) FROM adapters GROUP BY workspace",
    "workspace_models": "INSERT INTO workspace_models (workspace, model, adapter_count) "
                        "SELECT workspace, model, COUNT(*) FROM adapters GROUP BY workspace, model",
}
# Tables the seeding knows need nothing (or are the app's own bookkeeping).
KNOWN_TABLES = {"adapters", "alembic_version", *COUNTER_TABLES}


def unknown_tables(path: Path) -> list[str]:
    """Tables of the app's schema this seeding does not know how to fill (reported)."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    from webui.models import is_model_table  # the name index is filled by the app's triggers

    return sorted(name for name in set(names) - KNOWN_TABLES if is_model_table(name))


def _app_schema(url: str, instance: Path) -> None:
    """The app's schema, made by the app itself on an empty database."""
    import webui
    from webui.extensions import db

    app = webui.create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                            "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _create_schema(path: Path, instance: Path) -> None:
    """An empty SQLite file made by the app itself."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    _app_schema(f"sqlite:///{path}", instance)


def _schema_signature(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        schema = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    return json.dumps([schema, version])


def _bulk_fill(path: Path, size: int, layout: str) -> None:
    """Fill the app-made file: the adapters in big transactions, then the counter rows."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        columns = {row[1]: row for row in connection.execute("PRAGMA table_info(adapters)")}
        unknown = [name for name, (_, _, _, notnull, default, pk) in columns.items()
                   if notnull and default is None and not pk and name not in SEED_COLUMNS]
        if unknown or not set(SEED_COLUMNS) <= set(columns):
            raise SystemExit(f"the adapters table changed ({sorted(columns)}); update bench/run.py")
        for pragma in ("journal_mode=DELETE", "journal_mode=OFF", "synchronous=OFF",
                       "cache_size=-1000000", "temp_store=MEMORY"):
            connection.execute(f"PRAGMA {pragma}")
        # Load first, index after (the app's own CREATE INDEX statements, replayed verbatim):
        # a sorted index build is much faster than a million B-tree inserts.
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'adapters' "
            "AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        insert = (f"INSERT INTO adapters ({', '.join(SEED_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(SEED_COLUMNS))})")
        rows = _rows(size, layout)
        while True:
            chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
            if not chunk:
                break
            connection.execute("BEGIN")
            connection.executemany(insert, chunk)
            connection.execute("COMMIT")
        for _, sql in indexes:
            connection.execute(sql)
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
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
    _create_schema(fresh, instance)
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
        fresh.replace(target)
    for leftover in cache.glob(f".seeding-{layout}-{size}.sqlite3-*"):
        leftover.unlink()
    unknown = unknown_tables(target)
    if unknown:
        print(f"  WARNING: tables the seeding leaves empty: {', '.join(unknown)}", flush=True)
    return {"path": target, "cached": cached, "seconds": round(time.monotonic() - started, 2),
            "bytes": target.stat().st_size, "tables_left_empty": unknown}


def working_copy(source: Path, target: Path) -> Path:
    """A copy to serve (the cached file stays pristine), flushed so writeback is not measured."""
    for stale in (target, target.with_name(target.name + "-wal"),
                  target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    return target


def remove_database(path: Path) -> None:
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)


# --- seeding PostgreSQL -------------------------------------------------------------------------

APP_TABLES = ("adapters", "workspaces", "workspace_models", "alembic_version")


def postgres_urls(url: str) -> tuple[str, str]:
    """The URL the app is given (SQLAlchemy with psycopg 3) and the one psycopg connects to."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername not in ("postgresql", "postgresql+psycopg"):
        raise SystemExit("--database-url: postgresql+psycopg://user@host:port/db (psycopg 3)")
    return (parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
            parsed.set(drivername="postgresql").render_as_string(hide_password=False))


def drop_app_tables(raw_url: str) -> None:
    import psycopg

    with psycopg.connect(raw_url, autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {', '.join(APP_TABLES)} CASCADE")


def seed_postgres(app_url: str, raw_url: str, instance: Path, size: int, layout: str) -> dict:
    """Fresh tables made by the app, then the rows with COPY (indexes built after), the
    counter rows and ANALYZE. Never cached: the database is seeded again for every layout."""
    import psycopg

    started = time.monotonic()
    drop_app_tables(raw_url)
    _app_schema(app_url, instance)
    with psycopg.connect(raw_url) as connection:  # one transaction, committed on exit
        columns = {name: (nullable, default, identity) for name, nullable, default, identity in
                   connection.execute(
                       "SELECT column_name, is_nullable, column_default, is_identity "
                       "FROM information_schema.columns "
                       "WHERE table_schema = current_schema() AND table_name = 'adapters'")}
        unknown = [name for name, (nullable, default, identity) in columns.items()
                   if nullable == "NO" and default is None and identity != "YES"
                   and name not in SEED_COLUMNS]
        if unknown or not set(SEED_COLUMNS) <= set(columns):
            raise SystemExit(f"the adapters table changed ({sorted(columns)}); update bench/run.py")
        # The app's own indexes, dropped and made again after the load (not those behind the
        # primary key and the unique constraint, which stay).
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'adapters' AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        enabled = SEED_COLUMNS.index("enabled")
        with connection.cursor().copy(
                f"COPY adapters ({', '.join(SEED_COLUMNS)}) FROM STDIN") as copy:
            for row in _rows(size, layout):
                copy.write_row((*row[:enabled], bool(row[enabled]), *row[enabled + 1:]))
        for _, sql in indexes:
            connection.execute(sql)
        for statement in COUNTER_TABLES.values():
            connection.execute(statement)
    with psycopg.connect(raw_url, autocommit=True) as connection:
        # what autovacuum does to a settled table: statistics, and the visibility map that lets
        # a deep page be read off the index alone
        connection.execute("VACUUM ANALYZE")
        tables = {row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")}
        size_bytes = connection.execute(
            "SELECT pg_database_size(current_database())").fetchone()[0]
    from webui.models import is_model_table

    unknown = sorted(name for name in tables - KNOWN_TABLES if is_model_table(name))
    if unknown:
        print(f"  WARNING: tables the seeding leaves empty: {', '.join(unknown)}", flush=True)
    return {"database": "postgresql", "cached": False,
            "seconds": round(time.monotonic() - started, 2), "bytes": size_bytes,
            "tables_left_empty": unknown}


def postgres_server(raw_url: str) -> dict:
    """The server's version and the settings that bear on the figures."""
    import psycopg

    with psycopg.connect(raw_url, autocommit=True) as connection:
        return {name: connection.execute(f"SHOW {name}").fetchone()[0]
                for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers",
                             "max_connections")}


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Never a proxy: every request of the benchmark goes to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 60) -> tuple[int, dict, bytes, float]:
    """One request: status, headers, body and the time it took in ms."""
    assert urllib.parse.urlsplit(url).hostname == "127.0.0.1", url
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    started = time.perf_counter()
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, got, content = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, got, content = error.code, error.headers, error.read()
    return status, got, content, (time.perf_counter() - started) * 1000


@dataclass(eq=False)
class Server:
    """gunicorn in its own process group, stopped (the whole group) on exit."""

    name: str
    app: str
    env: dict[str, str]
    ready_path: str
    workers: int
    log: Path
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        command += ["-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                    "--no-control-socket", "--timeout", "120", *self.extra, self.app]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            log.write(f"\n=== {datetime.now(UTC).isoformat()} {' '.join(command)}\n")
            log.flush()
            self.process = subprocess.Popen(
                command, env={**os.environ, **self.env}, cwd=ROOT, stdout=log, stderr=log,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        _RUNNING.add(self)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: see {self.log}")
                try:
                    if http("GET", self.url + self.ready_path, timeout=30)[0] == 200:
                        return self
                except OSError:
                    time.sleep(0.1)
            raise RuntimeError(f"{self.name} did not start: see {self.log}")
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        # workers left behind by a dead arbiter are still in the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if process is not None:
                os.killpg(process.pid, signal.SIGKILL)
        _RUNNING.discard(self)


_RUNNING: set[Server] = set()


def _stop_everything(signum: int, _frame: object) -> None:
    """Ctrl-C, kill or hangup: stop every server, then leave through the ``finally`` blocks."""
    print(f"\nstopped by signal {signum}", file=sys.stderr)
    for server in list(_RUNNING):
        server.stop()
    raise SystemExit(128 + signum)


# --- load ---------------------------------------------------------------------------------------

LUA_DONE = r"""
function done(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local e = summary.errors
  local function ms(value) return value / 1000 end
  if summary.requests == 0 then
    io.write(string.format('BENCH_JSON {"requests": 0, "duration_s": %.6f, "rps": 0, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
      seconds, e.connect, e.read, e.write, e.status, e.timeout))
    return
  end
  io.write(string.format('BENCH_JSON {"requests": %d, "duration_s": %.6f, "rps": %.3f, ' ..
    '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "mean_ms": %.3f, "max_ms": %.3f, ' ..
    '"bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(95)), ms(latency:percentile(99)),
    ms(latency.mean), ms(latency.max), summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""

# Unique names per request: the run's tag, the wrk thread's id and a counter.
LUA_CREATE = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local tag = "run"
local counter = 0
local types = {"lora", "qlora", "dpo", "p_tuning", "all_weights", "kto", "dora", "ppo"}
function init(args)
  if args[1] then tag = args[1] end
end
function request()
  counter = counter + 1
  local body = string.format('{"name": "new-%s-%d-%d", "model": "llama-3-8b", ' ..
    '"fileset": "dataset-%04d", "finetuning_type": "%s", ' ..
    '"description": "Created by the benchmark", "enabled": true}',
    tag, id, counter, counter % 1000, types[counter % #types + 1])
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


@dataclass
class Kind:
    """One request kind to measure."""

    key: str
    label: str
    method: str
    path: str
    expect: int
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    create: bool = False

    def lua(self) -> str:
        if self.create:
            return LUA_CREATE + LUA_DONE
        lines = [f"wrk.method = {_lua_string(self.method)}"]
        if self.body is not None:
            lines.append(f"wrk.body = {_lua_string(self.body)}")
        for name, value in self.headers.items():
            lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
        return "\n".join(lines) + "\n" + LUA_DONE


def _lua_string(text: str) -> str:
    return "[==[" + text.replace("]==]", "") + "]==]"


def probe(server: Server, kind: Kind, tag: str) -> dict:
    """One request first: the status must be what the kind expects (and it warms the path)."""
    body = kind.body.encode() if kind.body is not None else None
    headers = dict(kind.headers)
    if kind.create:
        body = json.dumps({"name": f"probe-{tag}", "model": "llama-3-8b", "fileset": "fs1",
                           "finetuning_type": "lora"}).encode()
        headers["Content-Type"] = "application/json"
    status, _, content, took = http(kind.method, server.url + kind.path, body, headers,
                                    timeout=120)
    result = {"status": status, "ms": round(took, 3), "ok": status == kind.expect}
    if not result["ok"]:
        result["body"] = content[:300].decode("utf-8", "replace")
    return result


def run_wrk(server: Server, kind: Kind, seconds: int, args: argparse.Namespace, tag: str,
            scripts: Path) -> dict:
    script = scripts / f"{kind.key}.lua"
    script.write_text(kind.lua())
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s",
               "--latency", "--timeout", f"{args.request_timeout}s", "-s", str(script),
               server.url + kind.path, "--", tag]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          stdin=subprocess.DEVNULL)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk gave no figures: {done.stdout}\n{done.stderr}")


def measure(server: Server, kind: Kind, args: argparse.Namespace, scripts: Path,
            run_id: str) -> dict:
    """Probe, warm up, then measure one kind for ``args.seconds``."""
    figures: dict[str, Any] = {"label": kind.label, "method": kind.method, "path": kind.path}
    figures["loadavg_1m_before"] = round(os.getloadavg()[0], 2)
    figures["probe"] = probe(server, kind, f"{run_id}-{kind.key}")
    if args.warmup > 0:
        run_wrk(server, kind, args.warmup, args, f"{run_id}w", scripts)
    started = time.monotonic()
    figures.update(run_wrk(server, kind, args.seconds, args, f"{run_id}m", scripts))
    figures["wall_s"] = round(time.monotonic() - started, 2)
    print(f"    {kind.label:<42} {figures['rps']:>9.1f} req/s  "
          f"p50 {_fmt(figures.get('p50_ms'))} p95 {_fmt(figures.get('p95_ms'))} "
          f"p99 {_fmt(figures.get('p99_ms'))} ms  n={figures['requests']}"
          + ("" if figures["probe"]["ok"] else f"  PROBE {figures['probe']['status']}")
          + (f"  errors={figures['errors']}" if any(figures["errors"].values()) else ""),
          flush=True)
    return figures


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:7.2f}"


def csrf_headers(server: Server, workspace: str) -> dict[str, str]:
    """The session cookie and CSRF token a browser would have after opening the form."""
    status, headers, content, _ = http("GET", f"{server.url}/workspaces/{workspace}/adapters/new")
    if status != 200:
        raise RuntimeError(f"the create form answered {status}")
    cookies = [cookie.split(";", 1)[0] for cookie in headers.get_all("Set-Cookie") or []]
    page = content.decode()
    token = None
    for tag in re.findall(r"<input[^>]*>", page):
        if 'name="csrf_token"' in tag and (found := re.search(r'value="([^"]+)"', tag)):
            token = html.unescape(found.group(1))
            break
    if token is None and (found := re.search(r'"X-CSRFToken":\s*"([^"]+)"', html.unescape(page))):
        token = found.group(1)
    if not cookies or token is None:
        raise RuntimeError("no session cookie or CSRF token on the create form")
    return {"Cookie": "; ".join(cookies), "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded"}


API = "/apis/models/v2/workspaces"


def app_kinds(size: int, layout: str) -> list[Kind]:
    """The app's request kinds for a layout; creates last, so reads see exactly ``size`` rows."""
    if layout == SPREAD:
        workspace = SPREAD_MEASURED
        return [
            Kind("list_page1", "(b) API list, page 1", "GET", f"{API}/{workspace}/adapters", 200),
            Kind("html_listing", "(d) HTML listing", "GET", f"/workspaces/{workspace}/adapters",
                 200),
        ]
    workspace = ONE_WORKSPACE
    last_page = max(1, math.ceil(size / PAGE_SIZE))
    like = urllib.parse.urlencode({"filter[name][$like]": "00012", "sort": "-updated_at"})
    shown = f"adapter-{min(500, size - 1):07d}"
    return [
        Kind("list_page1", "(b) API list, page 1", "GET", f"{API}/{workspace}/adapters", 200),
        Kind("list_deep", f"(b) API list, page {last_page} (last)", "GET",
             f"{API}/{workspace}/adapters?page={last_page}", 200),
        Kind("list_like_sort", "(c) API list, $like filter + sort", "GET",
             f"{API}/{workspace}/adapters?{like}", 200),
        Kind("html_listing", "(d) HTML listing", "GET", f"/workspaces/{workspace}/adapters", 200),
        Kind("html_adapter", "(e) HTML adapter page", "GET",
             f"/workspaces/{workspace}/adapters/{shown}", 200),
        Kind("validate", "(f) per-field validation (name)", "POST",
             f"/workspaces/{workspace}/adapters/new/validate?field=name", 200,
             body="name=fresh-adapter-name"),
        Kind("create", "(a) API create", "POST", f"{API}/{workspace}/adapters", 201,
             create=True),
    ]


def baseline_kinds(layout: str) -> list[Kind]:
    workspace = ONE_WORKSPACE if layout == ONE else SPREAD_MEASURED
    kinds = [Kind("list_page1", "baseline: list, page 1", "GET", f"{API}/{workspace}/adapters",
                  200)]
    if layout == ONE:
        kinds.append(Kind("create", "baseline: create", "POST", f"{API}/{workspace}/adapters",
                          201, create=True))
    return kinds


# --- the run ------------------------------------------------------------------------------------


def database_path(url: str) -> Path:
    """The working file the run derives its databases from (``sqlite:///path``)."""
    if not url.startswith("sqlite:///"):
        raise SystemExit("--database-url must be a SQLite URL (sqlite:///path) or a "
                         "PostgreSQL one (postgresql+psycopg://user@host:port/db)")
    path = Path(url.removeprefix("sqlite:///"))
    return path if path.is_absolute() else ROOT / path


def machine() -> dict:
    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    cpu = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "webui", "templates"],
                           capture_output=True, text=True, cwd=ROOT)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_mib": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk.stdout or wrk.stderr or "?").splitlines()[0].split(" Copyright")[0],
        "gunicorn": version("gunicorn"),
        "flask": version("flask"),
        "sqlalchemy": version("sqlalchemy"),
        "git_commit": commit.stdout.strip() or None,
        "app_changes_uncommitted": bool(dirty.stdout.strip()),
        "loadavg_start": [round(value, 2) for value in os.getloadavg()],
    }


def run_size(size: int, args: argparse.Namespace, work: Path, run_id: str) -> dict:
    """Seed, then measure the app and the baseline on both layouts.

    Both servers run side by side (each on its own copy of the seeded file; the idle one costs
    nothing), and each baseline figure is taken right after the app's figure it is compared
    with, so a busy moment of the machine hits both sides of a ratio alike.

    On PostgreSQL (``args.postgres``) the database is seeded afresh for each layout and the
    app is measured alone: there is no baseline.
    """
    result: dict[str, Any] = {"seed": {}, "app": {}, "baseline": {}}
    instance = work / "instance"
    scripts = work / "lua"
    scripts.mkdir(parents=True, exist_ok=True)
    logs = Path(args.output).parent / "logs"
    for layout in (ONE, SPREAD):
        if args.postgres:
            app_url, raw_url = args.postgres
            seeded = seed_postgres(app_url, raw_url, instance, size, layout)
            print(f"  {LAYOUT_LABELS[layout]}: seeded PostgreSQL "
                  f"({seeded['bytes'] / 2**20:.0f} MiB database) in {seeded['seconds']} s",
                  flush=True)
            result["seed"][layout] = seeded
        else:
            seeded = seeded_file(Path(args.cache_dir), instance, size, layout,
                                 not args.no_cache)
            print(f"  {LAYOUT_LABELS[layout]}: seeded file {seeded['path'].name} "
                  f"({seeded['bytes'] / 2**20:.0f} MiB, "
                  f"{'from the cache' if seeded['cached'] else 'seeded'} in "
                  f"{seeded['seconds']} s)", flush=True)
            result["seed"][layout] = {**seeded, "path": str(seeded["path"])}
            app_url = f"sqlite:///{work / f'app-{layout}-{size}.sqlite3'}"
        workspace = ONE_WORKSPACE if layout == ONE else SPREAD_MEASURED
        app_db = work / f"app-{layout}-{size}.sqlite3"
        base_db = work / f"baseline-{layout}-{size}.sqlite3"
        app_figures: dict[str, Any] = {}
        base_figures: dict[str, Any] = {}
        baseline = {} if args.postgres else {kind.key: kind for kind in baseline_kinds(layout)}
        try:
            if not args.postgres:
                working_copy(seeded["path"], app_db)
                working_copy(seeded["path"], base_db)
            app_env = {"DATABASE_URL": app_url,
                       "WEBUI_INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET_KEY}
            with contextlib.ExitStack() as servers:
                app_server = servers.enter_context(
                    Server("app", "webui:create_app()", app_env, "/apis/openapi.json",
                           args.workers, logs / "app.log"))
                if baseline:
                    base_server = servers.enter_context(
                        Server("baseline", "baseline:create_app()",
                               {"BASELINE_DATABASE": str(base_db)},
                               f"{API}/{workspace}/adapters?page_size=1", args.workers,
                               logs / "baseline.log", extra=["--pythonpath", str(BENCH)]))
                for kind in app_kinds(size, layout):
                    if kind.key == "validate":
                        kind.headers = csrf_headers(app_server, ONE_WORKSPACE)
                    app_figures[kind.key] = measure(app_server, kind, args, scripts,
                                                    f"{run_id}-{size}")
                    if kind.key in baseline:
                        base_figures[kind.key] = measure(base_server, baseline[kind.key], args,
                                                         scripts, f"{run_id}-{size}b")
        finally:
            remove_database(app_db)
            remove_database(base_db)
        result["app"][layout] = app_figures
        result["baseline"][layout] = base_figures
    return result


# --- ratios, targets, Markdown ------------------------------------------------------------------


def _get(results: dict, size: int, side: str, layout: str, key: str) -> dict | None:
    return results.get(str(size), {}).get(side, {}).get(layout, {}).get(key)


def add_ratios(results: dict) -> None:
    """Each app figure against the baseline of the same size and layout: throughput (create
    against create, every read against the baseline's list page 1) and p50 latency."""
    for per_size in results.values():
        for layout, kinds in per_size["app"].items():
            for key, figures in kinds.items():
                reference_key = "create" if key == "create" else "list_page1"
                reference = per_size["baseline"].get(layout, {}).get(reference_key)
                if reference is None or not reference.get("rps"):
                    continue
                figures["baseline_reference"] = f"baseline {reference_key} ({layout})"
                figures["rps_ratio"] = round(figures["rps"] / reference["rps"], 4)
                if figures.get("p50_ms") and reference.get("p50_ms"):
                    figures["p50_ratio"] = round(figures["p50_ms"] / reference["p50_ms"], 4)


def targets(results: dict) -> list[dict]:
    """Each target of the issue: the measured value, met or missed, and by how much."""
    found: list[dict] = []
    small, large, middle = "1000", "1000000", "100000"
    for key, label in (("list_page1", "API list page 1"), ("html_listing", "HTML listing")):
        name = f"{label}: p50 at 1 000 000 adapters (one workspace) within 2x of p50 at 1 000"
        base = _get(results, int(small), "app", ONE, key) if small in results else None
        big = _get(results, int(large), "app", ONE, key) if large in results else None
        if not (base and big and base.get("p50_ms") and big.get("p50_ms")):
            found.append({"target": name, "result": "not measured"})
            continue
        allowed = TARGET_GROWTH * base["p50_ms"]
        growth = big["p50_ms"] / base["p50_ms"]
        entry = {"target": name, "measured": f"{big['p50_ms']:.2f} ms vs {base['p50_ms']:.2f} ms "
                 f"= {growth:.2f}x (p95 {big['p95_ms']:.2f} vs {base['p95_ms']:.2f} ms)",
                 "value": round(growth, 3), "limit": TARGET_GROWTH}
        if big["p50_ms"] <= allowed:
            entry["result"] = "met"
        else:
            entry["result"] = "missed"
            entry["by"] = (f"{big['p50_ms'] - allowed:.2f} ms over the allowed "
                           f"{allowed:.2f} ms (+{(growth / TARGET_GROWTH - 1) * 100:.0f}%)")
        found.append(entry)
    if middle in results:
        for layout, kinds in results[middle]["app"].items():
            for key, figures in kinds.items():
                name = (f"p95 under {TARGET_P95_MS:g} ms at 100 000 adapters: {figures['label']} "
                        f"({LAYOUT_LABELS[layout]})")
                p95 = figures.get("p95_ms")
                if p95 is None:
                    found.append({"target": name, "result": "missed",
                                  "by": "no request finished in the measured time"})
                    continue
                entry = {"target": name, "measured": f"p95 {p95:.2f} ms", "value": p95,
                         "limit": TARGET_P95_MS}
                reference = _get(results, int(middle), "baseline", layout, key)
                if reference and reference.get("p95_ms") is not None:
                    entry["measured"] += (f" ({reference['label']}: "
                                          f"p95 {reference['p95_ms']:.2f} ms)")
                if p95 < TARGET_P95_MS:
                    entry["result"] = "met"
                else:
                    entry["result"] = "missed"
                    entry["by"] = (f"{p95 - TARGET_P95_MS:.2f} ms over "
                                   f"(+{(p95 / TARGET_P95_MS - 1) * 100:.0f}%)")
                found.append(entry)
    else:
        found.append({"target": f"p95 under {TARGET_P95_MS:g} ms at 100 000 adapters",
                      "result": "not measured"})
    for key, label in (("create", "API create"), ("list_page1", "API list page 1")):
        for size in results:
            for layout in (ONE, SPREAD):
                figures = _get(results, int(size), "app", layout, key)
                reference = _get(results, int(size), "baseline", layout, key)
                if not figures or not reference:
                    continue
                name = (f"{label}: at least {TARGET_RATIO:.0%} of the baseline's throughput, "
                        f"{_count(size)} adapters ({LAYOUT_LABELS[layout]})")
                ratio = figures["rps"] / reference["rps"] if reference["rps"] else 0.0
                entry = {"target": name, "measured": f"{figures['rps']:.1f} vs "
                         f"{reference['rps']:.1f} req/s = {ratio:.0%}", "value": round(ratio, 4),
                         "limit": TARGET_RATIO}
                if ratio >= TARGET_RATIO:
                    entry["result"] = "met"
                else:
                    needed = TARGET_RATIO * reference["rps"]
                    entry["result"] = "missed"
                    entry["by"] = (f"{(TARGET_RATIO - ratio) * 100:.0f} points short: "
                                   f"{needed - figures['rps']:.1f} req/s more needed "
                                   f"(to {needed:.1f})")
                found.append(entry)
    return found


def _count(size: int | str) -> str:
    return f"{int(size):,}".replace(",", " ")


def _cell(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}".replace(",", " ")


def markdown_postgresql(report: dict) -> list[str]:
    """The heading and the method, on PostgreSQL."""
    m, s = report["machine"], report["settings"]
    pg = m["postgresql"]
    return [
        "# Benchmark results: PostgreSQL",
        "",
        f"Written by `bench/run.py --database-url postgresql+psycopg://…` on {m['date']}: "
        f"{m['nproc']} cores ({m['cpu']}), {m['memory_mib']} MiB, Python {m['python']}, "
        f"PostgreSQL {pg['server_version']} (fsync {pg['fsync']}, synchronous_commit "
        f"{pg['synchronous_commit']}, shared_buffers {pg['shared_buffers']}) on the same machine, "
        f"psycopg {m['psycopg']}, gunicorn {m['gunicorn']}, {m['wrk']}; app commit "
        f"`{(m['git_commit'] or '?')[:12]}`"
        + (" with uncommitted changes in webui/ or templates/" if m["app_changes_uncommitted"]
           else "") + ".",
        "",
        f"Each figure: `wrk -t{s['threads']} -c{s['connections']} -d{s['seconds']:g}s` on "
        f"127.0.0.1 after a {s['warmup']:g} s warm-up, against gunicorn with {s['workers']} sync "
        "workers on PostgreSQL. Latencies are in ms; wrk is closed-loop (each connection waits "
        "for its answer), so latency includes queueing behind the other connections. For every "
        "size and layout the app's tables are dropped, made again by `webui.create_app` (the "
        "app's schema and indexes), loaded with `COPY` (the app's indexes built after the load), "
        "the counter tables filled from the rows, and the database analysed; seeds are not "
        "cached. Reads are measured first and creates last.",
        "",
        "**No baseline on PostgreSQL**: there is no raw-psycopg counterpart of "
        "`bench/baseline.py`, so the figures are absolute (the ratio columns are –) and the "
        "baseline-ratio targets are skipped; the latency targets are kept. Raw figures: "
        "`bench/results/latest-postgresql.json` (not committed). SQLite figures: "
        "[`RESULTS.md`](RESULTS.md).",
        "",
    ]


def markdown(report: dict) -> str:
    m, s = report["machine"], report["settings"]
    postgres = s.get("database") == "postgresql"
    lines = markdown_postgresql(report) if postgres else [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`bench/run.py`) on {m['date']}: {m['nproc']} cores "
        f"({m['cpu']}), {m['memory_mib']} MiB, Python {m['python']}, SQLite {m['sqlite']}, "
        f"gunicorn {m['gunicorn']}, {m['wrk']}; app commit `{(m['git_commit'] or '?')[:12]}`"
        + (" with uncommitted changes in webui/ or templates/" if m["app_changes_uncommitted"]
           else "") + ".",
        "",
        f"Each figure: `wrk -t{s['threads']} -c{s['connections']} -d{s['seconds']:g}s` on "
        f"127.0.0.1 after a {s['warmup']:g} s warm-up, against gunicorn with {s['workers']} sync "
        "workers on a SQLite file (WAL, `synchronous=FULL`, 30 s busy timeout). Latencies are "
        "in ms; wrk is closed-loop (each connection waits for its answer), so latency includes "
        "queueing behind the other connections. The files are seeded through `webui.create_app` "
        "(the app's schema and indexes) and bulk-filled; every size is measured on a fresh copy, "
        "reads first and creates last; each baseline figure is taken right after the app figure "
        "it is compared with. The *baseline* is `bench/baseline.py`: Flask and raw "
        "`sqlite3` on a copy of the same file, same pragmas and gunicorn settings; its create "
        "inserts the row and bumps the counter rows the app keeps (workspace count, per-workspace "
        "model count) in one transaction, its list reads the workspace counter and one "
        "`ORDER BY created_at, name LIMIT 100 OFFSET …` page, with no validation, ORM, sessions "
        "or security headers. Seeding loads the rows first and then builds the app's indexes "
        "(replaying its `CREATE INDEX` statements), so those indexes are compactly packed.",
        "",
        "*× baseline* is throughput divided by the baseline's (create against the baseline's "
        "create; every read against the baseline's list page 1 in the same layout); "
        "*p50 ÷ baseline* is the same for the median latency. Raw figures, with error counts and "
        "the machine details: `bench/results/latest.json` (not committed).",
        "",
    ]
    for size, per_size in report["results"].items():
        lines += [f"## {_count(size)} adapters", "",
                  "| request | layout | req/s | p50 | p95 | p99 | × baseline | p50 ÷ baseline "
                  "| n | errors |",
                  "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
        rows = []
        for layout in (ONE, SPREAD):
            rows += [(figures, layout) for figures in per_size["app"].get(layout, {}).values()]
        rows.sort(key=lambda pair: (pair[0]["label"][:3], pair[1] != ONE))
        for layout in (ONE, SPREAD):
            rows += [(figures, layout)
                     for figures in per_size["baseline"].get(layout, {}).values()]
        for figures, layout in rows:
            errors = sum(figures.get("errors", {}).values())
            probe = figures.get("probe", {})
            if not probe.get("ok", True):
                errors_cell = f"{errors} (probe: {probe.get('status')})"
            else:
                errors_cell = str(errors)
            path = urllib.parse.unquote(figures["path"]).replace("|", "\\|")
            lines.append(
                f"| {figures['label']} <br>`{figures['method']} {path}` | "
                f"{LAYOUT_LABELS[layout]} | {_cell(figures.get('rps'), 1)} | "
                f"{_cell(figures.get('p50_ms'))} | {_cell(figures.get('p95_ms'))} | "
                f"{_cell(figures.get('p99_ms'))} | "
                + (f"{figures['rps_ratio']:.2f}" if "rps_ratio" in figures else "–") + " | "
                + (f"{figures['p50_ratio']:.2f}" if "p50_ratio" in figures else "–")
                + f" | {figures.get('requests', 0)} | {errors_cell} |"
            )
        seeds = "; ".join(
            f"{LAYOUT_LABELS[layout]}: {seed['bytes'] / 2**20:.0f} MiB, "
            + ("from the cache" if seed["cached"] else f"seeded in {seed['seconds']} s")
            for layout, seed in per_size["seed"].items())
        lines += ["", f"{'Database' if postgres else 'Files'}: {seeds}.", ""]
    lines += ["## Targets", "", "| target | measured | result | by how much |",
              "|---|---|---|---|"]
    for entry in report["targets"]:
        lines.append(f"| {entry['target']} | {entry.get('measured', '–')} | "
                     f"**{entry['result']}** | {entry.get('by', '')} |")
    met = sum(entry["result"] == "met" for entry in report["targets"])
    loads = [figures["loadavg_1m_before"] for per_size in report["results"].values()
             for side in ("app", "baseline") for kinds in per_size[side].values()
             for figures in kinds.values() if "loadavg_1m_before" in figures]
    load = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "?"
    lines += ["", f"{met} of {len(report['targets'])} met"
              + (" (the baseline-ratio targets are skipped: no PostgreSQL baseline)"
                 if postgres else "") + ". Run time: "
              f"{report['seconds_total']:.0f} s. The 1-minute load average before the "
              f"measurements ranged {load} on {m['nproc']} cores (the server and wrk themselves "
              "account for about 2 of it; more means other work shared the machine"
              + ("" if postgres else ", which the ratios to the baseline, each measured right "
                 "after its app figure, partly cancel") + ").", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000",
                        help="adapter counts, comma-separated (default: %(default)s)")
    parser.add_argument("--seconds", type=int, default=5,
                        help="measured seconds per request kind (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="warm-up seconds before each measurement (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn workers, app and baseline (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default: 2)")
    parser.add_argument("--connections", type=int, default=8,
                        help="wrk connections (default: %(default)s)")
    parser.add_argument("--request-timeout", type=int, default=10,
                        help="wrk's per-request timeout in seconds (default: %(default)s)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default="sqlite:///bench/results/run/bench.sqlite3",
                       help="sqlite:///path: where the working files go, each size and layout "
                            "gets its own file beside it (default: %(default)s); or "
                            "postgresql+psycopg://user@host:port/db: a throwaway database whose "
                            "app tables are dropped and seeded again for every size and layout")
    where.add_argument("--database-url-from-env", metavar="NAME",
                       help="take --database-url from this environment variable (e.g. "
                            "TEST_DATABASE_URL under tests/with-postgres.sh)")
    parser.add_argument("--cache-dir", default=str(BENCH / "results" / "cache"),
                        help="seeded files kept between runs (default: bench/results/cache)")
    parser.add_argument("--no-cache", action="store_true", help="seed again even if cached")
    parser.add_argument("--output", help="the JSON figures (default: bench/results/latest.json, "
                        "or latest-postgresql.json on PostgreSQL)")
    parser.add_argument("--markdown", help="the Markdown report (default: bench/RESULTS.md, or "
                        "bench/RESULTS-postgresql.md on PostgreSQL)")
    args = parser.parse_args(argv)
    if args.database_url_from_env:
        args.database_url = os.environ.get(args.database_url_from_env)
        if not args.database_url:
            parser.error(f"{args.database_url_from_env} is not set")
    postgres = args.database_url.startswith("postgresql")
    args.postgres = postgres_urls(args.database_url) if postgres else None
    suffix = "-postgresql" if postgres else ""
    args.output = args.output or str(BENCH / "results" / f"latest{suffix}.json")
    args.markdown = args.markdown or str(BENCH / f"RESULTS{suffix}.md")
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    if any(size < 1 for size in sizes):
        parser.error("sizes must be positive")
    if args.seconds < 1 or args.warmup < 0 or args.request_timeout < 1:
        parser.error("wrk takes whole seconds: --seconds >= 1, --warmup >= 0")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (make bench installs it)")

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_everything)
    made_parent = False
    if args.postgres:  # the instance folder and the wrk scripts only
        work_file = None
        work = Path(tempfile.mkdtemp(prefix="bench-postgresql-"))
    else:
        work_file = database_path(args.database_url)
        made_parent = not work_file.parent.exists()
        work_file.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=work_file.stem + "-", dir=work_file.parent))
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    started = time.monotonic()
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {"database": "postgresql" if args.postgres else "sqlite",
                     "sizes": sizes, "seconds": args.seconds, "warmup": args.warmup,
                     "workers": args.workers, "threads": args.threads,
                     "connections": args.connections, "request_timeout_s": args.request_timeout,
                     "page_size": PAGE_SIZE, "seed_version": SEED_VERSION,
                     "spread_workspace_measured": SPREAD_MEASURED},
        "results": {},
    }
    if args.postgres:
        report["machine"]["postgresql"] = postgres_server(args.postgres[1])
        report["machine"]["psycopg"] = importlib.metadata.version("psycopg")
        print(f"PostgreSQL {report['machine']['postgresql']['server_version']}: "
              "no baseline, absolute figures only", flush=True)
    try:
        for size in sizes:
            print(f"{_count(size)} adapters", flush=True)
            report["results"][str(size)] = run_size(size, args, work, run_id)
    finally:
        for server in list(_RUNNING):
            server.stop()
        if args.postgres:  # the seeded rows are not kept
            with contextlib.suppress(Exception):
                drop_app_tables(args.postgres[1])
        shutil.rmtree(work, ignore_errors=True)
        if made_parent and work_file is not None:
            with contextlib.suppress(OSError):
                work_file.parent.rmdir()
    report["machine"]["loadavg_end"] = [round(value, 2) for value in os.getloadavg()]
    report["seconds_total"] = round(time.monotonic() - started, 1)
    add_ratios(report["results"])
    report["targets"] = targets(report["results"])
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    Path(args.markdown).write_text(markdown(report))
    print(f"\n{output} and {args.markdown} written ({report['seconds_total']:.0f} s)")
    for entry in report["targets"]:
        print(f"  {entry['result']:>12}  {entry['target']}"
              + (f" — {entry['by']}" if entry.get("by") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
