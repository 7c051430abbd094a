"""The JSON API: the NeMo Platform Models API v2 adapters routes.

Every failure is raised as an :class:`~webui.errors.ApiError`; ``errors.py`` answers it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import auth, listing, queries, rules
from .errors import ApiError
from .models import adapter_json

bp = Blueprint("api", __name__, url_prefix="/apis/models/v2/workspaces/<workspace>")
# No automatic OPTIONS: any method a route does not list is a 405, as the contract says.
ROUTE_OPTIONS = {"provide_automatic_options": False}

Parser = Callable[[Any], tuple[Any, list[dict[str, Any]]]]


def _check_workspace(workspace: str, errors: list[dict[str, Any]] = ()) -> None:
    """422 for a bad workspace in the path, together with any other entries found so far."""
    if problem := rules.check_workspace(workspace):
        errors = [rules.error_entry(("path", "workspace"), problem), *errors]
    if errors:
        raise ApiError(422, list(errors))


def _decode_body() -> tuple[Any, list[dict[str, Any]]]:
    """The decoded JSON body and the 422 entries of bad JSON; 415 unless it is UTF-8 JSON."""
    if request.mimetype != "application/json":
        raise ApiError(415, "Content-Type must be application/json")
    if problem := rules.charset_problem(request.mimetype_params.get("charset")):
        raise ApiError(415, problem)
    return rules.decode_json(request.get_data(cache=False))


def read_json() -> Any:
    """The decoded JSON body: 415 unless it says it is JSON, 422 unless it is."""
    body, errors = _decode_body()
    if errors:
        raise ApiError(422, errors)
    return body


def _read_body(workspace: str, parse: Parser) -> Any:
    """The JSON body, decoded and checked by ``parse``: 415 unless it says it is JSON, 422 for
    a bad workspace, bad JSON or broken rules."""
    body, errors = _decode_body()
    _check_workspace(workspace, errors)
    values, errors = parse(body)
    _check_workspace(workspace, errors)
    return values


def pagination(page: queries.Page) -> dict[str, int]:
    """Where a page of a list stands, as every list route answers it."""
    return {"page": page.page, "page_size": page.page_size,
            "current_page_size": len(page.items), "total_pages": page.total_pages,
            "total_results": page.total}


def _not_found(workspace: str, name: str) -> ApiError:
    return ApiError(404, queries.not_found_message(workspace, name))


def _address(workspace: str, name: str, model_name: str | None = None) -> str | None:
    """The stored model an adapter must have to be found (None: any model).

    A name or model that breaks the rules cannot name an adapter: 404, without a lookup, so
    nothing unstorable reaches the database.
    """
    if rules.check_name(name) or (
            model_name is not None and rules.check_model_segment(model_name)):
        raise _not_found(workspace, name)
    return None if model_name is None else f"{workspace}/{model_name}"


def _create(workspace: str, model_name: str | None) -> tuple[Response, int]:
    values = _read_body(workspace, lambda body: rules.parse_create(body, workspace, model_name))
    try:
        adapter = queries.create_adapter(workspace, values, auth.principal().username)
    except queries.NameTaken as taken:
        # tell the SDK a retry cannot help
        raise ApiError(409, str(taken), {"x-should-retry": "false"}) from None
    return jsonify(adapter.to_dict()), 201


def _patch(workspace: str, name: str, model_name: str | None) -> Response:
    changes = _read_body(workspace, rules.parse_patch)
    adapter = queries.update_adapter(workspace, name, changes,
                                     _address(workspace, name, model_name),
                                     auth.principal().username)
    if adapter is None:
        raise _not_found(workspace, name)
    return jsonify(adapter.to_dict())


def _delete(workspace: str, name: str, model_name: str | None) -> Response:
    _check_workspace(workspace)
    if not queries.delete_adapter(workspace, name, _address(workspace, name, model_name),
                                  auth.principal().username):
        raise _not_found(workspace, name)
    return Response(status=204)


@bp.post("/adapters", **ROUTE_OPTIONS)
def create_adapter(workspace: str):
    """Create an adapter (route 1)."""
    return _create(workspace, None)


@bp.get("/adapters", **ROUTE_OPTIONS)
def list_adapters(workspace: str):
    """List a workspace's adapters: filter, sort, paginate (route 2)."""
    try:
        query, errors = listing.parse_list_args(request.args, request.args.items(multi=True))
    except listing.FilterError as bad_filter:
        raise ApiError(400, str(bad_filter)) from None
    _check_workspace(workspace, errors)
    page = queries.list_adapters(workspace, query)
    body: dict[str, Any] = {
        "data": [adapter_json(adapter) for adapter in page.items],
        "pagination": pagination(page),
        "sort": query.sort,
    }
    if query.filter is not None:
        body["filter"] = listing.echo_filter(query.filter)
    return jsonify(body)


@bp.get("/adapters/<name>", **ROUTE_OPTIONS)
def retrieve_adapter(workspace: str, name: str):
    """One adapter (route 3)."""
    _check_workspace(workspace)
    _address(workspace, name)
    adapter = queries.get_adapter(workspace, name)
    if adapter is None:
        raise _not_found(workspace, name)
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


@bp.patch("/models/<model_name>/adapters/<adapter>", **ROUTE_OPTIONS)
def patch_model_adapter(workspace: str, model_name: str, adapter: str):
    """Change an adapter of the model named in the path (route 7)."""
    return _patch(workspace, adapter, model_name)


@bp.delete("/models/<model_name>/adapters/<adapter>", **ROUTE_OPTIONS)
def delete_model_adapter(workspace: str, model_name: str, adapter: str):
    """Delete an adapter of the model named in the path (route 8)."""
    return _delete(workspace, adapter, model_name)
