"""The health check."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from webui.extensions import db


def test_healthz_is_ok_when_the_database_answers(client):
    """200 with a small JSON status."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_does_not(app, client, monkeypatch):
    """503 when the database cannot be reached, without details."""
    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", unreachable)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert "refused" not in response.get_data(as_text=True)
