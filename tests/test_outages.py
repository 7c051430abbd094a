"""The app without its database, with a database that is busy, or with a database file that
was deleted: 503 with Retry-After everywhere (JSON under /apis/, a page elsewhere), nothing
changed, and service again by itself once the cause is gone. The same faults under a real
server are in tests/test_faults.py."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
from conftest import API, valid_body
from htmlquery import parse, text

from webui import accounts, create_app
from webui.extensions import db

ADAPTERS = f"{API}/default/adapters"
# Nothing listens on port 1: a connection is refused at once.
DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/webui"
sqlite_only = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                 reason="a SQLite file's faults")


def assert_unavailable_json(response) -> None:
    assert response.status_code == 503
    assert response.get_json() == {"detail": "Service Unavailable"}
    assert int(response.headers["Retry-After"]) >= 1


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) >= 1
    page = parse(response.get_data(as_text=True))
    assert "cannot reach its database" in text(page)
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.fixture
def without_database(tmp_path):
    """The app, made while its PostgreSQL server does not answer."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": DOWN,
                       "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance")})


def test_the_app_starts_without_its_database(without_database):
    """create_app does not fail (a gunicorn worker that did would take the server down)."""
    assert without_database.name == "webui"


@pytest.mark.parametrize(("method", "path"), [
    ("get", ADAPTERS), ("post", ADAPTERS), ("get", f"{ADAPTERS}/lora-a"),
    ("patch", f"{ADAPTERS}/lora-a"), ("delete", f"{ADAPTERS}/lora-a"),
    ("get", "/apis/entities/v2/workspaces"),
])
def test_the_api_answers_503_while_the_database_is_down(without_database, method, path):
    """Every API route: the contract's JSON 503 with Retry-After, never a 500."""
    client = without_database.test_client()
    response = getattr(client, method)(path, json=valid_body())
    assert_unavailable_json(response)


@pytest.mark.parametrize("path", ["/", "/workspaces/default/adapters",
                                  "/workspaces/default/new-adapter"])
def test_pages_answer_a_503_page_while_the_database_is_down(without_database, path):
    """A page saying what is wrong and that nothing changed, with Retry-After."""
    assert_unavailable_page(without_database.test_client().get(path))


def test_the_health_check_says_unreachable(without_database):
    response = without_database.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert int(response.headers["Retry-After"]) >= 1


def test_what_needs_no_database_still_answers(without_database):
    """The API document and the stylesheet (the 503 page needs it) do not touch the database."""
    client = without_database.test_client()
    assert client.get("/apis/openapi.json").status_code == 200
    with client.get("/static/app.css") as stylesheet:
        assert stylesheet.status_code == 200


def test_the_schema_is_made_when_the_database_first_answers(tmp_path):
    """A new SQLite file that cannot be made at start (its folder is missing) is made, with
    the newest schema, by the first request after the folder appears."""
    folder = tmp_path / "later"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'r.db'}",
                      "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance")})
    client = app.test_client()
    assert_unavailable_json(client.get(ADAPTERS))
    folder.mkdir()
    assert client.post(ADAPTERS, json=valid_body()).status_code == 201
    assert client.get(f"{ADAPTERS}/lora-a").status_code == 200


@sqlite_only
def test_a_deleted_database_file_is_refused_not_recreated(app, client, database_url):
    """The file deleted under a running app: 503 for writes and reads, the health check says
    'missing', and no new empty file appears; a new app on that path refuses too."""
    assert client.post(ADAPTERS, json=valid_body()).status_code == 201
    path = database_url.removeprefix("sqlite:///")
    os.unlink(path)
    assert_unavailable_json(client.post(ADAPTERS, json=valid_body(name="lost")))
    assert_unavailable_json(client.get(ADAPTERS))
    assert client.get("/healthz").get_json()["database"] == "missing"
    restarted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                            "SECRET_KEY": "test", "INSTANCE_PATH": app.instance_path})
    assert_unavailable_json(restarted.test_client().get(ADAPTERS))
    assert not os.path.exists(path)


@sqlite_only
def test_a_write_waits_a_bounded_time_then_503_and_changes_nothing(app, client, database_url):
    """Another program holds the write lock: the create waits WRITE_WAIT_SECONDS, answers 503
    with Retry-After, stores nothing; reads go on; once released, the create succeeds."""
    app.config["WRITE_WAIT_SECONDS"] = 0.3
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        response = client.post(ADAPTERS, json=valid_body())
        waited = time.monotonic() - started
        assert client.get(ADAPTERS).get_json()["data"] == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_unavailable_json(response)
    assert 0.3 <= waited < 2
    assert client.get(ADAPTERS).get_json()["data"] == []
    assert client.post(ADAPTERS, json=valid_body()).status_code == 201


@sqlite_only
@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_a_busy_database_does_not_fail_a_read_made_with_a_token(app, client, database_url):
    """Noting a token's last use is a write; when the database is busy it is skipped, and the
    read it rode on still answers 200."""
    with app.app_context():
        alice = accounts.create_user("alice", "a long enough password")
        token, _ = accounts.create_token(alice, "script")
        db.session.remove()
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        response = client.get("/apis/entities/v2/workspaces",
                              headers={"Authorization": f"Bearer {token}"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 200


@sqlite_only
def test_a_file_deleted_while_a_worker_starts_does_not_stop_it(tmp_path, monkeypatch):
    """The file vanishes between the schema's preparation and the worker noting the file:
    the worker still starts (one that did not would take gunicorn down) and answers 503."""
    from webui import database

    def gone(path):
        raise FileNotFoundError(path)

    monkeypatch.setattr(database, "_identity", gone)
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.sqlite3'}",
                      "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance")})
    assert_unavailable_json(app.test_client().get(ADAPTERS))
