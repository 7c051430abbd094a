"""The health check that load balancers and process managers poll."""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers and takes writes; 503 saying what is wrong when not."""
    status = database.health()
    if status == "ok":
        return jsonify(status="ok", database="ok")
    response = jsonify(status="unavailable", database=status)
    response.status_code = 503
    response.headers["Retry-After"] = str(database.RETRY_AFTER)
    return response
