"""Bad input never breaks it: every JSON route and every HTML form POST, fed garbage.

Every answer is a 4xx, never a 5xx, in the contract's shape: ``{"detail": str}`` or
``{"detail": [{"loc", "msg", "type"}, ...]}`` under /apis/, an HTML page elsewhere. Every row of
the adapters and workspaces tables is the same after a refused request as before it.

One app and one seeded database serve the whole module (the battery is several hundred requests);
each test snapshots the tables itself, so a request that changed them fails its own test.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator
from urllib.parse import quote, quote_plus, urlencode

import pytest
from conftest import API, valid_body
from flask import Flask
from htmlquery import every, one, top_level
from sqlalchemy import text
from test_pages import csrf_token, form_data

from webui import create_app, listing, rules
from webui.extensions import db

SQL = "'; DROP TABLE adapters; --"
LONG = "a" * 100_000
HUGE_INT = "1" + "0" * 5000  # 10**5000: past Python's 4300-digit int conversion limit
SEED = [  # (workspace, body overrides)
    ("default", {"name": "lora-a", "description": "seeded",
                 "lora_config": {"rank": 8, "alpha": 16}}),
    ("default", {"name": "ptune-b", "model": "other-model", "finetuning_type": "p_tuning",
                 "enabled": False}),
    ("team-x", {"name": "lora-a", "model": "shared/base-model"}),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Flask]:
    """This module's app (overrides conftest's): one database, seeded once, for every test."""
    folder = tmp_path_factory.mktemp("bad-input")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("TEST_DATABASE_URL")
        or f"sqlite:///{folder / 'test.sqlite3'}",
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(folder / "instance"),
    })
    client = app.test_client()
    for workspace, overrides in SEED:
        response = client.post(f"{API}/{workspace}/adapters", json=valid_body(**overrides))
        assert response.status_code == 201, response.get_data(as_text=True)
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def token(client) -> str:
    """A CSRF token of the client's session."""
    return csrf_token(client)


def snapshot(app: Flask) -> dict[str, list[tuple]]:
    """Every row of both tables."""
    with app.app_context():
        return {table: [tuple(row) for row in db.session.execute(
            text(f"SELECT * FROM {table} ORDER BY 1"))] for table in ("adapters", "workspaces")}


def assert_contract_error(response, statuses: tuple[int, ...]) -> None:
    """A 4xx from ``statuses``: the contract's JSON under /apis/, an HTML page elsewhere."""
    shown = response.get_data(as_text=True)[:300]
    assert response.status_code in statuses, (response.status_code, shown)
    if not response.request.path.startswith("/apis/"):
        assert response.mimetype == "text/html", shown
        assert shown.startswith("<!doctype html>"), shown
        return
    assert response.mimetype == "application/json", shown
    body = response.get_json()
    assert list(body) == ["detail"], shown
    detail = body["detail"]
    if isinstance(detail, str):
        assert detail, shown
        return
    assert isinstance(detail, list) and detail, shown
    for entry in detail:
        assert list(entry) == ["loc", "msg", "type"], shown
        assert entry["loc"] and all(isinstance(part, str | int) for part in entry["loc"]), shown
        assert isinstance(entry["msg"], str) and entry["msg"], shown
        assert isinstance(entry["type"], str) and entry["type"], shown


def refused(app, client, method: str, url: str, statuses: tuple[int, ...], **request):
    """Send one request; it must be refused in the contract's shape and change no row."""
    before = snapshot(app)
    response = client.open(url, method=method, **request)
    assert_contract_error(response, statuses)
    assert snapshot(app) == before
    return response


def locs(response) -> list[tuple]:
    """The loc of every entry of a 422."""
    return [tuple(entry["loc"]) for entry in response.get_json()["detail"]]


# --- the routes -----------------------------------------------------------------------------

DEFAULT_PARTS = {"ws": "default", "name": "lora-a", "model": "base-model"}
JSON_ROUTES = {  # id: (method, path under API)
    "create": ("POST", "/{ws}/adapters"),
    "list": ("GET", "/{ws}/adapters"),
    "retrieve": ("GET", "/{ws}/adapters/{name}"),
    "patch": ("PATCH", "/{ws}/adapters/{name}"),
    "delete": ("DELETE", "/{ws}/adapters/{name}"),
    "create-nested": ("POST", "/{ws}/models/{model}/adapters"),
    "patch-nested": ("PATCH", "/{ws}/models/{model}/adapters/{name}"),
    "delete-nested": ("DELETE", "/{ws}/models/{model}/adapters/{name}"),
}
BODY_ROUTES = ("create", "patch", "create-nested", "patch-nested")
CREATE_ROUTES = ("create", "create-nested")
PATCH_ROUTES = ("patch", "patch-nested")
HTML_POSTS = {  # id: path; every form POST of the pages
    "new": "/workspaces/{ws}/new-adapter",
    "validate": "/workspaces/{ws}/new-adapter/validate?field=name",
    "enabled": "/workspaces/{ws}/adapters/{name}/enabled",
    "description": "/workspaces/{ws}/adapters/{name}/description",
    "delete": "/workspaces/{ws}/adapters/{name}/delete",
}


def api_url(route: str, **parts: str) -> tuple[str, str]:
    """The method and URL of a JSON route, with path segments replaced as asked."""
    method, template = JSON_ROUTES[route]
    return method, API + template.format(**{**DEFAULT_PARTS, **parts})


def page_url(route: str, **parts: str) -> str:
    """The URL of an HTML form POST, with path segments replaced as asked."""
    return HTML_POSTS[route].format(**{**DEFAULT_PARTS, **parts})


def good_json(route: str) -> dict | None:
    """A body the route would accept (a create makes a new name), so only the garbage is wrong."""
    if route in CREATE_ROUTES:
        body = valid_body(name="fresh")
        if route == "create-nested":
            del body["model"]
        return body
    if route in PATCH_ROUTES:
        return {"description": "changed", "enabled": False}
    return None


def good_form(route: str, token: str) -> dict[str, str]:
    """A form the route would accept."""
    if route in ("new", "validate"):
        return form_data(token, name="fresh")
    return {"csrf_token": token, "enabled": "false", "description": "changed"}


def json_text(fields: dict[str, object], **raw: str) -> bytes:
    """A JSON object as text, some values given as raw JSON text: NaN, lone surrogates, 5000-digit
    numbers, deep nesting -- what ``json.dumps`` would not write."""
    members = {key: json.dumps(value) for key, value in fields.items()}
    members.update(raw)
    return ("{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in members.items())
            + "}").encode()


def multipart(fields: dict[str, str], upload: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body of the fields and one uploaded file, and its Content-Type."""
    boundary = "bad-input-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
             f"{value}\r\n".encode() for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
                 'filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                 + upload + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def nested(depth: int, leaf: str = "1", key: str = "rank") -> str:
    """``{"rank": {"rank": ... leaf}}``, ``depth`` objects deep."""
    return f'{{"{key}": ' * depth + leaf + "}" * depth


# --- bodies that are not a JSON object ------------------------------------------------------

NOT_AN_OBJECT = [
    pytest.param(b'{"name": ', id="truncated"),
    pytest.param(b"{'name': 'x'}", id="single-quotes"),
    pytest.param(b'{"name": "x",}', id="trailing-comma"),
    pytest.param(b"", id="empty"),
    pytest.param(b" \n\t", id="whitespace"),
    pytest.param(b'{"lora_config": {"rank": NaN}}', id="nan-literal"),
    pytest.param(b'{"lora_config": {"rank": Infinity}}', id="infinity-literal"),
    pytest.param(b"-Infinity", id="minus-infinity"),
    pytest.param(b'{"name": "\xff\xfe"}', id="invalid-utf8"),
    pytest.param(b'{"name": "\xed\xa0\x80"}', id="utf8-encoded-surrogate"),
    pytest.param(json.dumps(valid_body()).encode("utf-16"), id="utf16"),
    pytest.param(b"\xef\xbb\xbf" + json.dumps(valid_body()).encode(), id="utf8-bom"),
    pytest.param(b'{"name": "a\x00b"}', id="raw-nul-in-string"),
    pytest.param(b"\x00", id="raw-nul"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="100000-nested-arrays"),
    pytest.param(nested(100_000, key="a").encode(), id="100000-nested-objects"),
    pytest.param(HUGE_INT.encode(), id="5000-digit-int"),
    pytest.param(b"[]", id="array"),
    pytest.param(json.dumps([valid_body()]).encode(), id="array-of-a-valid-body"),
    pytest.param(b'"lora-a"', id="string"),
    pytest.param(b"42", id="number"),
    pytest.param(b"1e400", id="number-1e400"),
    pytest.param(b"null", id="null"),
    pytest.param(b"true", id="true"),
    pytest.param(b"false", id="false"),
]


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize("body", NOT_AN_OBJECT)
def test_a_body_that_is_not_a_json_object_is_422(app, client, route, body):
    """Malformed JSON, non-UTF-8, NUL, deep nesting, non-objects: 422 at ['body']."""
    method, url = api_url(route)
    response = refused(app, client, method, url, (422,), data=body,
                       content_type="application/json")
    assert locs(response) == [("body",)]


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/jsonx", "application/json-patch+json", "text/json", "application/xml", "json",
])
def test_a_body_that_is_not_sent_as_json_is_415(app, client, route, content_type):
    """POST and PATCH with any Content-Type but application/json: 415 {"detail": str}."""
    method, url = api_url(route)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = refused(app, client, method, url, (415,), data=json.dumps(good_json(route)),
                       headers=headers)
    assert isinstance(response.get_json()["detail"], str)


# --- oversized bodies -------------------------------------------------------------------------

@pytest.mark.parametrize("route", JSON_ROUTES)
def test_a_json_body_over_the_configured_limit_is_413(app, client, monkeypatch, route):
    """Every JSON route, even one that reads no body, refuses a body past the limit: 413."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    method, url = api_url(route)
    body = json_text({"description": "x" * 1000})
    response = refused(app, client, method, url, (413,), data=body,
                       content_type="application/json")
    assert "1000 bytes" in response.get_json()["detail"]


@pytest.mark.parametrize("route", HTML_POSTS)
def test_a_form_over_the_configured_limit_is_413(app, client, token, monkeypatch, route):
    """Every HTML form POST refuses a body past the limit: a 413 page."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    data = {**good_form(route, token), "description": "x" * 1000}
    refused(app, client, "POST", page_url(route), (413,), data=data)


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart-file"])
def test_the_default_limit_is_1_mib_on_a_form_post(app, client, token, encoding):
    """With no setting the limit is 1 MiB: one byte past it is a 413 page."""
    assert app.config["MAX_CONTENT_LENGTH"] == rules.MAX_BODY_BYTES == 1024 * 1024
    padding = "x" * rules.MAX_BODY_BYTES
    if encoding == "urlencoded":
        request = {"data": form_data(token, description=padding)}
    else:
        body, content_type = multipart(form_data(token), padding.encode())
        request = {"data": body, "content_type": content_type}
    refused(app, client, "POST", page_url("new"), (413,), **request)


def test_a_file_just_under_the_default_limit_reaches_the_form(app, client, token):
    """The 413 is the 1 MiB limit itself: a multipart body just under it gets the form's 422."""
    body, content_type = multipart(form_data(token, name="bad name"),
                                   b"x" * (rules.MAX_BODY_BYTES - 4096))
    assert len(body) < rules.MAX_BODY_BYTES
    refused(app, client, "POST", page_url("new"), (422,), data=body, content_type=content_type)


def test_a_json_body_over_the_default_limit_is_413(app, client):
    """The JSON API's default limit is 1 MiB too."""
    body = json_text({"description": "x" * rules.MAX_BODY_BYTES})
    refused(app, client, "POST", api_url("create")[1], (413,), data=body,
            content_type="application/json")


# --- bodies as they are sent: streamed, compressed, in another charset -------------------------

ENTITIES = "/apis/entities/v2/workspaces"
MIB = 1024 * 1024


def streamed(body: bytes, **headers: str) -> dict:
    """A request whose body is streamed (chunked, no Content-Length), as a server hands it on:
    ``wsgi.input_terminated`` says the server ends the stream where the body ends."""
    return {"input_stream": io.BytesIO(body), "headers": {"Transfer-Encoding": "chunked",
                                                        **headers},
            "environ_overrides": {"wsgi.input_terminated": True}}


def padded(start: bytes, size: int) -> bytes:
    """``start``, then spaces up to the 1 MiB limit, then garbage up to ``size`` bytes: cut at
    the limit it would be a good body, so only a refusal of the whole proves it was not cut."""
    body = start + b" " * (rules.MAX_BODY_BYTES - len(start))
    return body + b"#" * (size - len(body))


def padded_form(fields: dict[str, str], size: int) -> bytes:
    """A good urlencoded form whose last input fills it to the limit, then garbage past it."""
    start = "&".join(f"{key}={quote_plus(value)}" for key, value in fields.items()) + "&pad="
    body = start + "x" * (rules.MAX_BODY_BYTES - len(start))
    return (body + "%" * (size - len(body))).encode()


STREAMED_SIZES = [pytest.param(MIB + 1, id="1MiB+1"), pytest.param(3 * MIB, id="3MiB")]


@pytest.mark.parametrize("size", STREAMED_SIZES)
@pytest.mark.parametrize("route", JSON_ROUTES)
def test_a_streamed_json_body_past_the_limit_is_413(app, client, route, size):
    """Chunked with no Content-Length, a body past 1 MiB is a 413 on every JSON route: never
    cut at the limit and taken for the whole."""
    method, url = api_url(route)
    body = padded(json.dumps(good_json(route) or {}).encode(), size)
    response = refused(app, client, method, url, (413,),
                       **streamed(body, **{"Content-Type": "application/json"}))
    assert response.get_json() == {
        "detail": f"Request body is larger than the limit of {rules.MAX_BODY_BYTES} bytes"}


@pytest.mark.parametrize("size", STREAMED_SIZES)
@pytest.mark.parametrize("route", HTML_POSTS)
def test_a_streamed_form_past_the_limit_is_413(app, client, token, route, size):
    """Every HTML form POST refuses a streamed body past 1 MiB with a 413 page."""
    response = refused(app, client, "POST", page_url(route), (413,),
                       **streamed(padded_form(good_form(route, token), size), **{
                           "Content-Type": FORM}))
    assert "Request Entity Too Large" in response.get_data(as_text=True)


@pytest.mark.parametrize("route", CREATE_ROUTES)
def test_a_streamed_body_of_exactly_the_limit_is_read_whole(app, client, route):
    """The 413 is the limit itself: a streamed body of exactly 1 MiB is read whole."""
    method, url = api_url(route)
    body = padded(json.dumps(good_json(route)).encode(), rules.MAX_BODY_BYTES)
    response = client.open(url, method=method,
                           **streamed(body, **{"Content-Type": "application/json"}))
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert client.delete(api_url("delete", name="fresh")[1]).status_code == 204


COMPRESSED = [  # (id, Content-Encoding, how the body is sent)
    ("gzip", "gzip", gzip.compress),
    ("deflate", "deflate", zlib.compress),
    ("br-claimed", "br", bytes),
    ("gzip-then-identity", "gzip, identity", gzip.compress),
    ("upper-case-gzip", "GZIP", gzip.compress),
    ("unknown-coding", "x-made-up", bytes),
]


@pytest.mark.parametrize(("coding", "encode"), [pytest.param(coding, encode, id=case_id)
                                                for case_id, coding, encode in COMPRESSED])
@pytest.mark.parametrize("route", [*BODY_ROUTES, "list", "delete"])
def test_a_compressed_json_body_is_415(app, client, route, coding, encode):
    """A Content-Encoding other than identity is refused, never decoded as plain JSON: 415."""
    method, url = api_url(route)
    body = encode(json.dumps(good_json(route) or {"description": "x"}).encode())
    response = refused(app, client, method, url, (415,), data=body,
                       headers={"Content-Type": "application/json", "Content-Encoding": coding})
    assert response.get_json() == {"detail": f"Content-Encoding {coding.split(',')[0].lower()!r}"
                                             " is not supported: send the body unencoded"}


@pytest.mark.parametrize("route", HTML_POSTS)
def test_a_compressed_form_is_415(app, client, token, route):
    """Every HTML form POST refuses a gzip body with a 415 page."""
    body = gzip.compress(urlencode(good_form(route, token)).encode())
    response = refused(app, client, "POST", page_url(route), (415,), data=body,
                       headers={"Content-Type": FORM, "Content-Encoding": "gzip"})
    assert "send the body unencoded" in response.get_data(as_text=True)


def test_a_streamed_compressed_body_is_415(app, client):
    """Streamed or not, a gzip body is a 415."""
    body = gzip.compress(json.dumps(good_json("create")).encode())
    refused(app, client, "POST", api_url("create")[1], (415,), **streamed(
        body, **{"Content-Type": "application/json", "Content-Encoding": "gzip"}))


NOT_UTF8 = ["latin1", "iso-8859-1", "ISO-8859-1", "us-ascii", "utf-16", "utf-32", "cp1252", "x"]
JSON_BODY_ROUTES = {  # id: (method, URL, a body it would take)
    **{route: (*api_url(route), good_json(route)) for route in BODY_ROUTES},
    "workspace-create": ("POST", ENTITIES, {"name": "fresh-ws"}),
    "workspace-update": ("PUT", f"{ENTITIES}/default", {"description": "changed"}),
}


@pytest.mark.parametrize("charset", NOT_UTF8)
@pytest.mark.parametrize("route", JSON_BODY_ROUTES)
def test_a_json_body_in_another_charset_is_415(app, client, route, charset):
    """JSON is UTF-8: a Content-Type naming any other charset is a 415 that says so."""
    method, url, body = JSON_BODY_ROUTES[route]
    response = refused(app, client, method, url, (415,), data=json.dumps(body),
                       content_type=f"application/json; charset={charset}")
    assert response.get_json() == {"detail": f"Content-Type charset {charset!r} is not "
                                             "supported: JSON must be sent as UTF-8"}


@pytest.mark.parametrize("header", [
    ("Content-Type", "application/json; charset=utf-8"),
    ("Content-Type", "application/json; charset=UTF-8"),
    ("Content-Type", 'application/json; charset="Utf-8"'),
    ("Content-Type", "application/json;charset=utf8"),
    ("Content-Encoding", "identity"),
], ids=["utf-8", "UTF-8", "quoted-Utf-8", "utf8", "identity"])
def test_utf8_and_identity_are_taken(app, client, header):
    """Saying UTF-8 (any case) or identity is fine: the create succeeds."""
    name, value = header
    headers = {"Content-Type": "application/json", name: value}
    response = client.post(api_url("create")[1], data=json.dumps(good_json("create")),
                           headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert client.delete(api_url("delete", name="fresh")[1]).status_code == 204


# --- no message quotes Python -------------------------------------------------------------------

PYTHON_WORDS = ("sys.", "set_int_max_str_digits", "Exceeds the limit", "(char ", "Traceback",
                "Error:", "errno", "decode byte")


def assert_plain_words(response) -> None:
    """No message of the answer quotes a Python exception."""
    shown = response.get_data(as_text=True)
    assert not [word for word in PYTHON_WORDS if word in shown], shown[:500]


@pytest.mark.parametrize(("raw", "message"), [
    pytest.param(f'{{"rank": {HUGE_INT}}}', f"LoRA rank must be at most {rules.INT_MAX}",
                 id="rank-10**5000"),
    pytest.param(f'{{"rank": {2**64}}}', f"LoRA rank must be at most {rules.INT_MAX}",
                 id="rank-2**64"),
    pytest.param(f'{{"rank": -{HUGE_INT}}}', "LoRA rank must be at least 1", id="rank--10**5000"),
    pytest.param(f'{{"rank": 8, "alpha": {HUGE_INT}}}',
                 f"LoRA alpha must be at most {rules.INT_MAX}", id="alpha-10**5000"),
])
def test_a_5000_digit_integer_gets_the_rules_message(app, client, raw, message):
    """A 5000-digit integer gets the message of any integer too large: the rule's words."""
    body = json_text(good_json("create"), lora_config=raw)
    response = refused(app, client, "POST", api_url("create")[1], (422,), data=body,
                       content_type="application/json")
    assert [entry["msg"] for entry in response.get_json()["detail"]] == [message]
    assert_plain_words(response)


@pytest.mark.parametrize(("body", "message"), [
    pytest.param(b'{"name": ', "Expecting value at line 1 column 10", id="truncated"),
    pytest.param(b'{"name": "x",}',
                 "Expecting property name enclosed in double quotes at line 1 column 14",
                 id="trailing-comma"),
    pytest.param(b"{\n'name': 1}",
                 "Expecting property name enclosed in double quotes at line 2 column 1",
                 id="single-quotes-line-2"),
    pytest.param(b'{"rank": NaN}', "NaN is not valid JSON", id="nan"),
    pytest.param(b"[" * 100_000, "it is nested too deeply", id="deep"),
])
def test_bad_json_is_described_without_python_internals(app, client, body, message):
    """Malformed JSON: where and what, in words; never an exception's text."""
    response = refused(app, client, "POST", api_url("create")[1], (422,), data=body,
                       content_type="application/json")
    (entry,) = response.get_json()["detail"]
    assert entry["msg"] in (f"Request body is not valid JSON: {message}",
                            "Request body is nested too deeply")
    assert_plain_words(response)


@pytest.mark.parametrize(("text", "message"), [
    pytest.param('{"name": ', "Expecting value at line 1 column 10", id="truncated"),
    pytest.param('{"name": ' + "[" * 100_000, "it is nested too deeply", id="deep"),
    pytest.param(f'{{"name": {HUGE_INT}}}', None, id="5000-digit-int"),
    pytest.param(f'{{"name": {{"$in": [1, -{"9" * 21}]}}}}', None, id="21-digit-int"),
])
def test_bad_json_filters_are_described_without_python_internals(app, client, text, message):
    """The JSON form of a filter is read by the same decoder: the same plain words."""
    response = refused(app, client, "GET", f"{api_url('list')[1]}?filter={quote(text)}", (400,))
    assert response.get_json()["detail"] == (
        f"Malformed JSON in 'filter': {message}" if message else
        "Numbers in 'filter' may have at most 20 digits; send a longer one as text")
    assert_plain_words(response)



# --- garbage in each field of a JSON body -------------------------------------------------------

def _string_garbage(field: str) -> list[tuple[str, str, str]]:
    """(id, field, raw JSON value): garbage that breaks the rule of any text field."""
    return [
        (f"{field}-100000-chars", field, json.dumps(LONG)),
        (f"{field}-nul", field, '"lora\\u0000a"'),
        (f"{field}-nul-only", field, '"\\u0000"'),
        (f"{field}-lone-surrogate", field, '"\\ud800"'),
        (f"{field}-lone-low-surrogate", field, '"lora\\udc00"'),
        (f"{field}-sql", field, json.dumps(SQL)),
        (f"{field}-dotdot-slash-escaped", field, '"..%2f"'),
        (f"{field}-backslash", field, '"a\\\\b"'),
        (f"{field}-percent-00", field, '"%00"'),
        (f"{field}-number", field, "12"),
        (f"{field}-list", field, '["lora"]'),
        (f"{field}-object", field, '{"$ne": null}'),
    ]


DESCRIPTION_GARBAGE = [  # free text, so SQL- or path-looking text is fine there
    ("description-100000-chars", "description", json.dumps(LONG)),
    ("description-1001-chars", "description", json.dumps("x" * 1001)),
    ("description-nul", "description", '"seeded\\u0000"'),
    ("description-lone-surrogate", "description", '"\\ud800"'),
    ("description-number", "description", "12"),
    ("description-list", "description", '["x"]'),
    ("description-object", "description", '{"$ne": null}'),
]
CREATE_GARBAGE = [  # (id, field, raw JSON value); every error's loc starts ['body', field]
    *_string_garbage("name"),
    ("name-dotdot", "name", '".."'),
    ("name-dot", "name", '"."'),
    ("name-dotdot-slashes", "name", '"../.."'),
    ("name-dotdot-escaped", "name", '"%2e%2e"'),
    ("name-trailing-newline", "name", '"lora\\n"'),
    ("name-null", "name", "null"),
    *_string_garbage("model"),
    ("model-three-segments", "model", '"../../x"'),
    ("model-uppercase", "model", '"Base-Model"'),
    *_string_garbage("fileset"),
    ("fileset-three-segments", "fileset", '"a/b/c"'),
    ("fileset-leading-slash", "fileset", '"/fs"'),
    *_string_garbage("finetuning_type"),
    ("finetuning_type-uppercase", "finetuning_type", '"LORA"'),
    *DESCRIPTION_GARBAGE,
    ("enabled-string-true", "enabled", '"true"'),
    ("enabled-one", "enabled", "1"),
    ("enabled-zero", "enabled", "0"),
    ("enabled-null", "enabled", "null"),
    ("enabled-100000-chars", "enabled", json.dumps(LONG)),
    ("lora_config-list", "lora_config", "[8, 16]"),
    ("lora_config-string", "lora_config", json.dumps(LONG)),
    ("lora_config-true", "lora_config", "true"),
    ("lora_config-no-rank", "lora_config", "{}"),
    ("rank-2**64", "lora_config", f'{{"rank": {2**64}}}'),
    ("rank-10**400", "lora_config", f'{{"rank": {10**400}}}'),
    ("rank-10**5000", "lora_config", f'{{"rank": {HUGE_INT}}}'),
    ("rank--10**5000", "lora_config", f'{{"rank": -{HUGE_INT}}}'),
    ("rank--2**70", "lora_config", f'{{"rank": {-2**70}}}'),
    ("rank-1e400", "lora_config", '{"rank": 1e400}'),
    ("rank--1e400", "lora_config", '{"rank": -1e400}'),
    ("rank-9.3e18", "lora_config", '{"rank": 9.3e18}'),
    ("rank-fraction", "lora_config", '{"rank": 1.5}'),
    ("rank-zero", "lora_config", '{"rank": 0}'),
    ("rank-true", "lora_config", '{"rank": true}'),
    ("rank-string", "lora_config", '{"rank": "8"}'),
    ("rank-arabic-indic-digit", "lora_config", '{"rank": "\\u0668"}'),
    ("rank-nested-50", "lora_config", nested(50)),
    ("alpha-2**64", "lora_config", f'{{"rank": 8, "alpha": {2**64}}}'),
    ("alpha-10**400", "lora_config", f'{{"rank": 8, "alpha": {10**400}}}'),
    ("alpha-10**5000", "lora_config", f'{{"rank": 8, "alpha": {HUGE_INT}}}'),
    ("alpha--2**70", "lora_config", f'{{"rank": 8, "alpha": {-2**70}}}'),
    ("alpha-1e400", "lora_config", '{"rank": 8, "alpha": 1e400}'),
    ("alpha-fraction", "lora_config", '{"rank": 8, "alpha": 0.5}'),
    ("alpha-false", "lora_config", '{"rank": 8, "alpha": false}'),
    ("alpha-nested-50", "lora_config", '{"rank": 8, "alpha": ' + nested(50, key="alpha") + "}"),
]
UNDECODABLE_FIELDS = [  # (id, field, raw JSON value): the body itself is refused, at ['body']
    ("rank-nan-literal", "lora_config", '{"rank": NaN}'),
    ("alpha-infinity-literal", "lora_config", '{"rank": 8, "alpha": -Infinity}'),
    ("lora_config-nested-100000", "lora_config", nested(100_000)),
    ("description-nan-literal", "description", "NaN"),
]


def _create_cases():
    """Each garbage field for each create route, with the loc its errors must have."""
    for route in CREATE_ROUTES:
        for case_id, field, raw in CREATE_GARBAGE + UNDECODABLE_FIELDS:
            if route == "create-nested" and field == "model":
                continue  # the nested route takes the model from the path; a body's is ignored
            loc = ("body",) if (case_id, field, raw) in UNDECODABLE_FIELDS else ("body", field)
            yield pytest.param(route, field, raw, loc, id=f"{route}-{case_id}")


@pytest.mark.parametrize(("route", "field", "raw", "loc"), list(_create_cases()))
def test_create_refuses_garbage_in_any_field(app, client, route, field, raw, loc):
    """One field of an otherwise valid create body is garbage: 422 at that field."""
    method, url = api_url(route)
    body = json_text(good_json(route), **{field: raw})
    response = refused(app, client, method, url, (422,), data=body,
                       content_type="application/json")
    assert {entry[:len(loc)] for entry in locs(response)} == {loc}


@pytest.mark.parametrize("route", CREATE_ROUTES)
def test_create_with_100000_characters_in_every_field_is_422(app, client, route):
    """Every field 100 000 characters long at once: one 422 entry per field."""
    method, url = api_url(route)
    fields = [*good_json(route), "description"]
    body = json_text({field: LONG for field in fields},
                     enabled=json.dumps(LONG), lora_config=json.dumps({"rank": LONG}))
    response = refused(app, client, method, url, (422,), data=body,
                       content_type="application/json")
    expected = {("body", field) for field in fields} | {
        ("body", "enabled"), ("body", "lora_config", "rank")}
    assert set(locs(response)) == expected


PATCH_GARBAGE = [
    *DESCRIPTION_GARBAGE,
    ("enabled-string-true", "enabled", '"true"'),
    ("enabled-string-false", "enabled", '"false"'),
    ("enabled-one", "enabled", "1"),
    ("enabled-zero", "enabled", "0"),
    ("enabled-100000-chars", "enabled", json.dumps(LONG)),
    ("enabled-list", "enabled", "[true]"),
    *_string_garbage("fileset"),
    ("fileset-empty", "fileset", '""'),
    ("fileset-three-segments", "fileset", '"a/b/c"'),
]


@pytest.mark.parametrize("route", PATCH_ROUTES)
@pytest.mark.parametrize(("field", "raw"), [pytest.param(field, raw, id=case_id)
                                            for case_id, field, raw in PATCH_GARBAGE])
def test_patch_refuses_garbage_in_any_field(app, client, route, field, raw):
    """A PATCH of the seeded adapter with one garbage field: 422 at that field."""
    method, url = api_url(route)
    response = refused(app, client, method, url, (422,), data=json_text({}, **{field: raw}),
                       content_type="application/json")
    assert locs(response) == [("body", field)]


# --- garbage in the URL path ----------------------------------------------------------------

PATH_GARBAGE = [  # (id, the path segment as sent)
    ("sql", quote(SQL, safe="")),
    ("sql-unescaped", SQL),
    ("dot", "."),
    ("dotdot", ".."),
    ("dotdot-escaped", "%2e%2e"),
    ("dotdot-slash-escaped", "..%2f"),
    ("dotdot-slash-dotdot", "..%2f.."),
    ("dotdot-backslash", "..%5c.."),
    ("double-escaped", "%252e%252e"),
    ("backslash", "%5C"),
    ("backslash-unescaped", "\\"),
    ("nul", "%00"),
    ("nul-after-name", "lora-a%00"),
    ("invalid-utf8", "%ff%fe"),
    ("lone-surrogate", "%ed%a0%80"),
    ("space", "%20"),
    ("percent", "%25"),
    ("arabic-indic-digits", quote("١٢")),
    ("100000-chars", LONG),
]
# '..' is a valid model name by the contract (2-63 of a-z 0-9 - @ . + _), so a nested create
# under /models/../ or /models/%2e%2e/ is not bad input.
VALID_MODEL_SEGMENTS = {"dotdot", "dotdot-escaped"}


def _path_cases(routes: dict) -> list:
    """Each garbage segment in each path parameter of each route."""
    cases = []
    for route, value in routes.items():
        template = value[1] if isinstance(value, tuple) else value
        method = value[0] if isinstance(value, tuple) else "POST"
        for part in ("ws", "model", "name"):
            if f"{{{part}}}" not in template:
                continue
            for case_id, segment in PATH_GARBAGE:
                if method == "POST" and part == "model" and case_id in VALID_MODEL_SEGMENTS:
                    continue
                cases.append(pytest.param(route, part, segment, id=f"{route}-{part}-{case_id}"))
    return cases


@pytest.mark.parametrize(("route", "part", "segment"), _path_cases(JSON_ROUTES))
def test_garbage_in_a_json_route_path(app, client, route, part, segment):
    """SQL, '..', escapes, NUL, invalid UTF-8 in a workspace, model or name: a 404 or 422."""
    method, url = api_url(route, **{part: segment})
    body = good_json(route)
    refused(app, client, method, url, (404, 422), json=body)


@pytest.mark.parametrize(("route", "part", "segment"), _path_cases(HTML_POSTS))
def test_garbage_in_a_form_post_path(app, client, token, route, part, segment):
    """The same garbage in a page's workspace or adapter name: a 404 page."""
    refused(app, client, "POST", page_url(route, **{part: segment}), (404,),
            data=good_form(route, token))


# --- garbage list parameters ------------------------------------------------------------------

def _query_garbage(key: str) -> list:
    """Garbage values of an integer query parameter."""
    return [pytest.param(f"{key}={value}", key, id=f"{key}-{case_id}") for case_id, value in [
        ("10**5000", HUGE_INT),
        ("100000-digits", "9" * 100_000),
        ("negative", "-1"),
        ("zero", "0"),
        ("arabic-indic-digit", quote("١")),
        ("superscript-digit", quote("²")),
        ("exponent", "1e3"),
        ("empty", ""),
        ("blank", "%20"),
        ("fraction", "1.0"),
        ("hex", "0x10"),
        ("plus-sign", "%2B1"),
        ("nul", "%00"),
        ("invalid-utf8", "%ff"),
        ("sql", quote(SQL)),
        ("dotdot", "..%2f.."),
    ]]


BAD_LIST_PARAMETERS = [
    *_query_garbage("page"),
    pytest.param(f"page={listing.PAGE_MAX + 1}", "page", id="page-past-max"),
    *_query_garbage("page_size"),
    pytest.param("page_size=1001", "page_size", id="page_size-1001"),
    *[pytest.param(f"sort={value}", "sort", id=f"sort-{case_id}") for case_id, value in [
        ("empty", ""), ("uppercase", "NAME"), ("dash-only", "-"), ("double-dash", "--name"),
        ("plus", "%2Bname"), ("nul", "name%00"), ("sql", quote(SQL)), ("100000-chars", LONG),
        ("two-keys", "name,created_at"), ("arabic-indic-digit", quote("١")),
        ("dotdot", "..%2f.."), ("invalid-utf8", "%ff"), ("column-not-sortable", "lora_rank"),
        ("dunder", "__class__"), ("id", "id"),
    ]],
]


@pytest.mark.parametrize(("query", "key"), BAD_LIST_PARAMETERS)
def test_garbage_page_page_size_and_sort_are_422(app, client, query, key):
    """Huge, negative, non-ASCII, empty or unknown page / page_size / sort: 422 at the query."""
    response = refused(app, client, "GET", f"{api_url('list')[1]}?{query}", (422,))
    assert locs(response) == [("query", key)]


def _json_filter(value: str) -> str:
    """``filter=`` in the JSON form."""
    return "filter=" + quote(value, safe="")


BAD_FILTERS = [
    *[pytest.param(_json_filter(value), id=f"json-{case_id}") for case_id, value in [
        ("empty", ""),
        ("list", "[]"),
        ("list-of-object", '[{"name": "lora-a"}]'),
        ("number", "1"),
        ("null", "null"),
        ("true", "true"),
        ("string", '"lora-a"'),
        ("truncated", '{"name": '),
        ("single-quotes", "{'name': 'x'}"),
        ("nan-literal", '{"name": NaN}'),
        ("5000-digit-int", f'{{"name": {HUGE_INT}}}'),
        ("nested-100000-arrays", '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("nested-1000-arrays", '{"name": {"$eq": ' + "[" * 1000 + "]" * 1000 + "}}"),
        ("nested-50-operators", '{"name": ' + nested(50, '"x"', "$eq") + "}"),
        ("nested-50-objects", '{"name": {"$eq": ' + nested(50, '"x"', "a") + "}}"),
        ("unknown-field", '{"nope": 1}'),
        ("unknown-field-sql", json.dumps({SQL: 1})),
        ("unknown-field-lone-surrogate", '{"\\ud800": 1}'),
        ("where", '{"$where": "1 == 1"}'),
        ("unknown-operator", '{"name": {"$regex": ".*"}}'),
        ("operator-sql", json.dumps({"name": {SQL: "x"}})),
        ("in-100000-values", json.dumps({"name": {"$in": [str(n) for n in range(100_000)]}})),
        ("in-number", '{"name": {"$in": 5}}'),
        ("in-object", '{"name": {"$in": {"a": 1}}}'),
        ("in-nested-list", '{"name": {"$in": [["a"]]}}'),
        ("nin-null", '{"name": {"$nin": [null]}}'),
        ("value-null", '{"name": null}'),
        ("value-empty-object", '{"name": {}}'),
        ("value-list", '{"name": ["lora-a"]}'),
        ("value-nul", '{"name": "lora\\u0000"}'),
        ("value-lone-surrogate", '{"name": "\\ud800"}'),
        ("enabled-yes", '{"enabled": "yes"}'),
        ("enabled-one", '{"enabled": 1}'),
        ("enabled-like", '{"enabled": {"$like": "t"}}'),
        ("name-greater-than", '{"name": {"$gt": "a"}}'),
        ("time-max-west", '{"created_at": {"$gt": "9999-12-31T23:59:59-12:00"}}'),
        ("time-min-east", '{"created_at": {"$lt": "0001-01-01T00:00:00+14:00"}}'),
        ("time-words", '{"updated_at": "yesterday"}'),
        ("time-1e400", '{"created_at": {"$gt": 1e400}}'),
        ("time-10**400", f'{{"created_at": {{"$gte": {10**400}}}}}'),
        ("time-nul", '{"created_at": "2026-01-01\\u0000"}'),
        ("time-like", '{"created_at": {"$like": "2026"}}'),
    ]],
    *[pytest.param(query, id=f"bracket-{case_id}") for case_id, query in [
        ("unknown-field", "filter[nope]=1"),
        ("empty-field", "filter[]=1"),
        ("unknown-operator", "filter[name][$regex]=.*"),
        ("operator-without-dollar", "filter[name][eq]=x"),
        ("too-deep", "filter[name][$eq][x]=1"),
        ("unclosed", "filter[name=1"),
        ("prefix-only", "filterx=1"),
        ("field-nul", "filter[%00]=1"),
        ("operator-nul", "filter[name][%00]=1"),
        ("field-sql", f"filter[{quote(SQL)}]=1"),
        ("field-dotdot", "filter[..%2f..]=1"),
        ("field-100000-chars", f"filter[{LONG}]=1"),
        ("value-nul", "filter[name]=%00"),
        ("value-nul-after", "filter[name]=lora-a%00"),
        ("in-nul", "filter[name][$in]=a,%00"),
        ("in-100000-values", "filter[name][$in]=" + ",".join(map(str, range(100_000)))),
        ("given-twice", "filter[name]=a&filter[name][$eq]=b"),
        ("time-max-west", "filter[created_at][$gte]=9999-12-31T23:59:59-12:00"),
        ("time-min-east", "filter[created_at][$lte]=0001-01-01T00:00:00%2B14:00"),
        ("time-exponent", "filter[created_at]=1e3"),
        ("time-huge-digits", f"filter[created_at][$gt]={HUGE_INT}"),
        ("time-arabic-indic", "filter[updated_at]=" + quote("٢٠٢٦-٠١-٠١")),
        ("enabled-one", "filter[enabled]=1"),
        ("enabled-empty", "filter[enabled]="),
        ("enabled-uppercase", "filter[enabled]=TRUE"),
        ("like-on-time", "filter[created_at][$like]=2026"),
    ]],
]


@pytest.mark.parametrize("query", BAD_FILTERS)
def test_garbage_filters_are_400(app, client, query):
    """Non-object, malformed, too deep, unknown field or operator, too many values, bad times."""
    response = refused(app, client, "GET", f"{api_url('list')[1]}?{query}", (400,))
    assert isinstance(response.get_json()["detail"], str)


ODD_BUT_VALID_FILTERS = [  # (id, query, names expected in the page)
    ("sql-equals", f"filter[name]={quote(SQL)}", []),
    ("sql-like", f"filter[name][$like]={quote(SQL)}", []),
    ("sql-in", f"filter[name][$in]={quote(SQL)},lora-a", ["lora-a"]),
    ("sql-nin", f"filter[name][$nin]={quote(SQL)}", ["lora-a", "ptune-b"]),
    ("sql-json", _json_filter(json.dumps({"description": {"$like": SQL}})), []),
    ("dotdot-slashes", "filter[name]=..%2F..", []),
    ("dotdot-escaped-text", "filter[name]=%252e%252e", []),
    ("backslashes", "filter[fileset]=%5C%5C", []),
    ("percent-like-is-literal", "filter[name][$like]=%25", []),
    ("underscore-like-is-literal", "filter[name][$like]=_", []),
    ("invalid-utf8", "filter[name]=%ff", []),
    ("100000-chars", f"filter[description]={LONG}", []),
    ("in-1000-values", "filter[fileset][$in]=" + ",".join(map(str, range(1000))), []),
    ("latest-time", "filter[created_at][$lt]=9999-12-31T23:59:59%2B14:00", ["lora-a", "ptune-b"]),
    ("earliest-time", "filter[created_at][$gt]=0001-01-01T00:00:00-12:00", ["lora-a", "ptune-b"]),
]


@pytest.mark.parametrize(("query", "names"), [pytest.param(query, names, id=case_id)
                                              for case_id, query, names in ODD_BUT_VALID_FILTERS])
def test_sql_and_path_looking_filter_values_are_plain_text(app, client, query, names):
    """A valid filter with odd text is compared as text: 200, the right rows, nothing changed."""
    before = snapshot(app)
    response = client.get(f"{api_url('list')[1]}?{query}&sort=name")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert [adapter["name"] for adapter in response.get_json()["data"]] == names
    assert snapshot(app) == before


# --- the create form and its per-field check ------------------------------------------------------

TEXT_INPUT_GARBAGE = [  # (id, the value as it travels in an urlencoded body)
    ("100000-chars", LONG),
    ("nul-escaped", "lora%00a"),
    ("nul-raw", "lora\x00a"),
    ("invalid-utf8", "%ff%fe"),
    ("lone-surrogate", "%ed%a0%80"),
    ("sql", quote_plus(SQL)),
    ("dotdot-slash-escaped", quote_plus("..%2f")),
    ("backslash", quote_plus("a\\b")),
    ("percent-00-typed", quote_plus("%00")),
]
NUMBER_INPUT_GARBAGE = [
    ("10**5000", HUGE_INT),
    ("100000-digits", "9" * 100_000),
    ("2**64", str(2**64)),
    ("10**400", str(10**400)),
    ("minus-2**70", str(-2**70)),
    ("zero", "0"),
    ("arabic-indic-digit", quote_plus("٨")),
    ("exponent", "1e3"),
    ("1e400", "1e400"),
    ("nan", "NaN"),
    ("infinity", "inf"),
    ("fraction", "1.5"),
    ("hex", "0x10"),
    ("nul", "%00"),
    ("100000-chars", LONG),
]
FORM_GARBAGE = [  # (id, input, wire value); every case breaks one rule of the create form
    *[(f"{name}-{case_id}", name, wire) for name in ("name", "model", "fileset", "finetuning_type")
      for case_id, wire in TEXT_INPUT_GARBAGE],
    ("name-dotdot", "name", ".."),
    ("name-dotdot-slashes", "name", "..%2F.."),
    ("name-dotdot-escaped-text", "name", "%252e%252e"),
    ("finetuning_type-uppercase", "finetuning_type", "LORA"),
    ("description-100000-chars", "description", LONG),
    ("description-1001-chars", "description", "x" * 1001),
    ("description-nul-escaped", "description", "%00"),
    ("description-nul-raw", "description", "\x00"),
    *[(f"rank-{case_id}", "lora_config-rank", wire) for case_id, wire in NUMBER_INPUT_GARBAGE],
    *[(f"alpha-{case_id}", "lora_config-alpha", wire) for case_id, wire in NUMBER_INPUT_GARBAGE],
]


def wire_form(token: str, **wire: str) -> bytes:
    """A create form as an urlencoded body, some values given as they travel (escaped or raw)."""
    values = {key: quote_plus(value) for key, value in form_data(
        token, name="fresh", **{"lora_config-rank": "8"}).items()}
    values.update(wire)
    return "&".join(f"{key}={value}" for key, value in values.items()).encode("latin-1")


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("field", "wire"), [pytest.param(field, wire, id=case_id)
                                             for case_id, field, wire in FORM_GARBAGE])
def test_create_form_refuses_garbage_in_any_input(app, client, token, field, wire):
    """One input of the create form is garbage: the form again, 422, with the summary."""
    response = refused(app, client, "POST", page_url("new"), (422,),
                       data=wire_form(token, **{field: wire}), content_type=FORM)
    summary = one(response, ".error-summary")
    assert summary["role"] == "alert"
    assert f"#{field}" in [link["href"] for link in every(summary, "a")]


@pytest.mark.parametrize(("field", "wire"), [pytest.param(field, wire, id=case_id)
                                             for case_id, field, wire in FORM_GARBAGE])
def test_field_check_answers_garbage_with_its_message(app, client, token, field, wire):
    """The per-field check of a garbage input: its message slot, shown, and nothing changed."""
    before = snapshot(app)
    response = client.post(f"{page_url('new')}/validate?field={field}",
                           data=wire_form(token, **{field: wire}), content_type=FORM)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    (slot,) = top_level(response)
    assert slot["id"] == f"{field}-error" and not slot.has_attr("hidden")
    assert slot.get_text().startswith("Error: ")
    assert snapshot(app) == before


@pytest.mark.parametrize("route", HTML_POSTS)
def test_a_form_with_a_raw_byte_that_is_not_utf8_is_400(app, client, token, route):
    """One raw byte that is not UTF-8 leaves the form unreadable, its token too: a 400 page."""
    fields = good_form(route, token)
    body = "&".join(f"{key}={quote_plus(value)}" for key, value in fields.items()).encode()
    refused(app, client, "POST", page_url(route), (400,), data=body + b"&name=lora\xff",
            content_type=FORM)


@pytest.mark.parametrize("field", [
    "", "%00", quote(SQL), LONG, "csrf_token", "lora_config", "lora_config-", "lora_config-nope",
    "lora_config-csrf_token", "__class__", "_fields", "data", "meta", "..%2f..", "%ff",
    "name%00", "NAME", None,
])
def test_field_check_of_an_unknown_input_is_400(app, client, token, field):
    """The per-field check names an input that is not in the form: a 400 page."""
    query = "" if field is None else f"?field={field}"
    refused(app, client, "POST", f"{page_url('new')}/validate{query}", (400,),
            data=wire_form(token), content_type=FORM)


# --- the adapter page's actions ---------------------------------------------------------------

ACTION_GARBAGE = [  # (id, route, wire body after the token, expected status)
    *[(f"enabled-{case_id}", "enabled", f"enabled={wire}", 400) for case_id, wire in [
        ("empty", ""), ("nul", "%00"), ("nul-raw", "\x00"), ("uppercase", "TRUE"), ("one", "1"),
        ("yes", "yes"), ("100000-chars", LONG), ("invalid-utf8", "%ff"), ("sql", quote_plus(SQL)),
    ]],
    ("enabled-missing", "enabled", "", 400),
    ("description-100000-chars", "description", f"description={LONG}", 422),
    ("description-1001-chars", "description", "description=" + "x" * 1001, 422),
    ("description-nul", "description", "description=seeded%00", 422),
    ("description-nul-raw", "description", "description=\x00", 422),
    ("description-missing", "description", "", 400),
]


@pytest.mark.parametrize(("route", "wire", "status"), [
    pytest.param(route, wire, status, id=case_id)
    for case_id, route, wire, status in ACTION_GARBAGE])
def test_page_actions_refuse_garbage_values(app, client, token, route, wire, status):
    """Enabled takes only true or false, a description keeps its rule, neither may be missing."""
    body = f"csrf_token={token}&{wire}".encode("latin-1")
    refused(app, client, "POST", page_url(route), (status,), data=body, content_type=FORM)


NOT_A_FORM = [  # (id, body, Content-Type)
    ("json-array", b"[]", "application/json"),
    ("json-array-of-pairs", b'[["name", "x"]]', "application/json"),
    ("json-string", b'"name=x"', "application/json"),
    ("json-number", b"42", "application/json"),
    ("json-null", b"null", "application/json"),
    ("json-true", b"true", "application/json"),
    ("json-object", json.dumps({"enabled": "false", "description": "x", "name": "x",
                                "lora_config-rank": 5}).encode(), "application/json"),
    ("json-malformed", b'{"name": ', "application/json"),
    ("json-nested-100000", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("invalid-utf8", b"\xff\xfe\xfd", FORM),
    ("raw-nul", b"\x00\x00", FORM),
    ("broken-escapes", b"%%%&&==&%zz&name=%", FORM),
    ("text", b"enabled=false", "text/plain"),
    ("multipart-without-boundary", b"--x\r\n\r\n", "multipart/form-data"),
    ("multipart-truncated", b"--x\r\nContent-Disposition: form-data; name=",
     "multipart/form-data; boundary=x"),
]


@pytest.mark.parametrize("route", HTML_POSTS)
@pytest.mark.parametrize(("body", "content_type"), [
    pytest.param(body, content_type, id=case_id) for case_id, body, content_type in NOT_A_FORM])
def test_form_posts_refuse_bodies_that_are_not_a_form(app, client, route, body, content_type):
    """JSON, malformed or binary bodies carry no form token: a 400 page."""
    refused(app, client, "POST", page_url(route), (400,), data=body, content_type=content_type)


FORM_ROUTES_THAT_READ_INPUTS = {"new": 422, "enabled": 400, "description": 400}


@pytest.mark.parametrize("route", FORM_ROUTES_THAT_READ_INPUTS)
@pytest.mark.parametrize(("body", "content_type"), [
    pytest.param(body, content_type, id=case_id) for case_id, body, content_type in NOT_A_FORM])
def test_a_header_token_does_not_make_a_json_body_a_form(app, client, token, route, body,
                                                         content_type):
    """With the token in the htmx header, a body that is no form still has no inputs: refused."""
    refused(app, client, "POST", page_url(route), (FORM_ROUTES_THAT_READ_INPUTS[route],),
            data=body, content_type=content_type, headers={"X-CSRFToken": token})


@pytest.mark.parametrize("field", ["name", "lora_config-rank", "enabled", "description"])
def test_uploaded_files_are_not_form_inputs(app, client, token, field):
    """A multipart file named like an input is not that input: the form is refused, 422."""
    data = {**form_data(token, name="fresh", finetuning_type="lora"), "name": "bad name"}
    data[field] = (io.BytesIO(b"8"), "value.txt")
    refused(app, client, "POST", page_url("new"), (422,), data=data)
