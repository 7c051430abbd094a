"""The JSON API: the NeMo Platform Models API v2 adapters routes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import queries, rules
from .models import adapter_json

bp = Blueprint("api", __name__, url_prefix="/apis/models/v2/workspaces/<workspace>")
# No automatic OPTIONS: any method a route does not list is a 405, as the contract says.
ROUTE_OPTIONS = {"provide_automatic_options": False}


def error_response(status: int, detail: Any, headers: dict[str, str] | None = None) -> Response:
    """Every error of the API: ``{"detail": ...}`` with its status."""
    response = jsonify(detail=detail)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _read_body() -> tuple[Any, list[dict[str, Any]]] | Response:
    """The decoded JSON body, a 415 response, or 422 entries for a body that is not JSON."""
    if request.mimetype != "application/json":
        return error_response(415, "Content-Type must be application/json")
    return rules.decode_json(request.get_data(cache=False))


def _path_errors(workspace: str) -> list[dict[str, Any]]:
    if problem := rules.check_workspace(workspace):
        return [rules.error_entry(("path", "workspace"), problem)]
    return []


def _not_found(workspace: str, name: str) -> Response:
    return error_response(404, queries.not_found_message(workspace, name))


def _addressable(name: str) -> bool:
    """Whether a name from the URL could name an adapter (one that cannot is simply not found)."""
    return rules.check_name(name) is None


# A nested route whose model name breaks the rules: no adapter can have that model.
NO_SUCH_MODEL = "\x00"


def _model_ref(workspace: str, model_name: str) -> str:
    """The model a nested route names (``NO_SUCH_MODEL`` when no adapter could have it)."""
    if rules.check_model_segment(model_name):
        return NO_SUCH_MODEL
    return f"{workspace}/{model_name}"


def _findable(name: str, model: str | None) -> bool:
    """Whether a lookup could find anything, so nothing unstorable reaches the database."""
    return _addressable(name) and model != NO_SUCH_MODEL


def _create(workspace: str, model_name: str | None) -> Response | tuple[Response, int]:
    read = _read_body()
    if isinstance(read, Response):
        return read
    body, errors = read
    errors = _path_errors(workspace) + errors
    if not errors:
        values, errors = rules.parse_create(body, workspace, model_name)
    if errors:
        return error_response(422, errors)
    try:
        adapter = queries.create_adapter(workspace, values)
    except queries.NameTaken as taken:
        # tell the SDK a retry cannot help
        return error_response(409, str(taken), {"x-should-retry": "false"})
    return jsonify(adapter.to_dict()), 201


def _patch(workspace: str, name: str, model: str | None) -> Response:
    read = _read_body()
    if isinstance(read, Response):
        return read
    body, errors = read
    errors = _path_errors(workspace) + errors
    if not errors:
        changes, errors = rules.parse_patch(body)
    if errors:
        return error_response(422, errors)
    adapter = None
    if _findable(name, model):
        adapter = queries.update_adapter(workspace, name, changes, model)
    if adapter is None:
        return _not_found(workspace, name)
    return jsonify(adapter.to_dict())


def _delete(workspace: str, name: str, model: str | None) -> Response:
    if errors := _path_errors(workspace):
        return error_response(422, errors)
    if not (_findable(name, model) and queries.delete_adapter(workspace, name, model)):
        return _not_found(workspace, name)
    return Response(status=204)


@bp.post("/adapters", **ROUTE_OPTIONS)
def create_adapter(workspace: str):
    """Create an adapter (route 1)."""
    return _create(workspace, None)


@bp.get("/adapters", **ROUTE_OPTIONS)
def list_adapters(workspace: str):
    """List a workspace's adapters: filter, sort, paginate (route 2)."""
    errors = _path_errors(workspace)
    try:
        query, query_errors = rules.parse_list_args(request.args, request.args.items(multi=True))
    except rules.FilterError as bad_filter:
        return error_response(400, str(bad_filter))
    if errors or query_errors:
        return error_response(422, errors + query_errors)
    adapters, total = queries.list_adapters(workspace, query)
    body: dict[str, Any] = {
        "data": [adapter_json(adapter) for adapter in adapters],
        "pagination": {
            "page": query.page,
            "page_size": query.page_size,
            "current_page_size": len(adapters),
            "total_pages": -(-total // query.page_size),
            "total_results": total,
        },
        "sort": query.sort,
    }
    if query.filter is not None:
        body["filter"] = rules.echo_filter(query.filter)
    return jsonify(body)


@bp.get("/adapters/<name>", **ROUTE_OPTIONS)
def retrieve_adapter(workspace: str, name: str):
    """One adapter (route 3)."""
    if errors := _path_errors(workspace):
        return error_response(422, errors)
    adapter = queries.get_adapter(workspace, name) if _addressable(name) else None
    if adapter is None:
        return _not_found(workspace, name)
    return jsonify(adapter.to_dict())


@bp.patch("/adapters/<name>", **ROUTE_OPTIONS)
def patch_adapter(workspace: str, name: str):
    """Change description, enabled or fileset (route 4)."""
    return _patch(workspace, name, None)


@bp.delete("/adapters/<name>", **ROUTE_OPTIONS)
def delete_adapter(workspace: str, name: str):
    """Delete an adapter (route 5)."""
    return _delete(workspace, name, None)


@bp.post("/models/<model_name>/adapters", **ROUTE_OPTIONS)
def create_model_adapter(workspace: str, model_name: str):
    """Create an adapter of the model named in the path (route 6)."""
    return _create(workspace, model_name)


@bp.patch("/models/<model_name>/adapters/<name>", **ROUTE_OPTIONS)
def patch_model_adapter(workspace: str, model_name: str, name: str):
    """Change an adapter of the model named in the path (route 7)."""
    return _patch(workspace, name, _model_ref(workspace, model_name))


@bp.delete("/models/<model_name>/adapters/<name>", **ROUTE_OPTIONS)
def delete_model_adapter(workspace: str, model_name: str, name: str):
    """Delete an adapter of the model named in the path (route 8)."""
    return _delete(workspace, name, _model_ref(workspace, model_name))
