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
from .api import ROUTE_OPTIONS, pagination
from .errors import ApiError

bp = Blueprint("activity_api", __name__, url_prefix="/apis/webui/v1/workspaces/<workspace>")


def _events(workspace: str, adapter: str | None) -> Any:
    """One page of events as JSON, or 422 with every refused parameter."""
    paging, errors = listing.parse_paging(request.args, listing.ADAPTERS)
    if problem := rules.check_workspace(workspace):
        errors.insert(0, rules.error_entry(("path", "workspace"), problem))
    if adapter is not None and (problem := rules.check_name(adapter)):
        errors.append(rules.error_entry(("path", "name"), problem))
    filters, problems = activity.checked_filters(request.args)
    errors += [rules.error_entry(("query", key), problem) for key, problem in problems]
    if errors:
        raise ApiError(422, errors)
    if adapter is not None:
        filters["adapter"] = adapter
    page = activity.list_events(workspace, paging.page, paging.page_size, **filters)
    return jsonify({"data": [activity.event_json(event) for event in page.items],
                    "pagination": pagination(page)})


@bp.get("/activity", **ROUTE_OPTIONS)
def workspace_activity(workspace: str):
    """A workspace's events: its adapters', its own and its members'."""
    return _events(workspace, None)


@bp.get("/adapters/<name>/activity", **ROUTE_OPTIONS)
def adapter_activity(workspace: str, name: str):
    """One adapter's events, from its creation (and its deletion, if it is gone)."""
    return _events(workspace, name)
