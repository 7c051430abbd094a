"""Fuzzing: schemathesis over the served OpenAPI document, hypothesis over webui.rules.

The rules are checked against statements written here from the contract's words, not copied from
webui/rules.py, so a slip in either shows up as a disagreement on generated data.
"""

from __future__ import annotations

import json
import math
import re
import string
from urllib.parse import quote

import pytest
import schemathesis
from conftest import API, valid_body
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from webui import rules
from webui.openapi import build_document

pytestmark = pytest.mark.slow

# --- schemathesis over the document ---------------------------------------------------------

SEED = 20260101
# No positive_data_acceptance / negative_data_rejection: the document's patterns are a superset
# of a few rules (the 63-character model segment, the nested route's model name).
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
DOCUMENT = json.loads(json.dumps(build_document()))  # as GET /apis/openapi.json sends it
# Loaded at import so every operation is its own test. Each test gets the function-scoped `app`
# fixture: a fresh SQLite file (or TEST_DATABASE_URL), shared by that test's examples, so repeated
# names meet a 409. schemathesis.pytest.from_fixture would load the document from the live app,
# but fails on pytest 9.2 ('Function' object has no attribute '_nodeid');
# test_fuzzed_document_is_the_served_one holds the two together instead.
FUZZ = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config(seed=SEED))
FUZZ.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])

ENTITIES = "/apis/entities/v2/workspaces"
CONTRACT_ROUTES = {
    ("POST", ENTITIES), ("GET", ENTITIES), ("GET", f"{ENTITIES}/{{workspace}}"),
    ("PUT", f"{ENTITIES}/{{workspace}}"), ("DELETE", f"{ENTITIES}/{{workspace}}"),
    ("GET", f"{ENTITIES}/{{workspace}}/members"), ("POST", f"{ENTITIES}/{{workspace}}/members"),
    ("PUT", f"{ENTITIES}/{{workspace}}/members/{{principal}}"),
    ("DELETE", f"{ENTITIES}/{{workspace}}/members/{{principal}}"),
    ("GET", "/apis/auth/discovery"),
    ("GET", "/apis/webui/v1/workspaces/{workspace}/activity"),
    ("GET", "/apis/webui/v1/workspaces/{workspace}/adapters/{name}/activity"),
    ("POST", "/adapters"), ("GET", "/adapters"), ("GET", "/adapters/{name}"),
    ("PATCH", "/adapters/{name}"), ("DELETE", "/adapters/{name}"),
    ("POST", "/models/{model_name}/adapters"),
    ("PATCH", "/models/{model_name}/adapters/{adapter}"),
    ("DELETE", "/models/{model_name}/adapters/{adapter}"),
}


def _create_target(client: FlaskClient, case: schemathesis.Case) -> None:
    """Create the adapter the case addresses, or one in its workspace for the list and create;
    for the workspace routes, the workspace (made through the entities API)."""
    params = case.path_parameters or {}
    if case.path.startswith(ENTITIES):
        name = str(params.get("workspace", "fuzzed"))
        client.post(ENTITIES, json={"name": name, "description": "made for the case"})
        return
    if "workspace" not in params:
        return
    body = valid_body(name=params.get("name", params.get("adapter", "lora-a")))
    url = f"{API}/{quote(str(params['workspace']), safe='')}"
    if "model_name" in params:
        url += f"/models/{quote(str(params['model_name']), safe='')}"
        del body["model"]
    response = client.post(f"{url}/adapters", json=body)
    assert response.status_code < 500, response.get_data(as_text=True)


# "present": the addressed adapter (or, for list and create, one in the workspace) exists first,
# so 200/204 answers and full pages are checked too. The parametrization also gives each
# operation its own test id: on pytest 9.2 schemathesis' items otherwise all share one.
@pytest.mark.parametrize("target", ["absent", "present"])
@FUZZ.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_answers_as_its_document_says(case, target, app, client):
    """Any request, valid or not: no 5xx, and a declared status, content type and body shape."""
    if target == "present":
        _create_target(client, case)
    case.call_and_validate(checks=CHECKS, app=app)


def test_fuzzed_document_is_the_served_one(client):
    """The fuzzed document is the app's /apis/openapi.json, and it has every contract route."""
    assert client.get("/apis/openapi.json").get_json() == DOCUMENT
    base = "/apis/models/v2/workspaces/{workspace}"
    routes = {(operation.method.upper(), operation.path.removeprefix(base))
              for operation in (result.ok() for result in FUZZ.get_all_operations())}
    assert routes == CONTRACT_ROUTES


# --- the rules, stated independently --------------------------------------------------------

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True)
INT_MAX = 2**63 - 1  # a 64-bit column; the document's maximum

# The seed's ^[\w\-.]+$ with ASCII \w, matched against the whole string.
NAME_RE = re.compile(r"[\w\-.]+", re.ASCII)
# "A single name (2-63 characters) or 'workspace/model_name' where each segment is a valid name
# (lowercase, digits, hyphens, and temporarily @ . + _; no leading/trailing or consecutive
# hyphens). If one slash, both sides must be non-empty."
MODEL_SEGMENT = r"(?!-)(?![^/]*--)[a-z0-9@.+_-]{2,63}(?<!-)"
MODEL_SEGMENT_RE = re.compile(MODEL_SEGMENT, re.ASCII)
MODEL_RE = re.compile(rf"{MODEL_SEGMENT}(?:/{MODEL_SEGMENT})?", re.ASCII)
FILESET_RE = re.compile(r"[\w\-.]+(?:/[\w\-.]+)?", re.ASCII)
CONTRACT_FINETUNING_TYPES = """
    lora_merged all_weights last_layer top_layers gradual_unfreezing bias_only attention_only lora
    qlora adalora dora lora_plus prompt_tuning prefix_tuning p_tuning p_tuning_v2 soft_prompt ppo
    dpo cdpo ipo orpo kto rrhf grpo
""".split()


def is_text(value: object) -> bool:
    """Every text field: a str without NUL that UTF-8 can encode (no lone surrogates)."""
    return (isinstance(value, str) and "\x00" not in value
            and all(not 0xD800 <= ord(char) <= 0xDFFF for char in value))


def name_ok(value: object) -> bool:
    return (is_text(value) and 1 <= len(value) <= 255 and NAME_RE.fullmatch(value) is not None
            and value not in (".", ".."))


def model_segment_ok(value: object) -> bool:
    return is_text(value) and MODEL_SEGMENT_RE.fullmatch(value) is not None


def model_ok(value: object) -> bool:
    return is_text(value) and len(value) <= 127 and MODEL_RE.fullmatch(value) is not None


def fileset_ok(value: object) -> bool:
    return is_text(value) and 1 <= len(value) <= 255 and FILESET_RE.fullmatch(value) is not None


def description_ok(value: object) -> bool:
    return value is None or (is_text(value) and len(value) <= 1000)


def finetuning_type_ok(value: object) -> bool:
    return isinstance(value, str) and value in CONTRACT_FINETUNING_TYPES


def whole_number_ok(value: object) -> bool:
    """An integer >= 1 that a 64-bit column holds; a bool is not one, an integral float is."""
    if type(value) is float and math.isfinite(value) and value % 1 == 0:
        value = int(value)
    return type(value) is int and 1 <= value <= INT_MAX


def lora_config_ok(value: object) -> bool:
    if value is None:
        return True
    return (isinstance(value, dict) and whole_number_ok(value.get("rank"))
            and (value.get("alpha") is None or whole_number_ok(value.get("alpha"))))


# --- strategies -----------------------------------------------------------------------------

NAME_ALPHABET = string.ascii_letters + string.digits + "_-."
MODEL_ALPHABET = string.ascii_lowercase + string.digits + "@.+_"  # '-' is placed separately
# What breaks a rule: separators, whitespace, NUL, non-ASCII letters and digits (\w in Unicode),
# the Kelvin sign (lowercases to 'k'), uppercase, a lone surrogate, characters of the other set.
ODD_CHARS = ["/", "-", "\n", " ", "\t", "\x00", "é", "ß", "İ", "٣", "ｓ", "\u212a", "A", "Z",
             "\ud800", "%", "@", "+", "*", "..", "--"]
NOT_TEXT = st.none() | st.booleans() | st.integers() | st.floats() | st.lists(st.text(max_size=2),
                                                                              max_size=2)


def sizes(boundaries: tuple[int, ...]) -> st.SearchStrategy[int]:
    """A boundary length, or any length up to just past the largest."""
    return st.sampled_from(boundaries) | st.integers(0, max(boundaries) + 2)


@st.composite
def odd_edits(draw, text: str) -> str:
    """The text, often as is, else with one or two odd characters put in or swapped in."""
    chars = list(text)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        position = draw(st.integers(0, len(chars)))
        odd = draw(st.sampled_from(ODD_CHARS))
        if position < len(chars) and draw(st.booleans()):
            chars[position] = odd
        else:
            chars.insert(position, odd)
    return "".join(chars)


def near_valid(alphabet: str, boundaries: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Text of the allowed characters at or near the boundary lengths, with odd edits."""
    return sizes(boundaries).flatmap(
        lambda size: st.text(alphabet, min_size=size, max_size=size)).flatmap(odd_edits)


def joined(segments: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """One or two segments joined by '/', sometimes three."""
    return st.sampled_from([1, 1, 2, 2, 3]).flatmap(
        lambda count: st.lists(segments, min_size=count, max_size=count)).map("/".join)


def names() -> st.SearchStrategy[str]:
    return (near_valid(NAME_ALPHABET, (0, 1, 2, 254, 255, 256))
            | st.sampled_from([".", "..", "...", "a\n", "\n", "a.", "-"])
            | st.text(alphabet=NAME_ALPHABET + "".join(ODD_CHARS), max_size=12))


@st.composite
def model_segments(draw) -> str:
    """2-63 characters near the edges, hyphens inside (now and then at an edge or doubled)."""
    size = draw(sizes((0, 1, 2, 3, 62, 63, 64)))
    chars = list(draw(st.text(MODEL_ALPHABET, min_size=size, max_size=size)))
    for position in draw(st.sets(st.integers(1, max(size - 2, 1)), max_size=3)):
        if position < size - 1:
            chars[position] = "-"
    text = "".join(chars)
    prefix, suffix = draw(st.sampled_from([("", "")] * 6 + [("-", ""), ("", "-"), ("--", "")]))
    return draw(odd_edits(prefix + text + suffix))


def models() -> st.SearchStrategy[str]:
    return joined(model_segments()) | st.sampled_from(["", "/", "a/", "/ab", "ab/", "ab//cd"])


def filesets() -> st.SearchStrategy[str]:
    return (joined(near_valid(NAME_ALPHABET, (0, 1, 2, 126, 127, 128)))
            | near_valid(NAME_ALPHABET, (254, 255, 256))
            | st.sampled_from(["", "/", "a/", "/a", "./..", "a//b"]))


def descriptions() -> st.SearchStrategy[str]:
    return st.text(max_size=3) | near_valid(string.printable, (999, 1000, 1001))


def whole_numbers() -> st.SearchStrategy[object]:
    edges = [0, 1, 2, -1, INT_MAX, INT_MAX + 1, 2**64, 2.0, 1.5, 0.0, 1e300, float(2**63),
             float("nan"), float("inf"), True, False, "1", None]
    return (st.sampled_from(edges) | st.integers() | st.floats()
            | st.integers(1, 10).map(float))


def finetuning_types() -> st.SearchStrategy[str]:
    known = st.sampled_from(CONTRACT_FINETUNING_TYPES)
    return known | known.map(str.upper) | known.map(lambda v: f" {v}") | known.map(
        lambda v: v + "\n") | known.map(lambda v: v.replace("_", "-")) | st.text(max_size=12)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


def field_values(strategy: st.SearchStrategy, valid: object) -> st.SearchStrategy:
    """A known-good value of the field, a plausible one, or any JSON."""
    return st.just(valid) | strategy | JSON_VALUES


CREATE_FIELDS = {
    "name": names(),
    "model": models(),
    "fileset": filesets(),
    "finetuning_type": finetuning_types(),
    "description": descriptions(),
    "enabled": st.booleans(),
    "lora_config": st.none() | st.fixed_dictionaries(
        {"rank": whole_numbers()}, optional={"alpha": whole_numbers(), "other": JSON_VALUES}),
    "unknown": JSON_VALUES,
}


@st.composite
def create_bodies(draw) -> object:
    """A valid body with a few fields replaced (by a plausible value or any JSON) or dropped."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)
    body: dict[str, object] = valid_body()
    optional = {"description": "text", "enabled": False, "lora_config": {"rank": 8, "alpha": 16}}
    body.update({key: value for key, value in optional.items() if draw(st.booleans())})
    for field in draw(st.sets(st.sampled_from(sorted(CREATE_FIELDS)), max_size=3)):
        body[field] = draw(CREATE_FIELDS[field] | JSON_VALUES)
    if draw(st.integers(0, 5)) == 0:
        del body[draw(st.sampled_from(sorted(body)))]
    return body


# --- every check against its statement ------------------------------------------------------


@PROPERTY
@given(names() | NOT_TEXT)
def test_name_and_workspace_rules_match_the_seed_regex(value):
    """check_name and check_workspace accept exactly the seed's ASCII name, 1-255, not '.'/'..'."""
    assert (rules.check_name(value) is None) == name_ok(value)
    assert (rules.check_workspace(value) is None) == name_ok(value)


@PROPERTY
@given(models() | NOT_TEXT)
def test_model_rule_matches_the_spec_sentence(value):
    """check_model accepts exactly one or two valid segments, at most 127 characters."""
    assert (rules.check_model(value) is None) == model_ok(value)


@PROPERTY
@given(model_segments() | NOT_TEXT)
def test_model_segment_rule_matches_the_spec_sentence(value):
    """check_model_segment accepts exactly 2-63 of a-z 0-9 - @ . + _ with no edge or double '-'."""
    assert (rules.check_model_segment(value) is None) == model_segment_ok(value)


@PROPERTY
@given(filesets() | NOT_TEXT)
def test_fileset_rule_matches_the_contract(value):
    """check_fileset accepts exactly one or two name-charset segments, 1-255 characters in all."""
    assert (rules.check_fileset(value) is None) == fileset_ok(value)


@PROPERTY
@given(descriptions() | NOT_TEXT)
def test_description_rule_counts_code_points(value):
    """check_description accepts exactly null or text of at most 1000 code points."""
    assert (rules.check_description(value) is None) == description_ok(value)


@PROPERTY
@given(finetuning_types() | NOT_TEXT)
def test_finetuning_type_rule_is_the_contract_list(value):
    """check_finetuning_type accepts exactly the contract's 25 lowercase values."""
    assert (rules.check_finetuning_type(value) is None) == finetuning_type_ok(value)


@PROPERTY
@given(st.booleans() | NOT_TEXT | st.sampled_from(["true", "false", 0, 1]))
def test_enabled_rule_takes_only_booleans(value):
    """check_enabled accepts exactly JSON booleans."""
    assert (rules.check_enabled(value) is None) == isinstance(value, bool)


@PROPERTY
@given(whole_numbers() | NOT_TEXT)
def test_rank_and_alpha_rules_take_whole_numbers_from_one(value):
    """Rank and alpha accept exactly integers >= 1 (not bools); alpha also null, rank not."""
    assert (rules.check_lora_rank(value) is None) == whole_number_ok(value)
    assert (rules.check_lora_alpha(value) is None) == (value is None or whole_number_ok(value))


# --- the body parsers -----------------------------------------------------------------------


def assert_error_entries(errors: object) -> None:
    """A non-empty list of FastAPI-style entries that JSON can carry."""
    assert isinstance(errors, list) and errors
    for entry in errors:
        assert set(entry) == {"loc", "msg", "type"}
        assert entry["loc"] and entry["loc"][0] in ("body", "path")
        assert all(type(part) in (str, int) for part in entry["loc"])
        assert isinstance(entry["msg"], str) and entry["msg"]
        assert isinstance(entry["type"], str) and entry["type"]
    json.dumps(errors)


def create_body_ok(body: object, model_from_path: str | None) -> bool:
    """Whether a create body passes, by the statements above."""
    if not isinstance(body, dict):
        return False
    model_fine = (model_segment_ok(model_from_path) if model_from_path is not None
                  else model_ok(body.get("model")))
    return (model_fine and name_ok(body.get("name")) and fileset_ok(body.get("fileset"))
            and finetuning_type_ok(body.get("finetuning_type"))
            and description_ok(body.get("description"))
            and isinstance(body.get("enabled", True), bool)
            and lora_config_ok(body.get("lora_config")))


@PROPERTY
@given(create_bodies(), st.just("default") | names(), st.none() | model_segments())
def test_parse_create_answers_any_json(body, workspace, model_from_path):
    """parse_create never raises: the values exactly when the rules hold, else error entries."""
    values, errors = rules.parse_create(body, workspace, model_from_path)
    if values is None:
        assert_error_entries(errors)
    else:
        assert errors == []
    if not isinstance(body, dict):
        assert values is None
        return
    model = model_from_path if model_from_path is not None else body.get("model")
    stored = model if isinstance(model, str) and "/" in model else f"{workspace}/{model}"
    if len(stored) > rules.MODEL_MAX:
        return  # refused or not, the contract does not say: the next test pins it down
    assert (values is not None) == create_body_ok(body, model_from_path)
    if values is not None:
        assert values["model"] == stored
        for field in ("name", "fileset", "finetuning_type"):
            assert values[field] == body[field]


@PROPERTY
@given(st.integers(1, rules.NAME_MAX).flatmap(
           lambda size: st.text(NAME_ALPHABET, min_size=size, max_size=size)).filter(name_ok),
       st.sampled_from(["ab", "base-model", "m" * 63]), st.booleans())
def test_parse_create_stores_a_model_that_fits_its_column(workspace, model, nested):
    """A bare model resolved in the workspace is refused or stored in at most 127 characters."""
    body = valid_body(model=model)
    values, _ = rules.parse_create(body, workspace, body.pop("model") if nested else None)
    if values is not None:
        assert len(values["model"]) <= rules.MODEL_MAX, (workspace, values["model"])


@PROPERTY
@given(JSON_VALUES | st.fixed_dictionaries({}, optional={
    "description": field_values(descriptions(), None),
    "enabled": field_values(st.booleans(), False),
    "fileset": field_values(filesets(), "fs2"),
    "name": JSON_VALUES,
}))
def test_parse_patch_answers_any_json(body):
    """parse_patch never raises: the non-null changes exactly when they pass, else entries."""
    values, errors = rules.parse_patch(body)
    ok = isinstance(body, dict) and all(
        body.get(field) is None or good(body[field])
        for field, good in (("description", description_ok),
                            ("enabled", lambda v: isinstance(v, bool)),
                            ("fileset", fileset_ok)))
    assert (values is not None) == ok
    if values is None:
        assert_error_entries(errors)
    else:
        assert values == {field: body[field] for field in ("description", "enabled", "fileset")
                          if body.get(field) is not None}


# --- the document's schemas agree with the checks -------------------------------------------

SCHEMAS = DOCUMENT["components"]["schemas"]
PATH_PARAMETERS = DOCUMENT["paths"]["/apis/models/v2/workspaces/{workspace}/models/{model_name}"
                                    "/adapters"]["parameters"]
DOC_WORKSPACE, DOC_MODEL_NAME = (parameter["schema"] for parameter in PATH_PARAMETERS)


def document_accepts(schema: dict, value: str) -> bool:
    """A string schema of the document, with ECMA-262 regexes (where '$' is the very end)."""
    assert set(schema) <= {"type", "minLength", "maxLength", "pattern", "not"}, schema
    assert schema["type"] == "string"
    if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", math.inf):
        return False
    if "pattern" in schema:
        pattern = schema["pattern"]
        assert pattern.startswith("^") and pattern.endswith("$") and "$" not in pattern[:-1]
        if re.search(pattern[:-1] + r"\Z", value) is None:
            return False
    if "not" in schema:
        assert set(schema["not"]) == {"enum"}
        return value not in schema["not"]["enum"]
    return True


@PROPERTY
@given(names())
def test_document_name_schemas_are_the_name_rule(value):
    """The name and workspace schemas (NAME_PATTERN, lengths, not '.'/'..') are check_name."""
    expected = rules.check_name(value) is None
    assert document_accepts(SCHEMAS["AdapterCreate"]["properties"]["name"], value) == expected
    assert document_accepts(DOC_WORKSPACE, value) == expected
    # NAME_PATTERN alone lets '.' and '..' through; the schema's "not" is what excludes them.
    matches = re.search(rules.NAME_PATTERN[:-1] + r"\Z", value) is not None
    assert (matches and len(value) <= rules.NAME_MAX) == (expected or value in (".", ".."))


@PROPERTY
@given(models())
def test_document_model_schema_is_the_model_rule_but_segment_length(value):
    """MODEL_PATTERN is check_model once the 63-character segment limit it leaves out is added."""
    expected = rules.check_model(value) is None
    accepted = document_accepts(SCHEMAS["AdapterCreate"]["properties"]["model"], value)
    assert (accepted and all(len(part) <= 63 for part in value.split("/"))) == expected
    if expected:
        assert accepted


@PROPERTY
@given(model_segments())
def test_document_model_name_schema_admits_every_valid_segment(value):
    """The nested route's model_name schema (lengths only) admits every valid model segment."""
    if rules.check_model_segment(value) is None:
        assert document_accepts(DOC_MODEL_NAME, value)


@PROPERTY
@given(filesets())
def test_document_fileset_schema_is_the_fileset_rule(value):
    """The fileset schema (FILESET_PATTERN, 1-255) is check_fileset, in create and patch."""
    expected = rules.check_fileset(value) is None
    assert document_accepts(SCHEMAS["AdapterCreate"]["properties"]["fileset"], value) == expected
    patch_fileset, null = SCHEMAS["AdapterPatch"]["properties"]["fileset"]["anyOf"]
    assert null == {"type": "null"}
    assert document_accepts(patch_fileset, value) == expected
