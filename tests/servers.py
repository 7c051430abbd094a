"""Real servers for tests: gunicorn with `make serve`'s settings (webui/serving.py) on a SQLite
file or a PostgreSQL database, a private PostgreSQL server a test may stop and start, what a
server stored read straight from its database, and the figures a run reached."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
REPORTS = Path(__file__).parent / "reports"


def report(name: str, figures: dict) -> None:
    """Keep the figures a run reached in tests/reports/reliability.json, for
    docs/reliability.md's table."""
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / "reliability.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = figures
    path.write_text(json.dumps(data, indent=2) + "\n")


def query(url: str, sql: str) -> list[dict]:
    """Plain SQL, read straight from the database (not through the app), on either kind."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(text(sql)).mappings()]
    finally:
        engine.dispose()


def rows(url: str) -> dict[str, dict]:
    """Every adapter as stored, by 'workspace/name'."""
    return {f"{row['workspace']}/{row['name']}": row
            for row in query(url, "SELECT * FROM adapters")}


def integrity(url: str) -> str:
    """SQLite's `PRAGMA integrity_check`; PostgreSQL has no such check (and needs none here)."""
    if make_url(url).get_backend_name() != "sqlite":
        return "ok"
    return query(url, "PRAGMA integrity_check")[0]["integrity_check"]


def counters_match(url: str) -> bool:
    """Every workspace's, workspace model's and model type's counter equals the rows it
    counts."""
    counted = {row["workspace"]: row["n"] for row in query(
        url, "SELECT workspace, COUNT(*) AS n FROM adapters GROUP BY workspace")}
    kept = {row["name"]: row["adapter_count"] for row in query(
        url, "SELECT name, adapter_count FROM workspaces WHERE adapter_count > 0")}
    by_model = {(row["workspace"], row["model"]): row["n"] for row in query(
        url, "SELECT workspace, model, COUNT(*) AS n FROM adapters GROUP BY workspace, model")}
    models = {(row["workspace"], row["model"]): row["adapter_count"] for row in query(
        url, "SELECT workspace, model, adapter_count FROM workspace_models "
        "WHERE adapter_count > 0")}
    key = itemgetter("model", "workspace", "finetuning_type")
    by_type = {key(row): row["n"] for row in query(
        url, "SELECT model, workspace, finetuning_type, COUNT(*) AS n FROM adapters "
        "GROUP BY model, workspace, finetuning_type")}
    types = {key(row): row["adapter_count"] for row in query(
        url, "SELECT model, workspace, finetuning_type, adapter_count FROM model_type_counts "
        "WHERE adapter_count > 0")}
    return counted == kept and by_model == models and by_type == types


def moment(value: str | datetime) -> datetime:
    """A time as the API answers it (ISO with Z) or the database holds it (SQLite: text,
    PostgreSQL: a datetime), as a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(
        value.removesuffix("Z"))


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """gunicorn serving the app as `make serve` does, in its own process group."""

    directory: Path
    database_url: str
    workers: int = 4
    port: int = field(default_factory=free_port)
    settings: dict[str, str] = field(default_factory=dict)  # more environment
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def database(self) -> Path | None:
        """The SQLite file, when the server runs on one."""
        url = make_url(self.database_url)
        return Path(url.database) if url.get_backend_name() == "sqlite" else None

    @property
    def environment(self) -> dict[str, str]:
        """What the server's processes (and its commands) run with."""
        return {**os.environ, "DATABASE_URL": self.database_url,
                "WEBUI_INSTANCE_PATH": str(self.directory / "instance"),
                "SECRET_KEY": "server-tests", **self.settings}

    def start(self, ready: str | None = "/apis/openapi.json") -> Server:
        """Start it; with ``ready``, wait until that path answers 200."""
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "python:webui.serving",
                 "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "webui:create_app()"],
                env=self.environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True,
            )
        if ready:
            self.wait_for(ready, {200})
        return self

    def wait_for(self, path: str, statuses: set[int], seconds: float = 30) -> float:
        """Poll ``path`` until it answers one of ``statuses``; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if not self.alive():
                raise RuntimeError(f"the server exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=2).status_code in statuses:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{path} never answered {statuses}: {self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def workers_now(self) -> list[int]:
        """The process ids of the master's workers at this moment."""
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def log_tail(self, characters: int = 3000) -> str:
        return self.log.read_text()[-characters:] if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.alive():
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def _conninfo(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg's connection string."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def new_postgres_database(server_url: str) -> str:
    """A new, empty database on the PostgreSQL server of ``server_url``; its URL."""
    name = f"webui_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(server_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by ``new_postgres_database``, whoever is still connected."""
    name = make_url(url).database
    maintenance = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(_conninfo(maintenance), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PostgresCluster:
    """A private PostgreSQL server a test may stop, restart and start again."""

    def __init__(self) -> None:
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                          key=lambda path: int(path.parent.name))
        if not binaries:
            raise RuntimeError("PostgreSQL is not installed (tests/with-postgres.sh installs it)")
        self.bin = binaries[-1]
        self.data = Path(tempfile.mkdtemp(prefix="webui-pg-"))
        self.port = free_port()
        shutil.chown(self.data, "postgres", "postgres")
        self.data.chmod(0o700)
        self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--locale=C", "--no-sync")
        self.start()
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "webui")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/webui"

    def _as_postgres(self, program: str, *arguments: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / program), *arguments],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-w",
                          "-o", f"-p {self.port} -k {self.data} "
                          "-c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.data, ignore_errors=True)
