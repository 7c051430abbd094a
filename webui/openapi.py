"""The OpenAPI 3.1 document of the JSON API, built from the rules module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from . import listing, rules

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
        400: "Bad filter", 404: "No such adapter", 409: "Name taken in the workspace",
        413: "Body too large", 415: "Body is not JSON", 422: "A rule is broken",
    }
    return {str(status): _response(texts[status], "ValidationError" if status == 422 else "Error")
            for status in statuses}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _list_params() -> list[dict[str, Any]]:
    """The list route's query parameters, from the list query language."""
    sorts = listing.ADAPTERS.sort_fields
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "page_size", "in": "query", "schema": {
            "type": "integer", "minimum": 1, "maximum": listing.PAGE_SIZE_MAX,
            "default": listing.PAGE_SIZE_DEFAULT}},
        {"name": "sort", "in": "query", "schema": {
            "type": "string", "default": listing.ADAPTERS.sort_default,
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


def build_document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "webui adapters API", "version": "2"},
        "paths": _paths(),
        "components": {"schemas": {**_adapter_schemas(), **_envelope_schemas()}},
    }


@bp.get("/apis/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document of the JSON API."""
    document = current_app.extensions.get("webui.openapi")
    if document is None:
        document = current_app.extensions["webui.openapi"] = build_document()
    return jsonify(document)
