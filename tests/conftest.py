"""Fixtures: an app on a real database file (or TEST_DATABASE_URL), its client, and helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webui import create_app
from webui.extensions import db

API = "/apis/models/v2/workspaces"


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
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
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
