"""The rules of an adapter, written once.

Every limit, charset, enum value and message of the adapters contract lives here. The JSON API,
the web form and the OpenAPI document all use this module; nothing else restates a rule.
Plain Python on purpose: no Flask, WTForms or SQLAlchemy.

A check function takes any value and returns ``None`` when it is fine, or a :class:`Violation`
(a human message and a machine type). The ``parse_*`` functions take decoded JSON, check types
before rules, and return the clean values together with FastAPI-style error entries.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

# --- limits -------------------------------------------------------------------------------

NAME_MAX = 255
FILESET_MAX = 255
MODEL_MAX = 127
MODEL_SEGMENT_MIN = 2
MODEL_SEGMENT_MAX = 63
DESCRIPTION_MAX = 1000
INT_MAX = 2**63 - 1  # what a 64-bit column holds
PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 1000
PAGE_MAX = 10**15  # far past any real page; keeps offsets inside 64 bits
FILTER_LIST_MAX = 1000  # values in one $in / $nin
MAX_BODY_BYTES = 1024 * 1024

# --- charsets -----------------------------------------------------------------------------

# The seed's ^[\w\-.]+$, read as its own words say: ASCII letters and digits, '_', '-', '.'.
NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_-.")
MODEL_CHARS = frozenset(string.ascii_lowercase + string.digits + "-@.+_")
NAME_PATTERN = r"^[A-Za-z0-9_.\-]+$"
# One model segment: no leading/trailing '-', no '--', at least two characters.
_MODEL_SEGMENT_PATTERN = r"[a-z0-9@.+_](?:-?[a-z0-9@.+_])+"
MODEL_PATTERN = rf"^{_MODEL_SEGMENT_PATTERN}(?:/{_MODEL_SEGMENT_PATTERN})?$"
FILESET_PATTERN = r"^(?:[A-Za-z0-9_.\-]+/)?[A-Za-z0-9_.\-]+$"

# --- finetuning types ---------------------------------------------------------------------

FINETUNING_TYPE_GROUPS: dict[str, tuple[str, ...]] = {
    "LoRA family": ("lora", "qlora", "adalora", "dora", "lora_plus", "lora_merged"),
    "Prompt learning": ("prompt_tuning", "prefix_tuning", "p_tuning", "p_tuning_v2", "soft_prompt"),
    "Full and partial fine-tuning": (
        "all_weights", "last_layer", "top_layers", "gradual_unfreezing", "bias_only",
        "attention_only",
    ),
    "Preference optimisation": ("ppo", "dpo", "cdpo", "ipo", "orpo", "kto", "rrhf", "grpo"),
}
# The contract's order.
FINETUNING_TYPES: tuple[str, ...] = (
    "lora_merged", "all_weights", "last_layer", "top_layers", "gradual_unfreezing", "bias_only",
    "attention_only", "lora", "qlora", "adalora", "dora", "lora_plus", "prompt_tuning",
    "prefix_tuning", "p_tuning", "p_tuning_v2", "soft_prompt", "ppo", "dpo", "cdpo", "ipo", "orpo",
    "kto", "rrhf", "grpo",
)
LORA_TYPES = frozenset(FINETUNING_TYPE_GROUPS["LoRA family"])

# --- list parameters ----------------------------------------------------------------------

SORT_FIELDS = ("name", "created_at", "updated_at", "finetuning_type", "model", "fileset", "enabled")
SORT_DEFAULT = "created_at"
FILTER_FIELDS = (
    "name", "model", "description", "fileset", "finetuning_type", "enabled", "created_at",
    "updated_at",
)
TEXT_FILTER_FIELDS = frozenset({"name", "model", "description", "fileset", "finetuning_type"})
TIME_FILTER_FIELDS = frozenset({"created_at", "updated_at"})
FILTER_OPERATORS = ("$eq", "$like", "$in", "$nin", "$gt", "$gte", "$lt", "$lte")
RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})


class Violation(NamedTuple):
    """One broken rule: the sentence a person reads and the machine-readable type."""

    msg: str
    type: str


# --- messages -----------------------------------------------------------------------------

LABELS = {
    "workspace": "Workspace",
    "name": "Name",
    "fileset": "Fileset",
    "finetuning_type": "Finetuning type",
    "model": "Model",
    "model_name": "Model",
    "description": "Description",
    "enabled": "Enabled",
    "lora_config": "LoRA config",
    "rank": "LoRA rank",
    "alpha": "LoRA alpha",
}


def _required(label: str) -> Violation:
    return Violation(f"{label} is required", "missing")


def _text_problem(value: object, label: str) -> Violation | None:
    """Type and encoding checks shared by every text field."""
    if not isinstance(value, str):
        return Violation(f"{label} must be a string", "string_type")
    if "\x00" in value:
        return Violation(f"{label} must not contain NUL characters", "string_invalid")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return Violation(f"{label} must be valid Unicode text", "string_unicode")
    return None


def _check_name_like(value: object, label: str) -> Violation | None:
    if problem := _text_problem(value, label):
        return problem
    if value == "":
        return _required(label)
    if len(value) > NAME_MAX:
        return Violation(f"{label} must be at most {NAME_MAX} characters long", "string_too_long")
    if not NAME_CHARS.issuperset(value):
        return Violation(
            f"{label} may contain only letters, digits, '_', '-' and '.'",
            "string_pattern_mismatch",
        )
    if value in (".", ".."):
        return Violation(f"{label} cannot be '.' or '..'", "value_error")
    return None


def check_name(value: object) -> Violation | None:
    """An adapter name: 1-255 characters of the name charset, not '.' or '..'."""
    return _check_name_like(value, LABELS["name"])


def check_workspace(value: object) -> Violation | None:
    """A workspace name: the same rule as an adapter name."""
    return _check_name_like(value, LABELS["workspace"])


def check_fileset(value: object) -> Violation | None:
    """``{workspace}/{fileset_name}`` or a bare ``{fileset_name}``, 1-255 characters."""
    label = LABELS["fileset"]
    if problem := _text_problem(value, label):
        return problem
    if value == "":
        return _required(label)
    if len(value) > FILESET_MAX:
        return Violation(
            f"{label} must be at most {FILESET_MAX} characters long", "string_too_long"
        )
    segments = value.split("/")
    if len(segments) > 2 or "" in segments:
        return Violation(
            f"{label} must be 'workspace/fileset-name' or 'fileset-name': "
            "at most one '/', with a name on each side",
            "string_pattern_mismatch",
        )
    if not all(NAME_CHARS.issuperset(segment) for segment in segments):
        return Violation(
            f"{label} names may contain only letters, digits, '_', '-' and '.'",
            "string_pattern_mismatch",
        )
    return None


def check_model_segment(value: object, label: str = LABELS["model"]) -> Violation | None:
    """One model segment: 2-63 of ``a-z 0-9 - @ . + _``; no leading, trailing or double '-'."""
    if problem := _text_problem(value, label):
        return problem
    if value == "":
        return _required(label)
    if not MODEL_SEGMENT_MIN <= len(value) <= MODEL_SEGMENT_MAX:
        return Violation(
            f"{label} names must be {MODEL_SEGMENT_MIN} to {MODEL_SEGMENT_MAX} characters long",
            "string_pattern_mismatch",
        )
    if not MODEL_CHARS.issuperset(value):
        return Violation(
            f"{label} names may contain only lowercase letters, digits, '-', '@', '.', '+' and '_'",
            "string_pattern_mismatch",
        )
    if value.startswith("-") or value.endswith("-"):
        return Violation(f"{label} names must not start or end with '-'", "string_pattern_mismatch")
    if "--" in value:
        return Violation(f"{label} names must not contain '--'", "string_pattern_mismatch")
    return None


def check_model(value: object, workspace: str | None = None) -> Violation | None:
    """``model_name`` or ``workspace/model_name``, at most 127 characters.

    With the path ``workspace``, a bare name is also checked as stored (``workspace/name``).
    """
    label = LABELS["model"]
    if problem := _text_problem(value, label):
        return problem
    if value == "":
        return _required(label)
    if len(value) > MODEL_MAX:
        return Violation(f"{label} must be at most {MODEL_MAX} characters long", "string_too_long")
    segments = value.split("/")
    if len(segments) > 2 or "" in segments:
        return Violation(
            f"{label} must be 'model-name' or 'workspace/model-name': "
            "at most one '/', with a name on each side",
            "string_pattern_mismatch",
        )
    for segment in segments:
        if problem := check_model_segment(segment, label):
            return problem
    if workspace is not None and len(resolve_model(value, workspace)) > MODEL_MAX:
        return Violation(
            f"{label} must be at most {MODEL_MAX} characters long with its workspace "
            f"('{workspace}/…')",
            "string_too_long",
        )
    return None


def resolve_model(model: str, workspace: str) -> str:
    """A valid model reference as stored: a bare name is resolved in the path workspace."""
    return model if "/" in model else f"{workspace}/{model}"


def check_finetuning_type(value: object) -> Violation | None:
    """One of the 25 finetuning types, exact lowercase."""
    label = LABELS["finetuning_type"]
    if problem := _text_problem(value, label):
        return problem
    if value == "":
        return _required(label)
    if value not in FINETUNING_TYPES:
        return Violation(
            f"{label} must be one of: {', '.join(FINETUNING_TYPES)}", "enum"
        )
    return None


def check_description(value: object) -> Violation | None:
    """Optional text of at most 1000 characters (code points)."""
    label = LABELS["description"]
    if value is None:
        return None
    if problem := _text_problem(value, label):
        return problem
    if len(value) > DESCRIPTION_MAX:
        return Violation(
            f"{label} must be at most {DESCRIPTION_MAX} characters long", "string_too_long"
        )
    return None


def check_enabled(value: object) -> Violation | None:
    """A JSON boolean."""
    if not isinstance(value, bool):
        return Violation(f"{LABELS['enabled']} must be true or false", "bool_type")
    return None


def as_integer(value: object) -> int | None:
    """The integer a JSON value stands for, or None: booleans and fractions are not integers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def parse_whole_number(text: str) -> int | None:
    """The number typed ASCII digits stand for, or None if the text is not such digits.

    Past 20 digits any number is far beyond every limit: it stands for 10**20, so no text gets a
    4300-digit conversion (which Python refuses with an error).
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 20 else 10**20


def parse_flag(text: object) -> bool | None:
    """``true`` or ``false`` as typed in a query string or a form; None for anything else."""
    return {"true": True, "false": False}.get(text) if isinstance(text, str) else None


def _check_positive_int(value: object, label: str) -> Violation | None:
    number = as_integer(value)
    if number is None:
        return Violation(f"{label} must be a whole number", "int_type")
    if number < 1:
        return Violation(f"{label} must be at least 1", "greater_than_equal")
    if number > INT_MAX:
        return Violation(f"{label} must be at most {INT_MAX}", "less_than_equal")
    return None


def check_lora_rank(value: object) -> Violation | None:
    """The LoRA rank: a whole number of at least 1 (required when LoRA settings are given)."""
    if value is None:
        return _required(LABELS["rank"])
    return _check_positive_int(value, LABELS["rank"])


def check_lora_alpha(value: object) -> Violation | None:
    """The LoRA alpha: a whole number of at least 1, or nothing."""
    if value is None:
        return None
    return _check_positive_int(value, LABELS["alpha"])


# --- JSON bodies --------------------------------------------------------------------------

Loc = tuple[str | int, ...]


def error_entry(loc: Iterable[str | int], violation: Violation) -> dict[str, Any]:
    """One FastAPI-style entry of a 422 ``detail`` list."""
    return {"loc": list(loc), "msg": violation.msg, "type": violation.type}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(raw: bytes) -> tuple[Any, list[dict[str, Any]]]:
    """Decode a request body strictly (UTF-8, no NaN/Infinity); errors as 422 entries."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant), []
    except UnicodeDecodeError:
        problem = Violation("Request body must be UTF-8 encoded JSON", "json_invalid")
    except RecursionError:
        problem = Violation("Request body is nested too deeply", "json_invalid")
    except ValueError as exc:  # json.JSONDecodeError and the rejected constants
        problem = Violation(f"Request body is not valid JSON: {exc}", "json_invalid")
    return None, [error_entry(("body",), problem)]


def _object_problem(body: object) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        return []
    return [error_entry(("body",), Violation("Request body must be a JSON object", "dict_type"))]


def parse_lora_config(value: object) -> tuple[dict[str, int | None] | None, list[dict]]:
    """``null`` or ``{"rank": int, "alpha": int | null}``; other keys inside are ignored."""
    if value is None:
        return None, []
    loc: Loc = ("body", "lora_config")
    if not isinstance(value, dict):
        return None, [
            error_entry(loc, Violation(f"{LABELS['lora_config']} must be an object", "dict_type"))
        ]
    errors = []
    if problem := check_lora_rank(value.get("rank")):
        errors.append(error_entry((*loc, "rank"), problem))
    if problem := check_lora_alpha(value.get("alpha")):
        errors.append(error_entry((*loc, "alpha"), problem))
    if errors:
        return None, errors
    alpha = value.get("alpha")
    rank = as_integer(value["rank"])
    return {"rank": rank, "alpha": None if alpha is None else as_integer(alpha)}, []


CREATE_CHECKS: dict[str, Callable[[object], Violation | None]] = {
    "name": check_name,
    "fileset": check_fileset,
    "finetuning_type": check_finetuning_type,
    "model": check_model,
}
OPTIONAL_CHECKS: dict[str, Callable[[object], Violation | None]] = {
    "description": check_description,
    "enabled": check_enabled,
}
PATCH_FIELDS = ("description", "enabled", "fileset")
FIELD_CHECKS: dict[str, Callable[[object], Violation | None]] = {
    **CREATE_CHECKS,
    **OPTIONAL_CHECKS,
    "workspace": check_workspace,
}


def parse_create(
    body: object, workspace: str, model_from_path: str | None = None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Check a create body; return the values to store, or the 422 entries.

    With ``model_from_path`` (the nested route) the body has no ``model``: the path gives it.
    """
    if errors := _object_problem(body):
        return None, errors
    assert isinstance(body, dict)
    errors = []
    values: dict[str, Any] = {}
    for field, check in CREATE_CHECKS.items():
        if field == "model" and model_from_path is not None:
            # the path names one model in the workspace: a single segment, that fits stored
            if problem := (check_model_segment(model_from_path)
                           or check_model(model_from_path, workspace)):
                errors.append(error_entry(("path", "model_name"), problem))
            values["model"] = model_from_path
            continue
        if field not in body:
            errors.append(error_entry(("body", field), _required(LABELS[field])))
        elif problem := (check_model(body[field], workspace) if field == "model"
                         else check(body[field])):
            errors.append(error_entry(("body", field), problem))
        else:
            values[field] = body[field]
    values["description"] = body.get("description")
    if problem := check_description(values["description"]):
        errors.append(error_entry(("body", "description"), problem))
    values["enabled"] = body.get("enabled", True)
    if problem := check_enabled(values["enabled"]):
        errors.append(error_entry(("body", "enabled"), problem))
    values["lora_config"], lora_errors = parse_lora_config(body.get("lora_config"))
    errors.extend(lora_errors)
    if errors:
        return None, errors
    values["model"] = resolve_model(values["model"], workspace)
    return values, []


def parse_patch(body: object) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Check a PATCH body: only description, enabled and fileset; null or missing means keep."""
    if errors := _object_problem(body):
        return None, errors
    assert isinstance(body, dict)
    values: dict[str, Any] = {}
    errors = []
    for field in PATCH_FIELDS:
        value = body.get(field)
        if value is None:
            continue
        if problem := FIELD_CHECKS[field](value):
            errors.append(error_entry(("body", field), problem))
        else:
            values[field] = value
    return (None, errors) if errors else (values, [])


# --- list query ---------------------------------------------------------------------------


class FilterError(ValueError):
    """A ``filter`` the list cannot apply: answered with 400 and this detail."""


class ListQuery(NamedTuple):
    """A parsed list request."""

    page: int
    page_size: int
    sort: str
    filter: dict[str, dict[str, Any]] | None


def _parse_int_param(
    args: Mapping[str, str], key: str, default: int, low: int, high: int | None
) -> tuple[int, Violation | None]:
    raw = args.get(key)
    if raw is None:
        return default, None
    number = parse_whole_number(raw)
    if number is None:
        return default, Violation(f"'{key}' must be a whole number", "int_parsing")
    if number < low:
        return default, Violation(f"'{key}' must be at least {low}", "greater_than_equal")
    if number > high:
        return default, Violation(f"'{key}' must be at most {high}", "less_than_equal")
    return number, None


def check_sort(value: str) -> Violation | None:
    """A sort key, optionally prefixed by '-' for descending."""
    if value.removeprefix("-") not in SORT_FIELDS:
        choices = ", ".join(SORT_FIELDS)
        return Violation(
            f"'sort' must be one of {choices}, optionally prefixed by '-'", "enum"
        )
    return None


def parse_list_args(
    args: Mapping[str, str], filter_items: Iterable[tuple[str, str]]
) -> tuple[ListQuery | None, list[dict[str, Any]]]:
    """Parse page, page_size and sort (422 entries) and the filter (raises FilterError)."""
    errors = []
    page, problem = _parse_int_param(args, "page", 1, 1, PAGE_MAX)
    if problem:
        errors.append(error_entry(("query", "page"), problem))
    page_size, problem = _parse_int_param(args, "page_size", PAGE_SIZE_DEFAULT, 1, PAGE_SIZE_MAX)
    if problem:
        errors.append(error_entry(("query", "page_size"), problem))
    sort = args.get("sort", SORT_DEFAULT)  # given but empty is not a sort key
    if problem := check_sort(sort):
        errors.append(error_entry(("query", "sort"), problem))
    if errors:
        return None, errors
    return ListQuery(page, page_size, sort, parse_filter(filter_items)), []


_BRACKET_KEY = re.compile(r"^filter\[([^\[\]]*)\](?:\[([^\[\]]*)\])?(\[\])?$")


def parse_filter(items: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]] | None:
    """Parse ``filter`` from query items, in the bracket form or the JSON form.

    Returns ``{field: {operator: value}}`` or None when no filter was given.
    """
    raw: dict[str, dict[str, Any]] = {}
    given = False
    for key, value in items:
        if key == "filter":
            given = True
            for field, condition in _decode_json_filter(value).items():
                _merge(raw, field, condition)
            continue
        match = _BRACKET_KEY.match(key)
        if not match:
            if key.startswith("filter"):
                raise FilterError(
                    f"Malformed filter parameter '{key}'. "
                    "Use filter[field]=value or filter[field][$operator]=value"
                )
            continue
        given = True
        field, operator, _ = match.groups()
        _merge(raw, field, {operator: value} if operator is not None else value)
    if not given:
        return None
    return {field: _clean_conditions(field, conds) for field, conds in raw.items()}


def _decode_json_filter(text: str) -> dict[str, Any]:
    try:
        decoded = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise FilterError(f"Malformed JSON in 'filter': {exc}") from None
    if not isinstance(decoded, dict):
        raise FilterError("'filter' must be a JSON object, e.g. {\"name\": {\"$like\": \"x\"}}")
    return decoded


def _merge(raw: dict[str, dict[str, Any]], field: str, condition: object) -> None:
    if field not in FILTER_FIELDS:
        raise FilterError(f"Unknown filter field '{field}'. Valid fields: {list(FILTER_FIELDS)}")
    if not isinstance(condition, dict) or not condition:
        condition = {"$eq": condition}
    conditions = raw.setdefault(field, {})
    for operator, value in condition.items():
        if operator in conditions:
            raise FilterError(f"Filter operator '{operator}' given twice for '{field}'")
        conditions[operator] = value


def _clean_conditions(field: str, conditions: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for operator, value in conditions.items():
        if operator not in FILTER_OPERATORS:
            raise FilterError(
                f"Unknown filter operator '{operator}' for '{field}'. "
                f"Valid operators: {list(FILTER_OPERATORS)}"
            )
        if operator == "$like" and field not in TEXT_FILTER_FIELDS:
            raise FilterError(f"'$like' applies only to text fields, not '{field}'")
        if operator in RANGE_OPERATORS and field not in TIME_FILTER_FIELDS:
            raise FilterError(f"'{operator}' applies only to created_at and updated_at")
        if operator in ("$in", "$nin"):
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list):
                raise FilterError(
                    f"'{operator}' for '{field}' takes a list or comma-separated text"
                )
            if len(items) > FILTER_LIST_MAX:
                raise FilterError(
                    f"'{operator}' for '{field}' takes at most {FILTER_LIST_MAX} values"
                )
            clean[operator] = [_filter_value(field, item) for item in items]
        else:
            clean[operator] = _filter_value(field, value)
    return clean


def _filter_value(field: str, value: object) -> Any:
    if field == "enabled":
        if isinstance(value, bool):
            return value
        if (flag := parse_flag(value)) is not None:
            return flag
        raise FilterError("Filter values for 'enabled' must be true or false")
    if isinstance(value, dict | list) or value is None:
        raise FilterError(f"Filter value for '{field}' must be text, not {json.dumps(value)}")
    text = str(value)
    if problem := _text_problem(text, f"Filter value for '{field}'"):
        raise FilterError(problem.msg)
    if field in TIME_FILTER_FIELDS:
        return parse_timestamp(text, field)
    return text


def parse_timestamp(text: str, field: str) -> datetime:
    """An ISO 8601 time; one without an offset is taken as UTC. Returned naive, in UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # not a time, or out of range once in UTC
        raise FilterError(
            f"Filter value for '{field}' must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z"
        ) from None
    return moment


def format_timestamp(moment: datetime) -> str:
    """A stored (naive UTC) time as the API shows it: ISO 8601 with microseconds and ``Z``."""
    return moment.isoformat(timespec="microseconds") + "Z"  # C-fast, same as %Y-%m-%dT%H:%M:%S.%fZ


def echo_filter(conditions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The parsed filter as the list response echoes it (JSON-ready)."""
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return format_timestamp(value)
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    echoed: dict[str, Any] = {}
    for field, ops in conditions.items():
        if list(ops) == ["$eq"]:
            echoed[field] = plain(ops["$eq"])
        else:
            echoed[field] = {op: plain(value) for op, value in ops.items()}
    return echoed
