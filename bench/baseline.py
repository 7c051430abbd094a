"""The benchmark's baseline: the least a Flask app can do to create and list adapters.

Raw ``sqlite3``, one connection per worker thread (gunicorn's sync workers: one per process),
the app's pragmas (WAL, ``synchronous=FULL``, a 30-second busy timeout) and the app's schema,
indexes and triggers (the name index's included): ``bench/run.py`` serves it on a copy of the
very file it seeded through ``webui.create_app``. It does the same database work as the app,
and nothing more:

- create: parse the JSON body, check only that the required keys are strings, INSERT the row
  and bump the counter rows the app keeps (the workspace's count and last change, and, when the
  schema has it, the per-workspace model count) in the same transaction, commit, answer the
  row as JSON with 201 (409 on a taken name);
- list: read the total from the workspace's counter row (as the app does, so no COUNT scan),
  SELECT one page ordered by ``created_at, name`` with LIMIT/OFFSET, answer the page and its
  pagination as JSON.

No rule checks, no ORM, no security headers, no sessions: whatever the app spends on those is
what its ratio to this baseline measures.

Serve it with ``BASELINE_DATABASE=/path/file.sqlite3 gunicorn --pythonpath bench
'baseline:create_app()'``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, jsonify, request

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000")

COLUMNS = ("name", "workspace", "description", "fileset", "finetuning_type", "enabled",
           "lora_rank", "lora_alpha", "model", "created_at", "updated_at")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM adapters"
REQUIRED = ("name", "model", "fileset", "finetuning_type")
ADAPTERS = "/apis/models/v2/workspaces/<workspace>/adapters"

_local = threading.local()


def _connection(path: str) -> sqlite3.Connection:
    """This thread's connection, opened (after gunicorn's fork) with the app's pragmas."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(path)
        for pragma in PRAGMAS:
            connection.execute(pragma)
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "adapters" not in tables:  # the schema is the app's own, never restated here
            raise RuntimeError(f"{path} has no adapters table: run the baseline on a file the "
                               "app made (bench/run.py does)")
        _local.connection = connection
        _local.model_counts = "workspace_models" in tables
        _local.type_counts = "model_type_counts" in tables
    return connection


def _stamp(stored: str) -> str:
    """A stored time ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC) as the API shows it."""
    return stored.replace(" ", "T") + "Z"


def _adapter(row: tuple) -> dict:
    values = dict(zip(COLUMNS, row, strict=True))
    rank, alpha = values.pop("lora_rank"), values.pop("lora_alpha")
    return {
        "name": values["name"],
        "workspace": values["workspace"],
        "description": values["description"],
        "fileset": values["fileset"],
        "finetuning_type": values["finetuning_type"],
        "enabled": bool(values["enabled"]),
        "lora_config": None if rank is None else {"alpha": alpha, "rank": rank},
        "model": values["model"],
        "created_at": _stamp(values["created_at"]),
        "updated_at": _stamp(values["updated_at"]),
    }


def _insert(connection: sqlite3.Connection, row: tuple, workspace: str, model: str,
            stamp: str) -> None:
    """The row and the counter rows the app keeps, in one transaction."""
    connection.execute(
        f"INSERT INTO adapters ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 11)})", row
    )
    connection.execute(
        "INSERT INTO workspaces (name, adapter_count, updated_at) VALUES (?, 1, ?) "
        "ON CONFLICT (name) DO UPDATE SET adapter_count = adapter_count + 1, "
        "updated_at = excluded.updated_at",
        (workspace, stamp),
    )
    if _local.model_counts:
        connection.execute(
            "INSERT INTO workspace_models (workspace, model, adapter_count) "
            "VALUES (?, ?, 1) ON CONFLICT (workspace, model) "
            "DO UPDATE SET adapter_count = adapter_count + 1",
            (workspace, model),
        )
    if _local.type_counts:
        connection.execute(
            "INSERT INTO model_type_counts (model, workspace, finetuning_type, adapter_count) "
            "VALUES (?, ?, ?, 1) ON CONFLICT (model, workspace, finetuning_type) "
            "DO UPDATE SET adapter_count = adapter_count + 1",
            (model, workspace, row[COLUMNS.index("finetuning_type")]),
        )
    connection.commit()


def _create(path: str, workspace: str):
    """Create: the row from the JSON body, 201 with the adapter (409 on a taken name)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(key), str) for key in REQUIRED
    ):
        return jsonify(detail="name, model, fileset and finetuning_type are required"), 422
    model = body["model"] if "/" in body["model"] else f"{workspace}/{body['model']}"
    lora = body.get("lora_config") or {}
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    row = (body["name"], workspace, body.get("description"), body["fileset"],
           body["finetuning_type"], bool(body.get("enabled", True)), lora.get("rank"),
           lora.get("alpha"), model, stamp, stamp)
    connection = _connection(path)
    try:
        _insert(connection, row, workspace, model, stamp)
    except sqlite3.IntegrityError:
        connection.rollback()
        return jsonify(detail=f"Adapter with name '{body['name']}' already exists"), 409
    return jsonify(_adapter(row)), 201


def _list(path: str, workspace: str):
    """List: one page ordered by ``created_at, name``, the total from the counter row."""
    try:
        page = max(1, int(request.args.get("page", "1")))
        page_size = min(1000, max(1, int(request.args.get("page_size", "100"))))
    except ValueError:
        return jsonify(detail="page and page_size are numbers"), 422
    connection = _connection(path)
    counted = connection.execute(
        "SELECT adapter_count FROM workspaces WHERE name = ?", (workspace,)
    ).fetchone()
    total = counted[0] if counted else 0
    rows = connection.execute(
        f"{SELECT} WHERE workspace = ? ORDER BY created_at, name LIMIT ? OFFSET ?",
        (workspace, page_size, (page - 1) * page_size),
    ).fetchall()
    connection.rollback()  # end the read transaction (sqlite3 opened none; harmless)
    return jsonify(
        data=[_adapter(row) for row in rows],
        pagination={"page": page, "page_size": page_size, "current_page_size": len(rows),
                    "total_pages": -(-total // page_size), "total_results": total},
        sort="created_at",
    )


def create_app() -> Flask:
    """The baseline app on the SQLite file named by ``BASELINE_DATABASE``."""
    path = os.environ["BASELINE_DATABASE"]
    app = Flask(__name__)
    app.json.sort_keys = False

    @app.post(ADAPTERS)
    def create(workspace: str):
        """POST: create an adapter."""
        return _create(path, workspace)

    @app.get(ADAPTERS)
    def list_(workspace: str):
        """GET: one page of a workspace's adapters."""
        return _list(path, workspace)

    return app
