"""Configuration: the factory, the database URL, the secret key, SQLite durability settings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import API, valid_body
from sqlalchemy import inspect, text

from webui import create_app
from webui.extensions import db

ON_SQLITE = not os.environ.get("TEST_DATABASE_URL")
sqlite_only = pytest.mark.skipif(not ON_SQLITE, reason="SQLite-specific")


@sqlite_only
def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    """No DATABASE_URL: a SQLite file in the instance folder, with its schema, on first start."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst'}/webui.sqlite3"
    assert (tmp_path / "inst" / "webui.sqlite3").exists()
    with app.app_context():
        assert {"adapters", "workspaces"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


@sqlite_only
def test_database_url_selects_the_database(tmp_path, monkeypatch):
    """DATABASE_URL from the environment is used as the SQLAlchemy URL."""
    target = tmp_path / "chosen.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst")})
    app.test_client().post(f"{API}/default/adapters", json=valid_body())
    with app.app_context():
        db.engine.dispose()
    assert target.exists()
    assert not (tmp_path / "inst" / "webui.sqlite3").exists()


@sqlite_only
def test_sqlite_runs_with_wal_full_sync_and_a_busy_timeout(app):
    """Every connection: WAL journal, synchronous=FULL (2), a short busy timeout (writers
    wait on the writer lock, cooperatively; a long blocking wait would stall a gevent worker),
    and a 32 MiB page cache (a large registry's working set)."""
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA cache_size")).scalar() == -32 * 1024
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2
            assert 0 < connection.execute(text("PRAGMA busy_timeout")).scalar() <= 200


def test_schema_has_the_unique_constraint_and_list_indexes(app):
    """UNIQUE(workspace, name) and an index per sort key, each led by the workspace."""
    with app.app_context():
        inspector = inspect(db.engine)
        uniques = [u["column_names"] for u in inspector.get_unique_constraints("adapters")]
        indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("adapters")}
    assert ["workspace", "name"] in uniques
    for key in ("created_at", "updated_at", "finetuning_type", "model", "fileset", "enabled"):
        assert ("workspace", key, "name") in indexes


def test_secret_key_from_the_environment(tmp_path, monkeypatch):
    """SECRET_KEY in the environment is used as it is."""
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    """Without SECRET_KEY, one is made, kept in the instance folder, and reused on restart."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    other = create_app({**config, "INSTANCE_PATH": str(tmp_path / "other")})
    assert other.config["SECRET_KEY"] != first


def test_body_limit_is_configurable(tmp_path, monkeypatch):
    """MAX_CONTENT_LENGTH from the environment sets the 413 limit."""
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "2048")
    app = create_app({"INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    response = app.test_client().post(f"{API}/default/adapters",
                                      json=valid_body(description="x" * 900 * 3))
    assert response.status_code == 413


def test_concurrent_duplicates_get_one_201_and_409s(app):
    """Threads creating the same name at once: exactly one 201, the rest 409, never a 500."""
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def create():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(f"{API}/default/adapters", json=valid_body()).status_code)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    listing = app.test_client().get(f"{API}/default/adapters").get_json()
    assert listing["pagination"]["total_results"] == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
@sqlite_only
def test_flask_run_serves_the_quick_start_example(tmp_path):
    """`flask --app webui run` on a fresh instance: the README's curl gives 201, then 409."""
    port = free_port()
    env = {**os.environ, "WEBUI_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    env.pop("SECRET_KEY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "webui", "run", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{API}/default/adapters"
    body = {"name": "lora-a", "model": "base-model", "fileset": "default/fs1",
            "finetuning_type": "lora"}
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                first = request(url, body)
                break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert first[0] == 201 and first[1]["model"] == "default/base-model"
        assert request(url, body)[0] == 409
    finally:
        server.terminate()
        server.wait(10)
    assert Path(tmp_path / "instance" / "webui.sqlite3").exists()
    assert Path(tmp_path / "instance" / "secret_key").exists()


@sqlite_only
def test_writers_queue_on_a_file_lock_beside_the_database(app, client, database_url):
    """While another process holds the writer lock, a create waits for it, then succeeds."""
    lock_path = database_url.removeprefix("sqlite:///") + "-writer.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time\n"
         f"f = open({lock_path!r}, 'a')\n"
         "fcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\n"
         "time.sleep(0.6)\n"],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    response = client.post(f"{API}/default/adapters", json=valid_body())
    waited = time.monotonic() - started
    holder.wait(5)
    holder.stdout.close()
    assert response.status_code == 201
    assert waited >= 0.3  # it queued behind the other writer instead of writing alongside


def test_a_served_worker_moves_what_it_loaded_out_of_the_collectors_way():
    """gunicorn runs serving.post_worker_init once the app is loaded: the objects loaded so
    far are frozen, so a full collection no longer walks them (a pause of about 100 ms)."""
    import gc

    from webui import serving

    gc.unfreeze()
    try:
        serving.post_worker_init(None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
