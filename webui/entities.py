"""The workspaces and members API, as NeMo Platform's entities API v2 answers it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from . import auth, listing, rules, workspaces
from .api import ROUTE_OPTIONS, pagination, read_json
from .errors import ApiError
from .models import Workspace

bp = Blueprint("entities", __name__, url_prefix="/apis/entities/v2/workspaces")

def _actor() -> str:
    return auth.principal().username


def _body_field(body: dict[str, Any], field: str, check, errors: list,
                required: bool = False) -> Any:
    """One field of a JSON object through its check, keeping a 422 entry per problem."""
    if field not in body and required:
        errors.append(rules.error_entry(("body", field),
                                        rules.required(rules.LABELS.get(field, field))))
        return None
    value = body.get(field)
    if problem := check(value):
        errors.append(rules.error_entry(("body", field), problem))
    return value


def _checked(parse) -> Any:
    """The JSON object body, read by ``parse(body, errors)``; 422 with every problem found."""
    body = read_json()
    if problem := rules.object_problem(body):
        raise ApiError(422, problem)
    errors: list[dict[str, Any]] = []
    values = parse(body, errors)
    if errors:
        raise ApiError(422, errors)
    return values


def _workspace(name: str) -> Workspace:
    workspace = None if rules.check_workspace(name) else workspaces.get_workspace(name)
    if workspace is None:
        raise ApiError(404, f"Workspace '{name}' not found")
    return workspace


def _answer(error: workspaces.WorkspaceError) -> ApiError:
    return ApiError(error.status, error.detail)


@bp.post("", **ROUTE_OPTIONS)
def create_workspace():
    """Make a workspace; whoever makes it becomes its Admin."""
    def parse(body, errors):
        return (_body_field(body, "name", rules.check_new_workspace, errors, required=True),
                _body_field(body, "description", rules.check_description, errors))

    name, description = _checked(parse)
    try:
        workspace = workspaces.create_workspace(name, description, _actor())
    except workspaces.WorkspaceError as error:
        raise _answer(error) from None
    return jsonify(workspaces.workspace_json(workspace)), 201


@bp.get("", **ROUTE_OPTIONS)
def list_workspaces():
    """The workspaces the person may read: filter, sort, paginate."""
    try:
        query, errors = listing.parse_list_args(
            request.args, request.args.items(multi=True), listing.WORKSPACES)
    except listing.FilterError as bad_filter:
        raise ApiError(400, str(bad_filter)) from None
    if errors:
        raise ApiError(422, errors)
    who = auth.principal()
    page = workspaces.list_workspaces(None if who.platform_admin else who.username, query)
    body: dict[str, Any] = {
        "data": [workspaces.workspace_json(workspace) for workspace in page.items],
        "pagination": pagination(page),
        "sort": query.sort,
    }
    if query.filter is not None:
        body["filter"] = listing.echo_filter(query.filter)
    return jsonify(body)


@bp.get("/<workspace>", **ROUTE_OPTIONS)
def retrieve_workspace(workspace: str):
    """One workspace."""
    return jsonify(workspaces.workspace_json(_workspace(workspace)))


@bp.put("/<workspace>", **ROUTE_OPTIONS)
def update_workspace(workspace: str):
    """Change a workspace's description."""
    description = _checked(lambda body, errors: _body_field(
        body, "description", rules.check_description, errors))
    try:
        record = workspaces.update_workspace(_workspace(workspace), description, _actor())
    except workspaces.WorkspaceError as error:  # deleted by another request meanwhile
        raise _answer(error) from None
    return jsonify(workspaces.workspace_json(record))


@bp.delete("/<workspace>", **ROUTE_OPTIONS)
def delete_workspace(workspace: str):
    """Delete an empty workspace."""
    try:
        workspaces.delete_workspace(_workspace(workspace), _actor())
    except workspaces.WorkspaceError as error:
        raise _answer(error) from None
    return jsonify(id=workspace, message=f"Workspace '{workspace}' deleted")


@bp.get("/<workspace>/members", **ROUTE_OPTIONS)
def list_members(workspace: str):
    """Who holds which roles in a workspace."""
    _workspace(workspace)
    return jsonify(data=[workspaces.member_json(member)
                         for member in workspaces.members(workspace)])


def _principal(body: Any, errors: list) -> str | None:
    principal = _body_field(body, "principal", rules.check_principal, errors, required=True)
    if errors or principal is None:
        return None
    principal = rules.normalise_username(principal)
    if not workspaces.known_principal(principal):
        errors.append(rules.error_entry(("body", "principal"),
                                        rules.unknown_principal(principal)))
    return principal


@bp.post("/<workspace>/members", **ROUTE_OPTIONS)
def add_member(workspace: str):
    """Give a principal roles in a workspace (added to what they had)."""
    def parse(body, errors):
        principal = _principal(body, errors)
        roles = _body_field(body, "roles", rules.check_roles, errors, required=True)
        return principal, roles

    principal, roles = _checked(parse)
    _workspace(workspace)
    return _set_member(workspace, principal, roles, add=True), 201


@bp.put("/<workspace>/members/<principal>", **ROUTE_OPTIONS)
def update_member(workspace: str, principal: str):
    """Replace a principal's roles in a workspace."""
    roles = _checked(lambda body, errors: _body_field(
        body, "roles", rules.check_roles, errors, required=True))
    _workspace(workspace)
    return _set_member(workspace, _member_name(workspace, principal), roles, add=False)


def _member_name(workspace: str, principal: str) -> str:
    """A principal from the path; one that breaks the rules cannot be a member: 404."""
    principal = rules.normalise_username(principal)
    if rules.check_principal(principal):
        raise ApiError(404, f"Member '{principal}' not found in workspace '{workspace}'")
    return principal


def _set_member(workspace: str, principal: str, roles: list[str], add: bool):
    try:
        member = workspaces.set_member(workspace, principal, roles, _actor(), add=add)
    except workspaces.WorkspaceError as error:
        raise _answer(error) from None
    return jsonify(workspaces.member_json(member))


@bp.delete("/<workspace>/members/<principal>", **ROUTE_OPTIONS)
def remove_member(workspace: str, principal: str):
    """Take a principal's roles in a workspace away."""
    _workspace(workspace)
    principal = _member_name(workspace, principal)
    try:
        workspaces.remove_member(workspace, principal, _actor())
    except workspaces.WorkspaceError as error:
        raise _answer(error) from None
    return jsonify(id=principal, message=f"Member '{principal}' removed from workspace "
                                         f"'{workspace}'")
