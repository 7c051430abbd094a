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
import string
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

# --- limits -------------------------------------------------------------------------------

NAME_MAX = 255
FILESET_MAX = 255
MODEL_MAX = 127
MODEL_SEGMENT_MIN = 2
MODEL_SEGMENT_MAX = 63
DESCRIPTION_MAX = 1000
INT_MAX = 2**63 - 1  # what a 64-bit column holds
MAX_BODY_BYTES = 1024 * 1024
SEARCH_MAX = 200  # characters of a search box's text

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
# The charsets in words, as messages and hints say them.
NAME_CHARS_TEXT = "letters, digits, '_', '-' and '.'"
MODEL_CHARS_TEXT = "lowercase letters, digits, '-', '@', '.', '+' and '_'"
# What a person is told before typing; '{workspace}' stands for the workspace at hand.
HINTS = {
    "workspace": "Any workspace, new or existing.",
    "name": f"{NAME_CHARS_TEXT.capitalize()}; unique in {{workspace}}.",
    "model": "The base model: a name such as llama-3-8b, or workspace/model-name.",
    "fileset": "Where the adapter files are: workspace/fileset-name, or fileset-name in "
               "{workspace}.",
    "rank": "A whole number, 1 or more.",
    "alpha": "A whole number, 1 or more.",
    "description": f"Up to {DESCRIPTION_MAX} characters.",
    "enabled": "Used for inference once trained.",
}


def hint(field: str, workspace: str = "") -> str | None:
    """The hint shown with a field's input, if it has one."""
    return HINTS[field].format(workspace=workspace) if field in HINTS else None


def required(label: str) -> Violation:
    """The message of a missing required field."""
    return Violation(f"{label} is required", "missing")


def text_problem(value: object, label: str) -> Violation | None:
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


def check_search(value: object) -> Violation | None:
    """A search box's text: any text (blank too) up to SEARCH_MAX characters."""
    if problem := text_problem(value, "Search"):
        return problem
    if len(value) > SEARCH_MAX:
        return Violation(f"Search must be at most {SEARCH_MAX} characters long",
                         "string_too_long")
    return None


def refused_search_shown(value: str) -> str:
    """A search refused by :func:`check_search`, as its box shows it again: cut to
    SEARCH_MAX characters, or blank when it holds a NUL (which no page can carry)."""
    return "" if "\x00" in value else value[:SEARCH_MAX]


def _required_text(value: object, label: str, most: int | None = None) -> Violation | None:
    """A required string: text, not empty and, with ``most``, at most that many characters."""
    if problem := text_problem(value, label):
        return problem
    if value == "":
        return required(label)
    if most is not None and len(value) > most:
        return Violation(f"{label} must be at most {most} characters long", "string_too_long")
    return None


def _pattern(message: str) -> Violation:
    return Violation(message, "string_pattern_mismatch")


def _two_part_problem(value: str, label: str, forms: str) -> Violation | None:
    """A reference of one or two names: at most one '/', with a name on each side."""
    segments = value.split("/")
    if len(segments) > 2 or "" in segments:
        return _pattern(f"{label} must be {forms}: at most one '/', with a name on each side")
    return None


def _check_name_like(value: object, label: str) -> Violation | None:
    if problem := _required_text(value, label, NAME_MAX):
        return problem
    if not NAME_CHARS.issuperset(value):
        return _pattern(f"{label} may contain only {NAME_CHARS_TEXT}")
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
    if problem := (_required_text(value, label, FILESET_MAX) or _two_part_problem(
            value, label, "'workspace/fileset-name' or 'fileset-name'")):
        return problem
    if not all(NAME_CHARS.issuperset(segment) for segment in value.split("/")):
        return _pattern(f"{label} names may contain only {NAME_CHARS_TEXT}")
    return None


def check_model_segment(value: object, label: str = LABELS["model"]) -> Violation | None:
    """One model segment: 2-63 of ``a-z 0-9 - @ . + _``; no leading, trailing or double '-'."""
    if problem := _required_text(value, label):
        return problem
    if not MODEL_SEGMENT_MIN <= len(value) <= MODEL_SEGMENT_MAX:
        return _pattern(
            f"{label} names must be {MODEL_SEGMENT_MIN} to {MODEL_SEGMENT_MAX} characters long")
    if not MODEL_CHARS.issuperset(value):
        return _pattern(f"{label} names may contain only {MODEL_CHARS_TEXT}")
    if value.startswith("-") or value.endswith("-"):
        return _pattern(f"{label} names must not start or end with '-'")
    if "--" in value:
        return _pattern(f"{label} names must not contain '--'")
    return None


def check_model(value: object, workspace: str | None = None) -> Violation | None:
    """``model_name`` or ``workspace/model_name``, at most 127 characters.

    With the path ``workspace``, a bare name is also checked as stored (``workspace/name``).
    """
    label = LABELS["model"]
    if problem := (_required_text(value, label, MODEL_MAX) or _two_part_problem(
            value, label, "'model-name' or 'workspace/model-name'")):
        return problem
    for segment in value.split("/"):
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
    if problem := _required_text(value, label):
        return problem
    if value not in FINETUNING_TYPES:
        return Violation(f"{label} must be one of: {', '.join(FINETUNING_TYPES)}", "enum")
    return None


def check_description(value: object) -> Violation | None:
    """Optional text of at most 1000 characters (code points)."""
    label = LABELS["description"]
    if value is None:
        return None
    if problem := text_problem(value, label):
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
        return required(LABELS["rank"])
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


class _RefusedConstant(ValueError):
    """NaN or Infinity in JSON text: Python reads them, JSON does not have them."""


def _reject_constant(name: str) -> Any:
    raise _RefusedConstant(f"{name} is not valid JSON")


def _json_integer(text: str) -> int:
    """A JSON integer; past 20 digits, ±10**20: beyond every limit, never Python's digit limit."""
    # so a 5000-digit rank gets the rule's own "at most" message
    digits = text.removeprefix("-")  # JSON's grammar: ASCII digits, no leading zeros
    magnitude = int(digits) if len(digits) <= 20 else 10**20
    return -magnitude if text.startswith("-") else magnitude


def loads_strict(text: str, parse_int: Callable[[str], Any] = _json_integer) -> Any:
    """JSON text decoded strictly: NaN and Infinity refused (ValueError), integers by parse_int."""
    return json.loads(text, parse_constant=_reject_constant, parse_int=parse_int)


def json_problem(error: ValueError | RecursionError) -> str:
    """What is wrong with JSON text, in words that quote no Python internals."""
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno} column {error.colno}"
    if isinstance(error, _RefusedConstant):
        return str(error)
    return "it cannot be read as JSON"


JSON_CHARSETS = ("utf-8", "utf8")  # UTF-8, and the alias some clients send


def charset_problem(charset: str | None) -> str | None:
    """Why a JSON body's declared charset is refused (None when absent or UTF-8, any case)."""
    if charset is None or charset.lower() in JSON_CHARSETS:
        return None
    return f"Content-Type charset {charset!r} is not supported: JSON must be sent as UTF-8"


def decode_json(raw: bytes) -> tuple[Any, list[dict[str, Any]]]:
    """Decode a request body strictly (UTF-8, no NaN/Infinity); errors as 422 entries."""
    try:
        text = raw.decode("utf-8")
        return loads_strict(text), []
    except UnicodeDecodeError:
        problem = Violation("Request body must be UTF-8 encoded JSON", "json_invalid")
    except RecursionError:
        problem = Violation("Request body is nested too deeply", "json_invalid")
    except ValueError as exc:  # json.JSONDecodeError and the rejected constants
        problem = Violation(f"Request body is not valid JSON: {json_problem(exc)}", "json_invalid")
    return None, [error_entry(("body",), problem)]


def object_problem(body: object) -> list[dict[str, Any]]:
    """The 422 entry of a body that is not a JSON object (none when it is)."""
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


class _BodyFields:
    """Reads a JSON object's fields through their checks, keeping a 422 entry per problem."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[dict[str, Any]] = []

    def required(self, field: str, check: Callable[[object], Violation | None]) -> Any:
        """A field that must be present and pass its check."""
        if field not in self.body:
            self.errors.append(error_entry(("body", field), required(LABELS[field])))
            return None
        return self.optional(field, check)

    def optional(self, field: str, check: Callable[[object], Violation | None],
                 default: Any = None) -> Any:
        """A field that may be missing (then ``default``) and otherwise passes its check."""
        value = self.body.get(field, default)
        self.problem(("body", field), check(value))
        return value

    def problem(self, loc: Loc, violation: Violation | None) -> None:
        """Keep a broken rule, if there is one."""
        if violation is not None:
            self.errors.append(error_entry(loc, violation))


def check_path_model(model_name: object, workspace: str) -> Violation | None:
    """The nested route's model: a single segment that fits stored (``workspace/model``)."""
    return check_model_segment(model_name) or check_model(model_name, workspace)


def parse_create(
    body: object, workspace: str, model_from_path: str | None = None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Check a create body; return the values to store, or the 422 entries.

    With ``model_from_path`` (the nested route) the body has no ``model``: the path gives it.
    """
    if errors := object_problem(body):
        return None, errors
    assert isinstance(body, dict)
    fields = _BodyFields(body)
    name = fields.required("name", check_name)
    fileset = fields.required("fileset", check_fileset)
    finetuning_type = fields.required("finetuning_type", check_finetuning_type)
    if model_from_path is None:
        model = fields.required("model", lambda value: check_model(value, workspace))
    else:
        model = model_from_path
        fields.problem(("path", "model_name"), check_path_model(model, workspace))
    description = fields.optional("description", check_description)
    enabled = fields.optional("enabled", check_enabled, default=True)
    lora_config, lora_errors = parse_lora_config(body.get("lora_config"))
    if errors := fields.errors + lora_errors:
        return None, errors
    return {
        "name": name,
        "fileset": fileset,
        "finetuning_type": finetuning_type,
        "model": resolve_model(model, workspace),
        "description": description,
        "enabled": enabled,
        "lora_config": lora_config,
    }, []


def parse_patch(body: object) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Check a PATCH body: only description, enabled and fileset; null or missing means keep."""
    if errors := object_problem(body):
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


# --- the activity history -----------------------------------------------------------------

# What an event can be about (webui/activity.py writes them).
ACTIVITY_KINDS = ("adapter.created", "adapter.changed", "adapter.deleted", "workspace.created",
                  "workspace.changed", "workspace.deleted", "member.added", "member.changed",
                  "member.removed")


def check_activity_kind(value: object) -> Violation | None:
    """One of the kinds of event."""
    if value not in ACTIVITY_KINDS:
        return Violation(f"'kind' must be one of {', '.join(ACTIVITY_KINDS)}", "enum")
    return None


def check_actor(value: object) -> Violation | None:
    """Who made a change: a username, or 'local' (sign-in off)."""
    if value == LOCAL:
        return None
    return check_username(value, "'actor'")


# --- times ---------------------------------------------------------------------------------


def format_timestamp(moment: datetime) -> str:
    """A stored (naive UTC) time as the API shows it: ISO 8601 with microseconds and ``Z``."""
    return moment.isoformat(timespec="microseconds") + "Z"  # C-fast, same as %Y-%m-%dT%H:%M:%S.%fZ


# --- people, workspaces and roles ---------------------------------------------------------

USERNAME_MAX = 64
USERNAME_CHARS = frozenset(string.ascii_lowercase + string.digits + "._-@+")
USERNAME_CHARS_TEXT = "lowercase letters, digits, '.', '_', '-', '@' and '+'"
RESERVED_PRINCIPALS = frozenset({"*", "local"})
EVERYONE = "*"  # the principal that stands for every signed-in user
LOCAL = "local"  # who acts when sign-in is off
PASSWORD_MIN = 10
PASSWORD_MAX = 1024  # hashing is slow on purpose: no megabyte passwords
TOKEN_LABEL_MAX = 100
TOKEN_DAYS_MAX = 3650
WORKSPACE_NEW_MIN = 2
WORKSPACE_NEW_MAX = 63
ROLES = ("Viewer", "Editor", "Admin")
WORKSPACE_PATTERN = r"^[a-z](?:-?[a-z0-9])+$"  # a new workspace's name, with its length limits
LABELS.update({
    "username": "Username", "password": "Password", "principal": "Principal", "roles": "Roles",
    "label": "Label", "expires_in_days": "Expires in (days)", "read_only": "Read-only",
})
HINTS.update({
    "username": f"1 to {USERNAME_MAX} {USERNAME_CHARS_TEXT}.",
    "label": "What the token is for, such as 'ci' or 'laptop'.",
    "expires_in_days": "Leave it blank for a token that does not expire.",
    "read_only": "It can read, but create or change nothing.",
    "new_workspace": f"{WORKSPACE_NEW_MIN} to {WORKSPACE_NEW_MAX} lowercase letters, digits "
                     "and '-'; starts with a letter.",
    "principal": "A username, or * for every signed-in user.",
})


def normalise_username(value: object) -> object:
    """Usernames are lower-cased before anything else, wherever they are typed."""
    return value.strip().lower() if isinstance(value, str) else value


def check_username(value: object, label: str = LABELS["username"]) -> Violation | None:
    """1-64 of ``a-z 0-9 . _ - @ +`` (after lower-casing); '*' and 'local' are reserved."""
    if problem := _required_text(value, label, USERNAME_MAX):
        return problem
    if value in RESERVED_PRINCIPALS:
        return Violation(f"{label} '{value}' is reserved", "value_error")
    if not USERNAME_CHARS.issuperset(value):
        return _pattern(f"{label} may contain only {USERNAME_CHARS_TEXT}")
    return None


def check_password(value: object) -> Violation | None:
    """At least 10 characters."""
    label = LABELS["password"]
    if problem := _required_text(value, label, PASSWORD_MAX):
        return problem
    if len(value) < PASSWORD_MIN:
        return Violation(f"{label} must be at least {PASSWORD_MIN} characters long",
                         "string_too_short")
    return None


def unknown_principal(principal: str) -> Violation:
    """A principal that breaks no rule but names no user."""
    return Violation(f"Principal '{principal}' is not a known user or '*'", "value_error")


def check_principal(value: object) -> Violation | None:
    """A member: a username, or '*' for every signed-in user."""
    if value == EVERYONE:
        return None
    return check_username(normalise_username(value), LABELS["principal"])


def check_roles(value: object) -> Violation | None:
    """A non-empty list of role names: Viewer, Editor, Admin."""
    label = LABELS["roles"]
    if not isinstance(value, list):
        return Violation(f"{label} must be a list of role names", "list_type")
    if not value:
        return Violation(f"{label} must name at least one role", "too_short")
    for role in value:
        if role not in ROLES:
            return Violation(f"{label} must be among: {', '.join(ROLES)}", "enum")
    return None


def check_new_workspace(value: object) -> Violation | None:
    """A new workspace's name: 2-63 of ``a-z 0-9 -``, starting with a letter, no '--', not
    ending with '-'. (Workspaces made by their first adapter follow the name rule instead.)"""
    label = LABELS["workspace"]
    if problem := _required_text(value, label):
        return problem
    if not WORKSPACE_NEW_MIN <= len(value) <= WORKSPACE_NEW_MAX:
        return _pattern(f"{label} must be {WORKSPACE_NEW_MIN} to {WORKSPACE_NEW_MAX} characters "
                        "long")
    if not (value[0] in string.ascii_lowercase
            and set(value) <= set(string.ascii_lowercase + string.digits + "-")):
        return _pattern(f"{label} must start with a lowercase letter and hold only lowercase "
                        "letters, digits and '-'")
    if "--" in value or value.endswith("-"):
        return _pattern(f"{label} must not contain '--' or end with '-'")
    return None


def check_token_label(value: object) -> Violation | None:
    """What a token is for: 1-100 characters."""
    return _required_text(value, LABELS["label"], TOKEN_LABEL_MAX)


def check_expiry_days(value: object) -> Violation | None:
    """Days until a token expires: a whole number from 1 to 3650, or nothing."""
    if value is None:
        return None
    label = LABELS["expires_in_days"]
    number = as_integer(value)
    if number is None or not 1 <= number <= TOKEN_DAYS_MAX:
        return Violation(f"{label} must be a whole number from 1 to {TOKEN_DAYS_MAX}",
                         "int_type")
    return None
