"""webui: a registry of fine-tuned model adapters, per workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import (
    account_views,
    activity_api,
    api,
    auth,
    bodies,
    cli,
    config,
    database,
    entities,
    errors,
    favicon,
    health,
    model_views,
    openapi,
    search,
    search_views,
    security,
    views,
    workspace_views,
)
from .config import HTMX_CDN_URL, HTMX_INTEGRITY, HTMX_VERSION
from .extensions import csrf

__all__ = ["HTMX_CDN_URL", "HTMX_INTEGRITY", "HTMX_VERSION", "create_app"]
_PROJECT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, and the schema on first start."""
    test_config = dict(test_config or {})
    app = Flask(
        __name__,
        instance_path=test_config.pop("INSTANCE_PATH", None)
        or os.environ.get("WEBUI_INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=str(_PROJECT / "templates"),
        static_folder=str(_PROJECT / "static"),
    )
    app.config.from_mapping(config.from_environment(app.instance_path))
    app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = database.instance_secret(Path(app.instance_path) / "secret_key")
    app.json.sort_keys = False  # the Adapter object's key order is part of the contract
    # '/a//b' (or an escaped '..%2f') is not a route: no redirect that turns it into one
    app.url_map.merge_slashes = False

    auth.init_app(app)  # the Host check and the permission gate come before anything else
    csrf.init_app(app)
    for blueprint in (api.bp, entities.bp, openapi.bp, views.bp, workspace_views.bp,
                      account_views.bp, health.bp, favicon.bp, model_views.bp,
                      search_views.bp, activity_api.bp):
        app.register_blueprint(blueprint)
    for blueprint in (api.bp, entities.bp, auth.bp):  # scripts send JSON, which a cross-site
        csrf.exempt(blueprint)                        # form cannot (415)
    bodies.register(app)  # a body whole or refused (413, 415), whoever reads it
    errors.register(app)
    cli.register(app)
    security.register(app)
    search.init_app(app)
    database.init_app(app)
    return app
