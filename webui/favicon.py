"""The site's icon at the address browsers ask for without being told (/favicon.ico)."""

from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("favicon", __name__)


@bp.get("/favicon.ico")
def favicon():
    """The SVG icon that base.html links, for browsers that ask for /favicon.ico anyway."""
    return current_app.send_static_file("favicon.svg")
