"""Fixtures: an app on a real database file (or TEST_DATABASE_URL), its client, and helpers."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import text
from werkzeug.serving import make_server

from webui import create_app
from webui.extensions import db

API = "/apis/models/v2/workspaces"
PLAYWRIGHT_FIXTURES = {"page", "context", "browser"}
DATABASE_FIXTURES = {"app", "database_url"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that drive Chromium `browser`; skip the `postgres` ones on SQLite.

    On a PostgreSQL run (TEST_DATABASE_URL set) the tests that never reach the database, through
    the `app` or `database_url` fixture, are left out: the SQLite run has already run them as is.
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
        if on_postgres and not fixtures & DATABASE_FIXTURES:
            repeated.append(item)
        else:
            kept.append(item)
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = kept


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


@pytest.fixture
def database_url(tmp_path) -> str:
    """A fresh SQLite file per test, or the server named by TEST_DATABASE_URL (emptied)."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app(tmp_path, database_url) -> Iterator[Flask]:
    """The app, configured for tests, on its own database."""
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
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


# --- real-browser tests ---------------------------------------------------------------------

VENDOR = Path(__file__).parent / ".vendor"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, kept off the network. A missing browser fails the tests."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"],
    }


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1 from a thread, for the browser; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def serve_htmx_from_disk(context: BrowserContext, body: bytes | None = None) -> None:
    """Answer the CDN's htmx URL with the pinned file (the machine has no internet).

    The browser still checks the SRI hash against whatever is served.
    """
    payload = body if body is not None else (VENDOR / "htmx.min.js").read_bytes()
    context.route(
        "**/htmx.org@*/dist/htmx.min.js",
        lambda route: route.fulfill(
            status=200, body=payload, content_type="text/javascript; charset=utf-8",
            headers={"Access-Control-Allow-Origin": "*"},
        ),
    )


@pytest.fixture
def site(live_server: str, context: BrowserContext) -> str:
    """A browser context that loads htmx (from the pinned file) and the app's base URL."""
    serve_htmx_from_disk(context)
    context.set_default_timeout(10_000)
    return live_server


def screenshot(page: Page, name: str) -> None:
    """Save the page at desktop and phone width, for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 720}
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(size)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate((VENDOR / "axe.min.js").read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [node["html"] for node in v["nodes"]][:3]}
        for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]
