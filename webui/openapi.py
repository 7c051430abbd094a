"""The OpenAPI 3.1 document of the JSON API, built from the rules module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from . import apidocs, listing, rules

bp = Blueprint("openapi", __name__)

_NAME = {"type": "string", "minLength": 1, "maxLength": rules.NAME_MAX,
         "pattern": rules.NAME_PATTERN, "not": {"enum": [".", ".."]}}
_MODEL = {"type": "string", "minLength": 2, "maxLength": rules.MODEL_MAX,
          "pattern": rules.MODEL_PATTERN}
_FILESET = {"type": "string", "minLength": 1, "maxLength": rules.FILESET_MAX,
            "pattern": rules.FILESET_PATTERN}
_DESCRIPTION = {"type": ["string", "null"], "maxLength": rules.DESCRIPTION_MAX}
_POSITIVE_INT = {"type": "integer", "minimum": 1, "maximum": rules.INT_MAX}
_TIME = {"type": "string", "format": "date-time"}
_LORA_CONFIG = {
    "type": "object",
    "properties": {"rank": _POSITIVE_INT, "alpha": {"anyOf": [_POSITIVE_INT, {"type": "null"}]}},
    "required": ["rank"],
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _adapter_schemas() -> dict[str, Any]:
    """The adapter's bodies: what a create and a change send, and the Adapter object."""
    create_props = {
        "name": _NAME,
        "fileset": _FILESET,
        "finetuning_type": _ref("FinetuningType"),
        "model": _MODEL,
        "description": _DESCRIPTION,
        "enabled": {"type": "boolean", "default": True},
        "lora_config": {"anyOf": [_ref("LoraConfig"), {"type": "null"}]},
    }
    adapter_props = {
        "name": _NAME,
        "workspace": _NAME,
        "description": _DESCRIPTION,
        "fileset": {"type": "string"},
        "finetuning_type": _ref("FinetuningType"),
        "enabled": {"type": "boolean"},
        "lora_config": {"anyOf": [_ref("LoraConfig"), {"type": "null"}]},
        "model": {"type": "string", "maxLength": rules.MODEL_MAX},
        "created_at": _TIME,
        "updated_at": _TIME,
    }
    return {
        "FinetuningType": {"type": "string", "enum": list(rules.FINETUNING_TYPES)},
        "LoraConfig": _LORA_CONFIG,
        "AdapterCreate": {"type": "object", "properties": create_props,
                          "required": list(rules.CREATE_CHECKS)},
        "ModelAdapterCreate": {
            "type": "object",
            "properties": {k: v for k, v in create_props.items() if k != "model"},
            "required": [k for k in rules.CREATE_CHECKS if k != "model"],
        },
        "AdapterPatch": {
            "type": "object",
            "properties": {
                "description": _DESCRIPTION,
                "enabled": {"type": ["boolean", "null"]},
                "fileset": {"anyOf": [_FILESET, {"type": "null"}]},
            },
        },
        "Adapter": {"type": "object", "properties": adapter_props,
                    "required": list(adapter_props)},
    }


def _envelope_schemas() -> dict[str, Any]:
    """What wraps answers: a page of adapters, and the two error bodies."""
    error_item = {
        "type": "object",
        "properties": {
            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["loc", "msg", "type"],
    }
    return {
        "AdapterPage": {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": _ref("Adapter")},
                "pagination": {
                    "type": "object",
                    "properties": {key: {"type": "integer", "minimum": 0} for key in (
                        "page", "page_size", "current_page_size", "total_pages",
                        "total_results")},
                    "required": ["page", "page_size", "current_page_size", "total_pages",
                                 "total_results"],
                },
                "sort": {"type": "string"},
                "filter": {"type": "object"},
            },
            "required": ["data", "pagination", "sort"],
        },
        "ValidationError": {
            "type": "object",
            "properties": {"detail": {"type": "array", "items": error_item}},
            "required": ["detail"],
        },
        "Error": {"type": "object", "properties": {"detail": {"type": "string"}},
                  "required": ["detail"]},
    }


def _response(description: str, schema: str | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Bad filter", 401: "No valid credentials", 403: "Not allowed for this caller",
        404: "Not found", 409: "Conflicts with what is stored", 413: "Body too large",
        415: "Body is compressed (Content-Encoding), or is not UTF-8 JSON",
        422: "A rule is broken",
    }
    return {str(status): _response(texts[status], "ValidationError" if status == 422 else "Error")
            for status in statuses}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _list_params(spec: listing.ListSpec = listing.ADAPTERS) -> list[dict[str, Any]]:
    """A list route's query parameters, from the list query language."""
    sorts = spec.sort_fields
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "page_size", "in": "query", "schema": {
            "type": "integer", "minimum": 1, "maximum": listing.PAGE_SIZE_MAX,
            "default": listing.PAGE_SIZE_DEFAULT}},
        {"name": "sort", "in": "query", "schema": {
            "type": "string", "default": spec.sort_default,
            "enum": [*sorts, *(f"-{field}" for field in sorts)]}},
        {"name": "filter", "in": "query", "description":
            "JSON filter, e.g. {\"name\": {\"$like\": \"x\"}}; or the bracket form "
            "filter[field][$operator]=value", "schema": {"type": "string"}},
    ]


def _create_operation(operation_id: str, summary: str, body: str) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary, "requestBody": _body(body),
            "responses": {"201": _response("Created", "Adapter"),
                          **_errors(409, 413, 415, 422)}}


def _patch_operation(operation_id: str, summary: str) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary,
            "requestBody": _body("AdapterPatch"),
            "responses": {"200": _response("The changed adapter", "Adapter"),
                          **_errors(404, 413, 415, 422)}}


def _delete_operation(operation_id: str, summary: str) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary,
            "responses": {"204": _response("Deleted"), **_errors(404, 422)}}


def _paths() -> dict[str, Any]:
    """Every route, with the path parameters named as the contract's route table names them."""
    workspace = _path_param("workspace", _NAME)
    model_name = _path_param("model_name", {
        "type": "string", "minLength": rules.MODEL_SEGMENT_MIN,
        "maxLength": rules.MODEL_SEGMENT_MAX})
    base = "/apis/models/v2/workspaces/{workspace}"
    return {
        f"{base}/adapters": {
            "parameters": [workspace],
            "post": _create_operation("createAdapter", "Create an adapter", "AdapterCreate"),
            "get": {"operationId": "listAdapters", "summary": "List adapters",
                    "parameters": _list_params(),
                    "responses": {"200": _response("A page of adapters", "AdapterPage"),
                                  **_errors(400, 422)}},
        },
        f"{base}/adapters/{{name}}": {
            "parameters": [workspace, _path_param("name", {"type": "string"})],
            "get": {"operationId": "getAdapter", "summary": "Get an adapter",
                    "responses": {"200": _response("The adapter", "Adapter"),
                                  **_errors(404, 422)}},
            "patch": _patch_operation("patchAdapter", "Change an adapter"),
            "delete": _delete_operation("deleteAdapter", "Delete an adapter"),
        },
        f"{base}/models/{{model_name}}/adapters": {
            "parameters": [workspace, model_name],
            "post": _create_operation("createModelAdapter", "Create an adapter of a model",
                                      "ModelAdapterCreate"),
        },
        f"{base}/models/{{model_name}}/adapters/{{adapter}}": {
            "parameters": [workspace, model_name, _path_param("adapter", {"type": "string"})],
            "patch": _patch_operation("patchModelAdapter", "Change an adapter of a model"),
            "delete": _delete_operation("deleteModelAdapter", "Delete an adapter of a model"),
        },
    }


def _workspace_schemas() -> dict[str, Any]:
    """The entities API's bodies: workspaces, members, and what a delete answers."""
    username = {"type": ["string", "null"]}
    workspace = {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
                 "description": {"type": ["string", "null"]}, "created_at": _TIME,
                 "updated_at": _TIME, "created_by": username, "updated_by": username}
    roles = {"type": "array", "minItems": 1, "items": {"enum": list(rules.ROLES)}}
    member = {"principal": {"type": "string"}, "roles": roles, "granted_at": _TIME,
              "granted_by": username}
    page = _envelope_schemas()["AdapterPage"]
    return {
        "Workspace": {"type": "object", "properties": workspace, "required": list(workspace)},
        "WorkspaceCreate": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "minLength": rules.WORKSPACE_NEW_MIN,
                     "maxLength": rules.WORKSPACE_NEW_MAX, "pattern": rules.WORKSPACE_PATTERN},
            "description": _DESCRIPTION}},
        "WorkspaceUpdate": {"type": "object", "properties": {"description": _DESCRIPTION}},
        "WorkspacePage": {**page, "properties": {**page["properties"], "data": {
            "type": "array", "items": _ref("Workspace")}}},
        "WorkspaceMember": {"type": "object", "properties": member, "required": list(member)},
        "WorkspaceMemberList": {"type": "object", "required": ["data"], "properties": {
            "data": {"type": "array", "items": _ref("WorkspaceMember")}}},
        "MemberCreate": {"type": "object", "required": ["principal", "roles"], "properties": {
            "principal": {"type": "string", "minLength": 1, "maxLength": rules.USERNAME_MAX},
            "roles": roles}},
        "MemberUpdate": {"type": "object", "required": ["roles"], "properties": {"roles": roles}},
        "DeleteResponse": {"type": "object", "required": ["id", "message"], "properties": {
            "id": {"type": "string"}, "message": {"type": "string"}}},
        "Discovery": {"type": "object", "required": ["auth_enabled"],
                      "properties": {"auth_enabled": {"type": "boolean"}}},
    }


def _operation(operation_id: str, summary: str, success: tuple[str, str, str | None],
               errors: tuple[int, ...], body: str | None = None,
               parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    status, description, schema = success
    operation = {"operationId": operation_id, "summary": summary,
                 "responses": {status: _response(description, schema), **_errors(*errors)}}
    if body:
        operation["requestBody"] = _body(body)
    if parameters:
        operation["parameters"] = parameters
    return operation


def _workspace_paths() -> dict[str, Any]:
    """The workspaces and members routes (NeMo's entities API v2)."""
    base = "/apis/entities/v2/workspaces"
    workspace = _path_param("workspace", {"type": "string"})
    principal = _path_param("principal", {"type": "string"})
    wait = [{"name": "wait_role_propagation", "in": "query", "schema": {"type": "boolean"}}]
    write = (404, 413, 415, 422)
    return {
        base: {
            "post": _operation("createWorkspace", "Create a workspace",
                               ("201", "Created", "Workspace"), (409, 413, 415, 422),
                               "WorkspaceCreate", wait),
            "get": _operation("listWorkspaces", "List the workspaces you may read",
                              ("200", "A page of workspaces", "WorkspacePage"), (400, 422),
                              parameters=_list_params(listing.WORKSPACES)),
        },
        f"{base}/{{workspace}}": {
            "parameters": [workspace],
            "get": _operation("getWorkspace", "Get a workspace", ("200", "The workspace",
                              "Workspace"), (404,)),
            "put": _operation("updateWorkspace", "Change a workspace's description",
                              ("200", "The workspace", "Workspace"), write, "WorkspaceUpdate"),
            "delete": _operation("deleteWorkspace", "Delete an empty workspace",
                                 ("200", "Deleted", "DeleteResponse"), (404, 409)),
        },
        f"{base}/{{workspace}}/members": {
            "parameters": [workspace],
            "get": _operation("listMembers", "A workspace's members",
                              ("200", "The members", "WorkspaceMemberList"), (404,)),
            "post": _operation("addMember", "Give a principal roles",
                               ("201", "The member", "WorkspaceMember"), (*write, 409),
                               "MemberCreate", wait),
        },
        f"{base}/{{workspace}}/members/{{principal}}": {
            "parameters": [workspace, principal],
            "put": _operation("updateMember", "Replace a principal's roles",
                              ("200", "The member", "WorkspaceMember"), (*write, 409),
                              "MemberUpdate", wait),
            "delete": _operation("removeMember", "Take a principal's roles away",
                                 ("200", "Removed", "DeleteResponse"), (404, 409),
                                 parameters=wait),
        },
    }


def _activity_schemas() -> dict[str, Any]:
    """The activity history's bodies: an event, and a page of them."""
    value = {"type": ["string", "integer", "boolean", "object", "null"]}
    event = {"id": {"type": "integer"}, "at": _TIME, "actor": {"type": "string"},
             "workspace": {"type": "string"}, "kind": {"enum": list(rules.ACTIVITY_KINDS)},
             "subject": {"type": ["string", "null"]},
             "changes": {"type": "object", "additionalProperties": {
                 "type": "object", "required": ["old", "new"],
                 "properties": {"old": value, "new": value}}}}
    page = _envelope_schemas()["AdapterPage"]
    return {
        "ActivityEvent": {"type": "object", "properties": event, "required": list(event)},
        "ActivityPage": {"type": "object", "required": ["data", "pagination"], "properties": {
            "data": {"type": "array", "items": _ref("ActivityEvent")},
            "pagination": page["properties"]["pagination"]}},
    }


def _activity_paths() -> dict[str, Any]:
    """The activity history's routes (this app's own, beside NeMo's)."""
    base = "/apis/webui/v1/workspaces/{workspace}"
    workspace = _path_param("workspace", _NAME)
    text = {"type": "string"}
    filters = [
        *_list_params()[:2],  # page and page_size
        {"name": "adapter", "in": "query", "schema": text,
         "description": "only this adapter's events (a deleted one's too)"},
        {"name": "actor", "in": "query", "schema": text,
         "description": "only the changes of this username ('local' with sign-in off)"},
        {"name": "kind", "in": "query", "schema": {"enum": list(rules.ACTIVITY_KINDS)}},
        {"name": "since", "in": "query", "schema": _TIME, "description": "at or after"},
        {"name": "until", "in": "query", "schema": _TIME, "description": "before"},
    ]
    answer = ("200", "A page of events, newest first", "ActivityPage")
    return {
        f"{base}/activity": {
            "parameters": [workspace],
            "get": _operation("listActivity", "A workspace's activity history", answer,
                              (422,), parameters=filters),
        },
        f"{base}/adapters/{{name}}/activity": {
            "parameters": [workspace, _path_param("name", _NAME)],
            "get": _operation("listAdapterActivity", "One adapter's activity history", answer,
                              (422,), parameters=[p for p in filters if p["name"] != "adapter"]),
        },
    }


def _with_credentials(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation of ``paths`` takes a Bearer token (when sign-in is on) and may answer
    401 or 403."""
    for item in paths.values():
        for method, operation in item.items():
            if method != "parameters":
                operation["responses"].update(_errors(401, 403))
                operation["security"] = [{"bearer": []}, {}]
    return paths


def _with_body_checks(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation, even one that reads no body, may answer 413 and 415 (bodies.py)."""
    for item in paths.values():
        for method, operation in item.items():
            if method != "parameters":
                operation["responses"].update(_errors(413, 415))
    return paths


def build_document() -> dict[str, Any]:
    """The whole document."""
    paths = _with_credentials({**_paths(), **_workspace_paths(), **_activity_paths()})
    paths["/apis/auth/discovery"] = {"get": {
        **_operation("authDiscovery", "Whether this server asks for credentials",
                     ("200", "The answer", "Discovery"), ()), "security": []}}
    paths = _with_body_checks(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "webui adapters API", "version": "2"},
        "paths": paths,
        "components": {
            "schemas": {**_adapter_schemas(), **_envelope_schemas(), **_workspace_schemas(),
                        **_activity_schemas()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token: wui_…"}},
        },
    }


def _document() -> dict[str, Any]:
    """The document, built once per app."""
    document = current_app.extensions.get("webui.openapi")
    if document is None:
        document = current_app.extensions["webui.openapi"] = build_document()
    return document


@bp.get("/apis/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document of the JSON API."""
    return jsonify(_document())


@bp.get("/apis/docs")
def api_docs():
    """The API reference: the same document, as a page a person can read."""
    return render_template("apis/docs.html", reference=apidocs.reference(_document()))
