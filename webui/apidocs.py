"""The API reference page's content, read from the OpenAPI document (openapi.build_document).

Nothing here states a rule of its own: every type, limit, enum and answer shown comes from the
document, so the page and /apis/openapi.json cannot disagree. Plain Python, no Flask.
"""

from __future__ import annotations

import re
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")
# The keywords shown as a field's limits, in this order, as the document spells them
LIMIT_KEYWORDS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems",
                  "pattern", "format", "default")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def schema_anchor(name: str) -> str:
    """The id of a component schema's section on the page."""
    return f"schema-{name}"


def path_anchor(path: str) -> str:
    """The id of a path's section on the page."""
    return "path-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def type_parts(schema: dict[str, Any]) -> list[dict[str, str | None]]:
    """A schema's type as text pieces, a reference naming the schema section it links to."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return [{"text": name, "ref": schema_anchor(name)}]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts: list[dict[str, str | None]] = []
            for index, branch in enumerate(schema[key]):
                if index:
                    parts.append({"text": " or ", "ref": None})
                parts.extend(type_parts(branch))
            return parts
    kind = schema.get("type")
    if kind == "array":
        return [{"text": "array of ", "ref": None}, *type_parts(schema.get("items", {}))]
    if isinstance(kind, list):
        return [{"text": " or ".join(kind), "ref": None}]
    if kind:
        return [{"text": kind, "ref": None}]
    return [{"text": "enum" if "enum" in schema else "any", "ref": None}]


def limits(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A schema's limits as the document states them: keyword and value, enums as lists.

    The branches of an anyOf (a value or null) and the items of an array are read too."""
    found: list[dict[str, Any]] = []
    for key in LIMIT_KEYWORDS:
        if key in schema:
            value = schema[key]
            found.append({"key": key, "value": str(value).lower() if isinstance(value, bool)
                          else str(value)})
    if "enum" in schema:
        found.append({"key": "enum", "choices": [str(value) for value in schema["enum"]]})
    if "enum" in schema.get("not", {}):
        found.append({"key": "not enum", "choices": [str(v) for v in schema["not"]["enum"]]})
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        found.extend(limits(branch))
    if isinstance(schema.get("items"), dict):
        found.extend({**limit, "key": f"items {limit['key']}"} for limit in limits(
            schema["items"]))
    return found


def fields(schema: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """An object schema's properties, one row each; an inline object's own properties follow
    it as ``parent.child``."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        rows.append({"name": prefix + name, "type": type_parts(prop), "required": name in
                     required, "limits": limits(prop), "description": prop.get("description",
                                                                                   "")})
        if "properties" in prop:
            rows.extend(fields(prop, prefix=f"{prefix}{name}."))
    return rows


def _parameters(path_item: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The path's parameters and the operation's, the operation's winning on a clash."""
    merged = {(p["name"], p["in"]): p for p in path_item.get("parameters", [])}
    merged.update({(p["name"], p["in"]): p for p in operation.get("parameters", [])})
    return [{"name": p["name"], "in": p["in"], "type": type_parts(p.get("schema", {})),
             "required": bool(p.get("required")), "description": p.get("description", ""),
             "limits": limits(p.get("schema", {}))} for p in merged.values()]


def _json_schema(holder: dict[str, Any]) -> dict[str, Any] | None:
    return holder.get("content", {}).get("application/json", {}).get("schema")


def _body(operation: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    """The request body: its schema's name and its fields."""
    if "requestBody" not in operation:
        return None
    body = operation["requestBody"]
    schema = _json_schema(body) or {}
    resolved = schemas.get(_ref_name(schema["$ref"]), {}) if "$ref" in schema else schema
    return {"required": bool(body.get("required")), "type": type_parts(schema),
            "fields": fields(resolved)}


def _security(operation: dict[str, Any], document: dict[str, Any]) -> list[dict[str, str]]:
    """Each way to call the operation: a scheme and its description, or no credentials."""
    ways = []
    schemes = document.get("components", {}).get("securitySchemes", {})
    for requirement in operation.get("security", document.get("security", [])):
        if not requirement:
            ways.append({"name": "none", "description": "no credentials"})
        for name in requirement:
            scheme = schemes.get(name, {})
            kind = " ".join(filter(None, (scheme.get("type"), scheme.get("scheme"))))
            ways.append({"name": name, "description": "; ".join(
                filter(None, (kind, scheme.get("description"))))})
    return ways


def _operation(path: str, method: str, path_item: dict[str, Any],
               document: dict[str, Any]) -> dict[str, Any]:
    operation = path_item[method]
    schemas = document.get("components", {}).get("schemas", {})
    responses = [{"status": status, "description": answer.get("description", ""),
                  "type": type_parts(_json_schema(answer)) if _json_schema(answer) else []}
                 for status, answer in sorted(operation.get("responses", {}).items())]
    return {"id": operation.get("operationId") or f"{method}-{path_anchor(path)}",
            "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
            "description": operation.get("description", ""),
            "parameters": _parameters(path_item, operation),
            "body": _body(operation, schemas), "responses": responses,
            "security": _security(operation, document)}


def reference(document: dict[str, Any]) -> dict[str, Any]:
    """The page's content: the document's paths, each with its operations, then its schemas."""
    paths = [{"path": path, "id": path_anchor(path),
              "operations": [_operation(path, method, item, document)
                             for method in METHODS if method in item]}
             for path, item in document.get("paths", {}).items()]
    schemas = [{"name": name, "id": schema_anchor(name), "type": type_parts(schema),
                "limits": limits(schema), "fields": fields(schema),
                "description": schema.get("description", "")}
               for name, schema in document.get("components", {}).get("schemas", {}).items()]
    return {"title": document.get("info", {}).get("title", ""),
            "version": document.get("info", {}).get("version", ""),
            "openapi": document.get("openapi", ""), "paths": paths, "schemas": schemas}
