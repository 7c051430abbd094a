"""Every rule of the contract, with its boundaries, straight against webui.rules."""

from __future__ import annotations

import pytest

from webui import rules

OK = None


def case(value, expected, id):  # noqa: A002 - pytest's word
    return pytest.param(value, expected, id=id)


NAME_CASES = [
    case("a", OK, "one-char"),
    case("a" * 255, OK, "255-chars"),
    case("A-z_0.9", OK, "every-allowed-kind"),
    case("...a", OK, "dots-with-letter"),
    case("a" * 256, "at most 255 characters", "256-chars"),
    case("", "is required", "empty"),
    case("abc\n", "may contain only", "trailing-newline"),
    case("ab c", "may contain only", "space"),
    case("café", "may contain only", "non-ascii-letter"),
    case("٣", "may contain only", "non-ascii-digit"),
    case("a/b", "may contain only", "slash"),
    case(".", "cannot be '.' or '..'", "dot"),
    case("..", "cannot be '.' or '..'", "dot-dot"),
    case("a\x00", "NUL", "nul"),
    case("\ud800", "valid Unicode", "lone-surrogate"),
    case(5, "must be a string", "number"),
    case(["a"], "must be a string", "list"),
    case(None, "must be a string", "null"),
]


@pytest.mark.parametrize(("value", "expected"), NAME_CASES)
def test_name_rule(value, expected):
    """Names: 1-255 ASCII letters, digits, '_-.', whole string, not '.' or '..'."""
    assert_rule(rules.check_name, value, expected)


@pytest.mark.parametrize(("value", "expected"), NAME_CASES)
def test_workspace_rule_is_the_name_rule(value, expected):
    """A workspace follows the name rule, with its own label."""
    problem = rules.check_workspace(value)
    assert_rule(rules.check_workspace, value, expected)
    if problem:
        assert problem.msg.startswith("Workspace ")


FILESET_CASES = [
    case("fs1", OK, "bare-name"),
    case("default/fs1", OK, "workspace-and-name"),
    case("a" * 255, OK, "255-chars"),
    case("w/" + "a" * 253, OK, "255-with-slash"),
    case("a" * 256, "at most 255 characters", "256-chars"),
    case("", "is required", "empty"),
    case("a/b/c", "at most one '/'", "two-slashes"),
    case("/fs", "at most one '/'", "empty-workspace"),
    case("ws/", "at most one '/'", "empty-name"),
    case("ws/f s", "may contain only", "space"),
    case("ws/fé", "may contain only", "non-ascii"),
    case("fs\n", "may contain only", "trailing-newline"),
    case(1, "must be a string", "number"),
]


@pytest.mark.parametrize(("value", "expected"), FILESET_CASES)
def test_fileset_rule(value, expected):
    """Filesets: 'fileset' or 'workspace/fileset', each segment of the name charset."""
    assert_rule(rules.check_fileset, value, expected)


MODEL_CASES = [
    case("ab", OK, "two-chars"),
    case("a" * 63, OK, "63-chars"),
    case("llama-3.1+8b@v1_x", OK, "every-allowed-kind"),
    case("ws/base-model", OK, "workspace-and-name"),
    case("a" * 63 + "/" + "b" * 63, OK, "127-chars"),
    case("a" * 64, "2 to 63 characters", "64-char-segment"),
    case("a", "2 to 63 characters", "one-char"),
    case("ws/a", "2 to 63 characters", "one-char-second-segment"),
    case("a/bb", "2 to 63 characters", "one-char-first-segment"),
    case("a" * 63 + "/" + "b" * 64, "at most 127 characters", "128-chars"),
    case("", "is required", "empty"),
    case("Base", "lowercase letters", "uppercase"),
    case("mödel", "lowercase letters", "non-ascii"),
    case("ab\n", "lowercase letters", "trailing-newline"),
    case("a b", "lowercase letters", "space"),
    case("-ab", "start or end with '-'", "leading-hyphen"),
    case("ab-", "start or end with '-'", "trailing-hyphen"),
    case("ws/-ab", "start or end with '-'", "leading-hyphen-second-segment"),
    case("a--b", "must not contain '--'", "double-hyphen"),
    case("a/b/c", "at most one '/'", "two-slashes"),
    case("/ab", "at most one '/'", "empty-workspace"),
    case("ab/", "at most one '/'", "empty-name"),
    case(7, "must be a string", "number"),
]


@pytest.mark.parametrize(("value", "expected"), MODEL_CASES)
def test_model_rule(value, expected):
    """Models: one or two segments of 2-63 lowercase chars, hyphen rules, at most 127 in all."""
    assert_rule(rules.check_model, value, expected)


@pytest.mark.parametrize("value", rules.FINETUNING_TYPES)
def test_every_finetuning_type_is_accepted(value):
    """All 25 types pass."""
    assert rules.check_finetuning_type(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        case("LORA", "must be one of", "uppercase"),
        case("Lora", "must be one of", "mixed-case"),
        case("lora ", "must be one of", "trailing-space"),
        case("", "is required", "empty"),
        case(1, "must be a string", "number"),
    ],
)
def test_finetuning_type_rule(value, expected):
    """Types: exact lowercase values only."""
    assert_rule(rules.check_finetuning_type, value, expected)


def test_there_are_25_finetuning_types_in_four_groups():
    """The enum has the contract's 25 values, each in exactly one group of the form."""
    assert len(rules.FINETUNING_TYPES) == 25 == len(set(rules.FINETUNING_TYPES))
    grouped = [t for group in rules.FINETUNING_TYPE_GROUPS.values() for t in group]
    assert sorted(grouped) == sorted(rules.FINETUNING_TYPES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        case(None, OK, "null"),
        case("", OK, "empty"),
        case("é" * 1000, OK, "1000-code-points"),
        case("😀" * 1000, OK, "1000-astral-code-points"),
        case("a" * 1001, "at most 1000 characters", "1001-chars"),
        case(3, "must be a string", "number"),
        case("a\x00b", "NUL", "nul"),
    ],
)
def test_description_rule(value, expected):
    """Descriptions: optional, at most 1000 code points."""
    assert_rule(rules.check_description, value, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        case(True, OK, "true"),
        case(False, OK, "false"),
        case("true", "true or false", "string-true"),
        case(1, "true or false", "one"),
        case(None, "true or false", "null"),
    ],
)
def test_enabled_rule(value, expected):
    """Enabled: a JSON boolean, never coerced."""
    assert_rule(rules.check_enabled, value, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        case(1, OK, "one"),
        case(8.0, OK, "integral-float"),
        case(rules.INT_MAX, OK, "64-bit-max"),
        case(0, "at least 1", "zero"),
        case(-3, "at least 1", "negative"),
        case(rules.INT_MAX + 1, "at most", "past-64-bits"),
        case(True, "whole number", "boolean"),
        case(1.5, "whole number", "fraction"),
        case("8", "whole number", "string"),
        case(None, "is required", "missing"),
    ],
)
def test_lora_rank_rule(value, expected):
    """LoRA rank: a required integer of at least 1; booleans and fractions are not integers."""
    assert_rule(rules.check_lora_rank, value, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        case(None, OK, "null"),
        case(16, OK, "sixteen"),
        case(0, "at least 1", "zero"),
        case(False, "whole number", "boolean"),
    ],
)
def test_lora_alpha_rule(value, expected):
    """LoRA alpha: an optional integer of at least 1."""
    assert_rule(rules.check_lora_alpha, value, expected)


def test_parse_create_resolves_a_bare_model_in_the_workspace():
    """A bare model name is stored as workspace/model; a full reference is kept."""
    body = {"name": "a", "model": "m1", "fileset": "f", "finetuning_type": "dpo"}
    values, errors = rules.parse_create(body, "ws")
    assert errors == [] and values["model"] == "ws/m1"
    values, _ = rules.parse_create({**body, "model": "other/m1"}, "ws")
    assert values["model"] == "other/m1"


def test_parse_create_defaults_and_ignores_unknown_keys():
    """Enabled defaults to true, description and lora_config to null; extra keys are ignored."""
    body = {"name": "a", "model": "m1", "fileset": "f", "finetuning_type": "dpo", "extra": 1}
    values, errors = rules.parse_create(body, "ws")
    assert errors == []
    assert values["enabled"] is True
    assert values["description"] is None and values["lora_config"] is None
    assert "extra" not in values


def test_parse_create_reports_every_broken_field_with_its_loc():
    """One entry per broken field, each with a FastAPI-style loc."""
    body = {"name": "a b", "fileset": 3, "finetuning_type": "LORA", "enabled": "yes",
            "lora_config": {"rank": 0, "alpha": 1.5}}
    _, errors = rules.parse_create(body, "ws")
    locs = [tuple(entry["loc"]) for entry in errors]
    assert locs == [
        ("body", "name"), ("body", "fileset"), ("body", "finetuning_type"), ("body", "model"),
        ("body", "enabled"), ("body", "lora_config", "rank"), ("body", "lora_config", "alpha"),
    ]
    assert errors[3] == {"loc": ["body", "model"], "msg": "Model is required", "type": "missing"}


@pytest.mark.parametrize("body", [[], "x", 3, None, True], ids=repr)
def test_parse_create_wants_an_object(body):
    """A body that is not a JSON object is one error at loc ['body']."""
    _, errors = rules.parse_create(body, "ws")
    assert [entry["loc"] for entry in errors] == [["body"]]


def test_lora_config_other_keys_are_ignored_and_list_is_rejected():
    """lora_config keeps rank and alpha only; a list is a type error."""
    values, errors = rules.parse_lora_config({"rank": 4, "dropout": 0.1})
    assert errors == [] and values == {"rank": 4, "alpha": None}
    _, errors = rules.parse_lora_config([4])
    assert errors[0]["loc"] == ["body", "lora_config"] and errors[0]["type"] == "dict_type"


def test_parse_patch_keeps_missing_and_null_and_ignores_the_rest():
    """PATCH: null or missing leaves a field alone; name, model, type and lora are not changed."""
    values, errors = rules.parse_patch(
        {"description": None, "enabled": False, "name": "x", "model": "y", "lora_config": None}
    )
    assert errors == [] and values == {"enabled": False}


@pytest.mark.parametrize(
    "raw",
    [b"{", b"NaN", b'{"a": Infinity}', b"\xff\xfe", b"[" * 100_000],
    ids=["truncated", "nan", "infinity", "not-utf8", "too-deep"],
)
def test_decode_json_rejects_what_is_not_strict_json(raw):
    """Malformed, non-UTF-8, NaN/Infinity and absurdly deep bodies are 422 at ['body']."""
    value, errors = rules.decode_json(raw)
    assert value is None
    assert errors[0]["loc"] == ["body"] and errors[0]["type"] == "json_invalid"


def assert_rule(check, value, expected):
    """OK means no violation; otherwise the message contains the expected words."""
    problem = check(value)
    if expected is OK:
        assert problem is None, problem
    else:
        assert problem is not None, f"{value!r} should break the rule"
        assert expected in problem.msg


def test_model_with_its_workspace_must_fit_127_characters():
    """A bare model is stored as workspace/model: that too must fit the 127-character limit."""
    assert rules.check_model("a" * 63, "w" * 63) is None  # 127 once resolved
    assert rules.check_model("a" * 63, "w" * 64).type == "string_too_long"  # 128
    assert rules.check_model("ws/" + "a" * 63, "w" * 200) is None  # a full reference is kept
    values, errors = rules.parse_create(
        {"name": "a", "model": "m" * 20, "fileset": "f", "finetuning_type": "lora"}, "w" * 120)
    assert values is None and errors[0]["loc"] == ["body", "model"]
