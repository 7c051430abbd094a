"""The JSON API: every route, status and body of the contract."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime

import pytest
from conftest import API, valid_body

from webui.extensions import db
from webui.models import Adapter

ADAPTERS = f"{API}/default/adapters"
KEYS = ["name", "workspace", "description", "fileset", "finetuning_type", "enabled",
        "lora_config", "model", "created_at", "updated_at"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def stored(app) -> list[tuple]:
    """Every adapter row, to prove what a request did or did not change."""
    with app.app_context():
        return [(a.workspace, a.name, a.description, a.fileset, a.enabled, a.model,
                 a.lora_rank, a.lora_alpha, a.updated_at) for a in db.session.query(Adapter)]


def test_create_returns_201_and_the_adapter_in_key_order(client):
    """Route 1: 201, every key in the contract's order, the model resolved in the workspace."""
    response = client.post(ADAPTERS, json=valid_body(
        description="first", enabled=False, lora_config={"rank": 8, "alpha": 16}))
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == KEYS
    assert list(body["lora_config"]) == ["alpha", "rank"]
    assert body["name"] == "lora-a" and body["workspace"] == "default"
    assert body["model"] == "default/base-model"
    assert body["fileset"] == "default/fs1"
    assert body["description"] == "first" and body["enabled"] is False
    assert body["lora_config"] == {"alpha": 16, "rank": 8}
    assert TIMESTAMP.match(body["created_at"]) and body["created_at"] == body["updated_at"]
    assert '"name":"lora-a","workspace":"default"' in response.get_data(as_text=True)


def test_create_includes_nulls_and_defaults(client):
    """Optional fields come back as null and enabled defaults to true."""
    body = client.post(ADAPTERS, json=valid_body(lora_config={"rank": 2})).get_json()
    assert body["description"] is None and body["enabled"] is True
    assert body["lora_config"] == {"alpha": None, "rank": 2}


def test_create_keeps_fileset_as_sent_and_full_model_reference(client):
    """A bare fileset is stored exactly as sent; a workspace/model reference is kept."""
    body = client.post(ADAPTERS, json=valid_body(fileset="fs1", model="shared/llama")).get_json()
    assert body["fileset"] == "fs1" and body["model"] == "shared/llama"


def test_create_is_durable_in_the_database_file(client, app, database_url):
    """A 201 means the row is in the database, read back by a separate connection."""
    client.post(ADAPTERS, json=valid_body())
    if not database_url.startswith("sqlite"):
        pytest.skip("checks the SQLite file directly")
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT workspace, name, model FROM adapters").fetchall()
    assert rows == [("default", "lora-a", "default/base-model")]


def test_duplicate_name_is_409_and_changes_nothing(client, app, create):
    """Route 1: the same name again in the workspace is 409 with the contract's detail."""
    create()
    before = stored(app)
    response = client.post(ADAPTERS, json=valid_body(model="other-model"))
    assert response.status_code == 409
    assert response.get_json() == {
        "detail": "Adapter with name 'lora-a' already exists in workspace 'default'"}
    assert response.headers["x-should-retry"] == "false"  # an SDK retry cannot help
    assert stored(app) == before


def test_same_name_in_another_workspace_is_fine(client, create):
    """Names are unique per workspace only."""
    create()
    assert client.post(f"{API}/other/adapters", json=valid_body()).status_code == 201


def test_name_is_unique_across_models(client, create):
    """The nested route cannot reuse a name taken under another model."""
    create(model="model-one")
    response = client.post(f"{API}/default/models/model-two/adapters", json=valid_body())
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("overrides", "loc", "type_"),
    [
        ({"name": "bad name"}, ["body", "name"], "string_pattern_mismatch"),
        ({"name": "a" * 256}, ["body", "name"], "string_too_long"),
        ({"name": ".."}, ["body", "name"], "value_error"),
        ({"name": 5}, ["body", "name"], "string_type"),
        ({"fileset": "a/b/c"}, ["body", "fileset"], "string_pattern_mismatch"),
        ({"finetuning_type": "LORA"}, ["body", "finetuning_type"], "enum"),
        ({"model": "Base"}, ["body", "model"], "string_pattern_mismatch"),
        ({"model": "a--b"}, ["body", "model"], "string_pattern_mismatch"),
        ({"description": "x" * 1001}, ["body", "description"], "string_too_long"),
        ({"enabled": "true"}, ["body", "enabled"], "bool_type"),
        ({"lora_config": [1]}, ["body", "lora_config"], "dict_type"),
        ({"lora_config": {"alpha": 2}}, ["body", "lora_config", "rank"], "missing"),
        ({"lora_config": {"rank": True}}, ["body", "lora_config", "rank"], "int_type"),
        ({"lora_config": {"rank": 2, "alpha": 0}}, ["body", "lora_config", "alpha"],
         "greater_than_equal"),
        ({"lora_config": {"rank": 2**64}}, ["body", "lora_config", "rank"], "less_than_equal"),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_a_broken_rule_is_422_with_its_loc(client, app, overrides, loc, type_):
    """Route 1: each broken rule is one detail entry with loc, msg and type; nothing stored."""
    response = client.post(ADAPTERS, json=valid_body(**overrides))
    assert response.status_code == 422
    (entry,) = response.get_json()["detail"]
    assert entry["loc"] == loc and entry["type"] == type_
    assert isinstance(entry["msg"], str) and entry["msg"][0].isupper()
    assert stored(app) == []


@pytest.mark.parametrize("field", ["name", "model", "fileset", "finetuning_type"])
def test_a_missing_required_field_is_422(client, field):
    """Each required field, left out, is a 'missing' entry."""
    body = valid_body()
    del body[field]
    detail = client.post(ADAPTERS, json=body).get_json()["detail"]
    assert detail == [{"loc": ["body", field], "msg": detail[0]["msg"], "type": "missing"}]
    assert detail[0]["msg"].endswith("is required")


def test_every_broken_rule_is_reported_at_once(client):
    """Several broken fields give several entries, in one answer."""
    detail = client.post(ADAPTERS, json={"name": "", "enabled": 1}).get_json()["detail"]
    assert [entry["loc"][1] for entry in detail] == [
        "name", "fileset", "finetuning_type", "model", "enabled"]


@pytest.mark.parametrize(
    "data",
    ["[]", '"text"', "3", "null", "true"],
)
def test_a_body_that_is_not_an_object_is_422(client, data):
    """The body must be a JSON object."""
    response = client.post(ADAPTERS, data=data, content_type="application/json")
    assert response.status_code == 422
    assert [entry["loc"] for entry in response.get_json()["detail"]] == [["body"]]


@pytest.mark.parametrize("data", [b"{", b"", b'{"name": NaN}', b"\xff{}"])
def test_malformed_json_is_422(client, data):
    """Malformed JSON is a 422 at ['body'] of type json_invalid."""
    response = client.post(ADAPTERS, data=data, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_post_and_patch_without_json_content_type_are_415(client, app, create, content_type):
    """POST/PATCH whose Content-Type is not application/json: 415, nothing changes."""
    create(name="kept")
    before = stored(app)
    data = '{"name": "x", "model": "mm", "fileset": "f", "finetuning_type": "lora"}'
    kwargs = {"data": data} if content_type is None else {"data": data,
                                                          "content_type": content_type}
    for response in (client.post(ADAPTERS, **kwargs),
                     client.patch(f"{ADAPTERS}/kept", **kwargs)):
        assert response.status_code == 415
        assert isinstance(response.get_json()["detail"], str)
    assert stored(app) == before


def test_json_content_type_with_charset_is_accepted(client):
    """'application/json; charset=utf-8' is JSON."""
    response = client.post(ADAPTERS, data='{"name":"a1","model":"mm","fileset":"f",'
                           '"finetuning_type":"dpo"}',
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_a_body_over_the_limit_is_413(app, client):
    """A body larger than the configured limit: 413 with a JSON detail."""
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(ADAPTERS, json=valid_body(description="x" * 2000))
    assert response.status_code == 413
    assert "1000 bytes" in response.get_json()["detail"]


def test_the_default_body_limit_is_one_mebibyte(client):
    """Without configuration the limit is 1 MiB."""
    big = b'{"description": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(ADAPTERS, data=big, content_type="application/json")
    assert response.status_code == 413
    assert "1048576" in response.get_json()["detail"]


@pytest.mark.parametrize("workspace", ["bad ws", ".", "..", "a" * 256, "wé"])
def test_invalid_workspace_in_the_path_is_422(client, workspace):
    """The path workspace follows the name rule: 422 at ['path', 'workspace'] on every route."""
    base = f"{API}/{workspace}"
    responses = [
        client.post(f"{base}/adapters", json=valid_body()),
        client.get(f"{base}/adapters"),
        client.get(f"{base}/adapters/a"),
        client.patch(f"{base}/adapters/a", json={}),
        client.delete(f"{base}/adapters/a"),
        client.post(f"{base}/models/mm/adapters", json=valid_body()),
        client.patch(f"{base}/models/mm/adapters/a", json={}),
        client.delete(f"{base}/models/mm/adapters/a"),
    ]
    for response in responses:
        assert response.status_code == 422, response.request.method
        assert response.get_json()["detail"][0]["loc"] == ["path", "workspace"]


def test_retrieve_returns_the_adapter(client, create):
    """Route 3: 200 and the same object the create returned."""
    created = create()
    response = client.get(f"{ADAPTERS}/lora-a")
    assert response.status_code == 200 and response.get_json() == created


@pytest.mark.parametrize("name", ["missing", "bad%20name", "..."])
def test_retrieve_unknown_is_404(client, name):
    """Route 3: an unknown (or impossible) name is 404 with the contract's detail."""
    response = client.get(f"{ADAPTERS}/{name}")
    assert response.status_code == 404
    shown = name.replace("%20", " ")
    assert response.get_json() == {
        "detail": f"Adapter '{shown}' not found in workspace 'default'"}


def test_patch_changes_only_the_given_fields(client, app, create):
    """Route 4: description, enabled and fileset change; a new updated_at; others kept."""
    created = create(description="old", lora_config={"rank": 4})
    response = client.patch(f"{ADAPTERS}/lora-a", json={
        "description": "new", "enabled": False, "fileset": "fs2",
        "name": "renamed", "model": "zz", "finetuning_type": "dpo", "lora_config": None})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == KEYS
    assert (body["description"], body["enabled"], body["fileset"]) == ("new", False, "fs2")
    for key in ("name", "model", "finetuning_type", "lora_config", "created_at"):
        assert body[key] == created[key]
    assert body["updated_at"] > created["updated_at"]
    assert client.get(f"{ADAPTERS}/lora-a").get_json() == body


def test_patch_with_null_or_missing_fields_keeps_them(client, create):
    """Route 4: null leaves a field as it was; an empty body still sets a new updated_at."""
    created = create(description="keep", enabled=False)
    first = client.patch(f"{ADAPTERS}/lora-a", json={"description": None}).get_json()
    second = client.patch(f"{ADAPTERS}/lora-a", json={}).get_json()
    assert first["description"] == "keep" and first["enabled"] is False
    assert created["updated_at"] < first["updated_at"] < second["updated_at"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"enabled": "no"}, ["body", "enabled"]),
        ({"fileset": "a/b/c"}, ["body", "fileset"]),
        ({"description": "d" * 1001}, ["body", "description"]),
        ([], ["body"]),
    ],
)
def test_patch_breaking_a_rule_is_422_and_changes_nothing(client, app, create, body, loc):
    """Route 4: the create rules apply; a rejected PATCH changes nothing."""
    create()
    before = stored(app)
    response = client.patch(f"{ADAPTERS}/lora-a", json=body)
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == loc
    assert stored(app) == before


def test_patch_unknown_is_404(client):
    """Route 4: no such adapter."""
    response = client.patch(f"{ADAPTERS}/nope", json={"enabled": False})
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Adapter 'nope' not found in workspace 'default'"}


def test_delete_is_204_with_an_empty_body_then_404(client, app, create):
    """Route 5: 204 and no body; the adapter is gone; deleting again is 404."""
    create()
    response = client.delete(f"{ADAPTERS}/lora-a")
    assert response.status_code == 204 and response.get_data() == b""
    assert stored(app) == []
    again = client.delete(f"{ADAPTERS}/lora-a")
    assert again.status_code == 404
    assert again.get_json() == {"detail": "Adapter 'lora-a' not found in workspace 'default'"}


def test_delete_accepts_the_sdk_json_content_type_without_a_body(client, create):
    """The SDK sends Content-Type: application/json on DELETE with no body: still 204."""
    create()
    response = client.delete(f"{ADAPTERS}/lora-a", content_type="application/json")
    assert response.status_code == 204


def test_nested_create_takes_the_model_from_the_path(client):
    """Route 6: no model in the body; model = workspace/model_name."""
    body = valid_body()
    del body["model"]
    response = client.post(f"{API}/default/models/llama-3/adapters", json=body)
    assert response.status_code == 201
    assert response.get_json()["model"] == "default/llama-3"


def test_nested_create_ignores_a_model_in_the_body(client):
    """Route 6: the path decides the model."""
    response = client.post(f"{API}/default/models/llama-3/adapters",
                           json=valid_body(model="x/other"))
    assert response.get_json()["model"] == "default/llama-3"


def test_nested_create_checks_the_model_name_in_the_path(client):
    """Route 6: an invalid model_name is a 422 at ['path', 'model_name']."""
    response = client.post(f"{API}/default/models/Bad--Model/adapters", json=valid_body())
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["path", "model_name"]


def test_nested_patch_and_delete_need_the_adapters_model(client, app, create):
    """Routes 7 and 8: 404 unless the adapter's model is workspace/model_name."""
    create(model="model-one")
    wrong = f"{API}/default/models/model-two/adapters/lora-a"
    right = f"{API}/default/models/model-one/adapters/lora-a"
    assert client.patch(wrong, json={"enabled": False}).status_code == 404
    assert client.delete(wrong).get_json() == {
        "detail": "Adapter 'lora-a' not found in workspace 'default'"}
    assert len(stored(app)) == 1
    patched = client.patch(right, json={"enabled": False})
    assert patched.status_code == 200 and patched.get_json()["enabled"] is False
    assert client.delete(right).status_code == 204
    assert stored(app) == []


def test_nested_routes_do_not_match_a_model_in_another_workspace(client, create):
    """An adapter whose model is other/model-one is not under default/model-one."""
    create(model="other/model-one")
    path = f"{API}/default/models/model-one/adapters/lora-a"
    assert client.delete(path).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/adapters"), ("DELETE", "/adapters"), ("PATCH", "/adapters"),
        ("PUT", "/adapters/x"), ("POST", "/adapters/x"), ("OPTIONS", "/adapters/x"),
        ("GET", "/models/mm/adapters"), ("PUT", "/models/mm/adapters/x"),
        ("GET", "/models/mm/adapters/x"), ("OPTIONS", "/adapters"),
    ],
)
def test_other_methods_are_405(client, method, path):
    """No PUT, and no other method than the routes list: 405 in JSON."""
    response = client.open(f"{API}/default{path}", method=method)
    assert response.status_code == 405
    assert response.get_json() == {"detail": "Method Not Allowed"}


@pytest.mark.parametrize(
    "path",
    ["/apis/", "/apis/nope", "/apis/models/v2/workspaces/default", "/apis/models/v1/x",
     f"{API}/default/adapters/a/b", f"{API}/default/models/mm"],
)
def test_unknown_api_paths_are_json_404(client, path):
    """Any unknown path under /apis/ is JSON, never an HTML page."""
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {"detail": "Not Found"}


def test_openapi_document_describes_every_route(client):
    """GET /apis/openapi.json: OpenAPI 3.1 with the 8 adapters routes and the rules' limits."""
    from webui import rules

    doc = client.get("/apis/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    base = "/apis/models/v2/workspaces/{workspace}"
    operations = {(method.upper(), path) for path, item in doc["paths"].items()
                  for method in item if method != "parameters" and path.startswith(base)}
    assert operations == {
        ("POST", f"{base}/adapters"), ("GET", f"{base}/adapters"),
        ("GET", f"{base}/adapters/{{name}}"), ("PATCH", f"{base}/adapters/{{name}}"),
        ("DELETE", f"{base}/adapters/{{name}}"),
        ("POST", f"{base}/models/{{model_name}}/adapters"),
        ("PATCH", f"{base}/models/{{model_name}}/adapters/{{adapter}}"),
        ("DELETE", f"{base}/models/{{model_name}}/adapters/{{adapter}}"),
    }
    nested = doc["paths"][f"{base}/models/{{model_name}}/adapters/{{adapter}}"]
    assert [param["name"] for param in nested["parameters"]] == [
        "workspace", "model_name", "adapter"]
    schemas = doc["components"]["schemas"]
    assert schemas["FinetuningType"]["enum"] == list(rules.FINETUNING_TYPES)
    create_schema = schemas["AdapterCreate"]
    assert create_schema["properties"]["name"]["maxLength"] == rules.NAME_MAX
    assert create_schema["properties"]["model"]["maxLength"] == rules.MODEL_MAX
    assert create_schema["properties"]["description"]["maxLength"] == rules.DESCRIPTION_MAX
    assert set(create_schema["required"]) == {"name", "model", "fileset", "finetuning_type"}
    assert list(schemas["Adapter"]["properties"]) == KEYS


def test_openapi_patterns_agree_with_the_checks():
    """The document's regexes accept exactly what the check functions accept, on samples."""
    from webui import rules

    samples = ["a", "ab", "a-b", "-ab", "a--b", "ab-", "Ab", "a.b", "a/b", "ws/mm", "a b",
               "abc\n", "é", "x@y+z_1", "..", "ws/", "/ws", "a/b/c", "1ab", "ab1",
               "a" * 63, "a-1-b"]
    for sample in samples:
        assert bool(re.fullmatch(rules.NAME_PATTERN.strip("^$"), sample, re.ASCII)) == (
            rules.check_name(sample) is None or sample in (".", "..")), sample
        model_ok = bool(re.fullmatch(rules.MODEL_PATTERN.strip("^$"), sample, re.ASCII))
        assert model_ok == (rules.check_model(sample) is None), sample
        fileset_ok = bool(re.fullmatch(rules.FILESET_PATTERN.strip("^$"), sample, re.ASCII))
        assert fileset_ok == (rules.check_fileset(sample) is None), sample
        workspace_ok = (bool(re.fullmatch(rules.WORKSPACE_PATTERN.strip("^$"), sample, re.ASCII))
                        and rules.WORKSPACE_NEW_MIN <= len(sample) <= rules.WORKSPACE_NEW_MAX)
        assert workspace_ok == (rules.check_new_workspace(sample) is None), sample


def test_api_errors_are_json_even_for_unexpected_failures(app, client, monkeypatch):
    """A bug in a view is a JSON 500 with no trace under /apis/."""
    from webui import queries

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "get_adapter", broken)
    app.testing = False  # let the handler answer, as in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"{ADAPTERS}/x")
    assert response.status_code == 500
    assert response.get_json() == {"detail": "Internal Server Error"}
    assert "secret" not in response.get_data(as_text=True)


def test_created_at_is_utc_now(client):
    """Timestamps are the current UTC time."""
    body = client.post(ADAPTERS, json=valid_body()).get_json()
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(created.tzinfo) - created).total_seconds()) < 60
