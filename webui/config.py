"""Settings: what the environment says, or the defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import rules

HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

# How htmx swaps answers: a 422 carries the form with its messages; other errors swap nothing.
HTMX_CONFIG = {
    "allowEval": False,
    "includeIndicatorStyles": False,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}


def from_environment(instance_path: str) -> dict[str, Any]:
    """The app's settings from the environment, with defaults for what it leaves unset."""
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path(instance_path) / 'webui.sqlite3'}",
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", rules.MAX_BODY_BYTES)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # htmx from a CDN, pinned, checked by its SRI hash; HTMX_URL=/static/vendor/htmx.min.js
        # (make vendor-htmx) serves a self-hosted copy of the same file instead.
        "HTMX_URL": os.environ.get("HTMX_URL", HTMX_CDN_URL),
        "HTMX_INTEGRITY": HTMX_INTEGRITY,
        "HTMX_CONFIG": HTMX_CONFIG,
        "WEBUI_AUTH": os.environ.get("WEBUI_AUTH", "off").strip().lower(),
        "WEBUI_ALLOWED_HOSTS": allowed_hosts(
            os.environ.get("WEBUI_ALLOWED_HOSTS", "localhost,127.0.0.1,::1")),
        # argon2id's cost: RFC 9106's second recommended setting (64 MiB, 3 passes)
        "PASSWORD_COST": {"time_cost": 3, "memory_cost": 64 * 1024},
    }


def allowed_hosts(text: str) -> frozenset[str]:
    """The comma-separated host names the app answers to (``*``: any)."""
    return frozenset(host.strip().lower().strip("[]") for host in text.split(",")
                     if host.strip())
