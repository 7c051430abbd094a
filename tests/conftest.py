"""Fixtures: an app on a real database file (or TEST_DATABASE_URL), its client, and helpers."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.routing import Rule
from werkzeug.serving import make_server

from webui import create_app
from webui.extensions import db

API = "/apis/models/v2/workspaces"
PLAYWRIGHT_FIXTURES = {"page", "context", "browser"}
DATABASE_FIXTURES = {"app", "database_url"}
WORKER_DATABASE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """On PostgreSQL with tests in parallel (pytest -n), each worker process moves to a database
    of its own on TEST_DATABASE_URL's server, made now and dropped when the worker ends: the
    tests of one worker empty the tables after each test, which another worker's would see."""
    url, worker = os.environ.get("TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        from servers import new_postgres_database

        config.stash[WORKER_DATABASE] = os.environ["TEST_DATABASE_URL"] = (
            new_postgres_database(url))


def pytest_unconfigure(config: pytest.Config) -> None:
    if url := config.stash.get(WORKER_DATABASE, None):
        from servers import drop_postgres_database

        drop_postgres_database(url)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that drive Chromium `browser`; skip the `postgres` ones on SQLite.

    On a PostgreSQL run (TEST_DATABASE_URL set) the tests that never reach the database, through
    the `app` or `database_url` fixture (or a `postgres` mark), are left out: the SQLite run has
    already run them as is. So are the browser tests (unless marked `postgres`): what they prove
    is the page in the browser, and the reads and writes behind each page are HTTP-level tests,
    which run on both databases.
    """
    on_postgres = bool(os.environ.get("TEST_DATABASE_URL"))
    needs_postgres = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    kept, repeated = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & PLAYWRIGHT_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(needs_postgres)
        reaches_database = fixtures & DATABASE_FIXTURES or item.get_closest_marker("postgres")
        if fixtures & PLAYWRIGHT_FIXTURES and not item.get_closest_marker("postgres"):
            reaches_database = False
        if on_postgres and not reaches_database:
            repeated.append(item)
        else:
            kept.append(item)
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def url_builders_made_once() -> Iterator[None]:
    """Each test builds its own app, and Werkzeug compiles every route's URL builder from an
    AST each time: two thirds of create_app's cost. A builder depends only on the route's
    shape (its parts, defaults and the kind of builder), so the tests compile each once."""
    original = Rule._compile_builder
    made: dict[tuple, object] = {}

    def compile_once(rule: Rule, append_unknown: bool = True):
        key = (tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), append_unknown,
               tuple((name, type(converter)) for name, converter in rule._converters.items()))
        if key not in made:
            made[key] = original(rule, append_unknown)
        return made[key]

    Rule._compile_builder = compile_once
    yield
    Rule._compile_builder = original


PASSWORD = "correct horse battery"  # every test person's password


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD,
            next_url: str | None = None):
    """Sign in through the form, with its CSRF token, as a browser does; the answer."""
    from htmlquery import one

    data = {"csrf_token": one(client.get("/login"), "input[name=csrf_token]")["value"],
            "username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def signed_in(client: FlaskClient, username: str) -> None:
    """Sign in through the form; the test fails unless it worked."""
    response = sign_in(client, username)
    assert response.status_code == 303, response.get_data(as_text=True)


def valid_body(**overrides: object) -> dict[str, object]:
    """A create body that passes every rule, with fields replaced as asked."""
    body: dict[str, object] = {
        "name": "lora-a",
        "model": "base-model",
        "fileset": "default/fs1",
        "finetuning_type": "lora",
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory) -> Path:
    """A new SQLite database as the app makes it on first start (at the newest schema
    version), made once; each test gets a copy rather than paying for the schema again."""
    folder = tmp_path_factory.mktemp("empty-database")
    path = folder / "empty.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "SECRET_KEY": "test-secret", "INSTANCE_PATH": str(folder / "instance")})
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the last connection closes: the file holds everything
    return path


@pytest.fixture
def database_url(tmp_path, empty_database) -> str:
    """A fresh SQLite file per test (a copy of the empty database), or the server named by
    TEST_DATABASE_URL (emptied after each test)."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(empty_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def server_database_url(tmp_path, database_url) -> Iterator[str]:
    """For a real server (tests/servers.py): a SQLite file it makes itself on first start, or a
    new database of its own on TEST_DATABASE_URL's server, dropped afterwards."""
    if not os.environ.get("TEST_DATABASE_URL"):
        yield f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        return
    from servers import drop_postgres_database, new_postgres_database

    url = new_postgres_database(database_url)
    yield url
    drop_postgres_database(url)


@pytest.fixture
def app_config() -> dict[str, object]:
    """Settings a test module adds to the app's: override this fixture to change them."""
    return {}


@pytest.fixture
def app(tmp_path, database_url, app_config) -> Iterator[Flask]:
    """The app, configured for tests, on its own database."""
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        # argon2id at its cheapest: tests make many users; the real cost is the default
        "PASSWORD_COST": {"time_cost": 1, "memory_cost": 64},
        **app_config,
    })
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name != "sqlite":  # a shared server: leave it empty
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def create(client: FlaskClient):
    """Create an adapter through the API and return its JSON; fails the test unless 201."""
    def create(workspace: str = "default", **overrides: object) -> dict:
        response = client.post(f"{API}/{workspace}/adapters", json=valid_body(**overrides))
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return create


# --- the app on a real socket (the browser tests, in tests/browser/, drive it) ---------------

@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1 from a thread; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
