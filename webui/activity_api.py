"""The activity history's JSON: a workspace's events, and one adapter's (a deleted one's too).

``GET /apis/webui/v1/workspaces/{ws}/activity`` takes ``page``, ``page_size`` and the filters
``adapter``, ``actor``, ``kind``, ``since`` and ``until`` (ISO 8601 times; ``until`` is not
included); ``.../adapters/{name}/activity`` the same, for one adapter. Newest first. A Viewer
may read both. The NeMo routes and their bodies are not touched.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from . import activity, listing, rules
from .api import ROUTE_OPTIONS
from .errors import ApiError

bp = Blueprint("activity_api", __name__, url_prefix="/apis/webui/v1/workspaces/<workspace>")
FILTERS = ("adapter", "actor", "kind", "since", "until")


def _events(workspace: str, adapter: str | None) -> Any:
    """One page of events as JSON, or 422 with every refused parameter."""
    paging, errors = listing.parse_paging(request.args, listing.ADAPTERS)
    if problem := rules.check_workspace(workspace):
        errors.insert(0, rules.error_entry(("path", "workspace"), problem))
    if adapter is not None and (problem := rules.check_name(adapter)):
        errors.append(rules.error_entry(("path", "name"), problem))
    given = {key: request.args.get(key) for key in FILTERS if request.args.get(key)}
    if adapter is not None:
        given["adapter"] = adapter
    if "kind" in given and (problem := rules.check_activity_kind(given["kind"])):
        errors.append(rules.error_entry(("query", "kind"), problem))
    for key in ("since", "until"):
        if key in given:
            try:
                given[key] = listing.parse_timestamp(given[key], key)
            except listing.FilterError:
                errors.append(rules.error_entry(("query", key), rules.Violation(
                    f"'{key}' must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z",
                    "datetime_parsing")))
    if errors:
        raise ApiError(422, errors)
    page = activity.list_events(workspace, paging.page, paging.page_size, **given)
    body: dict[str, Any] = {
        "data": [activity.event_json(event) for event in page.items],
        "pagination": {"page": page.page, "page_size": page.page_size,
                       "current_page_size": len(page.items), "total_pages": page.total_pages,
                       "total_results": page.total},
    }
    return jsonify(body)


@bp.get("/activity", **ROUTE_OPTIONS)
def workspace_activity(workspace: str):
    """A workspace's events: its adapters', its own and its members'."""
    return _events(workspace, None)


@bp.get("/adapters/<name>/activity", **ROUTE_OPTIONS)
def adapter_activity(workspace: str, name: str):
    """One adapter's events, from its creation (and its deletion, if it is gone)."""
    return _events(workspace, name)
