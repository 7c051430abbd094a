"""Web security: CSRF, cookies, headers, no traces, cross-site posts, where the app listens."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import API, valid_body
from htmlquery import every
from test_pages import csrf_token

from webui import HTMX_CDN_URL
from webui.extensions import db
from webui.models import Adapter

PROJECT = Path(__file__).resolve().parent.parent


def snapshot(app) -> list[tuple]:
    with app.app_context():
        return sorted((a.workspace, a.name, a.description, a.enabled, a.updated_at)
                      for a in db.session.query(Adapter))


HTML_POSTS = [
    ("/workspaces/default/new-adapter", {"name": "x1", "model": "mm", "fileset": "f",
                                          "finetuning_type": "lora"}),
    ("/workspaces/default/new-adapter/validate?field=name", {"name": "x1"}),
    ("/workspaces/default/adapters/lora-a/enabled", {"enabled": "false"}),
    ("/workspaces/default/adapters/lora-a/description", {"description": "changed"}),
    ("/workspaces/default/adapters/lora-a/delete", {}),
]


@pytest.mark.parametrize(("path", "data"), HTML_POSTS, ids=[p for p, _ in HTML_POSTS])
@pytest.mark.parametrize("token", [None, "forged", "stale"], ids=["missing", "wrong", "stale"])
def test_every_html_post_needs_a_valid_csrf_token(client, app, create, path, data, token):
    """A missing, wrong or other-session token: 400, and nothing changes."""
    create()
    before = snapshot(app)
    if token == "stale":
        other = app.test_client()
        token = csrf_token(other)  # valid, but for another session
    sent = dict(data) if token is None else {**data, "csrf_token": token}
    response = client.post(path, data=sent)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_the_same_posts_succeed_with_the_token(client, app, create):
    """The control: with the page's own token, each of those posts is accepted."""
    create()
    token = csrf_token(client)
    statuses = [client.post(path, data={**data, "csrf_token": token}).status_code
                for path, data in HTML_POSTS]
    assert statuses == [303, 200, 303, 303, 303]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"name": "x", "model": "mm", "fileset": "f", "finetuning_type": "lora"}'),
        ("application/x-www-form-urlencoded", "name=x&model=mm&fileset=f&finetuning_type=lora"),
        ("multipart/form-data; boundary=b", '--b\r\nContent-Disposition: form-data; name="name"'
         '\r\n\r\nx\r\n--b--\r\n'),
    ],
    ids=["text-plain", "urlencoded", "multipart"],
)
def test_a_cross_site_form_cannot_post_to_the_api(client, app, create, content_type, data):
    """What an HTML form on another site can send is refused with 415, and nothing changes."""
    create()
    before = snapshot(app)
    headers = {"Origin": "https://evil.example", "Content-Type": content_type}
    for method, path in [("POST", f"{API}/default/adapters"),
                         ("PATCH", f"{API}/default/adapters/lora-a"),
                         ("POST", f"{API}/default/models/mm/adapters")]:
        response = client.open(path, method=method, data=data, headers=headers)
        assert response.status_code == 415
    assert snapshot(app) == before


def session_cookie(response) -> str:
    return next(value for value in response.headers.getlist("Set-Cookie")
                if value.startswith("session="))


def test_session_cookie_is_httponly_and_lax_and_not_secure_over_http(client):
    """Over plain HTTP: HttpOnly and SameSite=Lax (Secure would lose it)."""
    cookie = session_cookie(client.get("/workspaces/default/new-adapter"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app):
    """Served over HTTPS, the session cookie is also Secure."""
    https = app.test_client()
    response = https.get("/workspaces/default/new-adapter", base_url="https://localhost")
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def csp_directives(response) -> dict[str, str]:
    """The answer's Content-Security-Policy, directive by directive."""
    csp = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in csp.split(";"))


EVERY_KIND = [
    ("GET", "/"),
    ("GET", "/workspaces/default/adapters"),
    ("GET", "/workspaces/default/new-adapter"),
    ("GET", "/workspaces/default/adapters/lora-a"),
    ("GET", "/workspaces/default/adapters/lora-a/delete"),
    ("GET", "/workspaces/default/adapters/missing"),
    ("GET", "/static/app.css"),
    ("GET", "/static/app.js"),
    ("GET", "/apis/openapi.json"),
    ("GET", f"{API}/default/adapters"),
    ("GET", f"{API}/default/adapters/missing"),
    ("PUT", f"{API}/default/adapters"),
    ("POST", f"{API}/default/adapters"),
    ("GET", "/no/such/page"),
]


@pytest.mark.parametrize(("method", "path"), EVERY_KIND, ids=[p for _, p in EVERY_KIND])
def test_protective_headers_on_every_answer(client, create, method, path):
    """CSP (scripts from the app and the one pinned htmx file only), nosniff, no framing,
    referrer."""
    create()
    response = client.open(path, method=method)
    directives = csp_directives(response)
    assert directives["script-src"] == f"'self' {HTMX_CDN_URL}"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    response.close()


@pytest.mark.parametrize("path", [p for m, p in EVERY_KIND if m == "GET" and "static" not in p
                                  and not p.startswith("/apis")])
def test_pages_have_no_inline_script_or_handlers(client, create, path):
    """Every script is a file (the CSP would block inline ones anyway), and no on* handlers."""
    create()
    response = client.get(path)
    assert [script for script in every(response, "script") if not script.has_attr("src")] == []
    handlers = [f"{element.name}[{name}]" for element in every(response, "*")
                for name in element.attrs if name.startswith("on")]
    assert handlers == []
    assert "javascript:" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/workspaces/default/adapters",
                                  f"{API}/default/adapters/x"])
def test_no_stack_trace_or_debug_page_is_served(app, client, monkeypatch, path):
    """A bug answers a plain 500: no traceback, no debugger, nothing internal."""
    from webui import queries, workspaces

    def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail /secret/path")

    monkeypatch.setattr(workspaces, "list_workspaces", broken)
    for name in ("list_adapters", "get_adapter"):
        monkeypatch.setattr(queries, name, broken)
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    for leak in ("Traceback", "secret", "RuntimeError", "Werkzeug Debugger", 'File "'):
        assert leak not in body
    assert app.debug is False


def test_debug_is_off_unless_asked(tmp_path, monkeypatch):
    """The factory never turns the debugger on by itself."""
    from webui import create_app

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert app.debug is False


@pytest.mark.parametrize(("target", "bind"), [("run", "--host 127.0.0.1"),
                                              ("serve", "-b 127.0.0.1:")])
def test_the_documented_commands_bind_to_loopback(target, bind):
    """`make run` and `make serve` listen on 127.0.0.1 unless HOST says otherwise."""
    commands = subprocess.run(["make", "-n", "-W", "pyproject.toml", target], cwd=PROJECT,
                              capture_output=True, text=True, check=True).stdout
    assert bind in commands
    other = subprocess.run(["make", "-n", target, "HOST=0.0.0.0"], cwd=PROJECT,
                           capture_output=True, text=True, check=True).stdout
    assert "0.0.0.0" in other


def test_stored_text_is_escaped_on_every_page(client, create):
    """A description full of markup comes back escaped on the page that shows it."""
    create(description='<script>alert(1)</script><img src=x onerror=alert(2)>')
    for path in ("/workspaces/default/adapters/lora-a",):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    api = client.post(f"{API}/default/adapters", json=valid_body(name="b")).get_json()
    assert api["name"] == "b"


def test_the_self_hosted_htmx_copy_matches_the_pinned_hash():
    """`make vendor-htmx` installs the very file the SRI hash pins, for offline deployments."""
    import base64
    import hashlib

    from webui import HTMX_INTEGRITY

    subprocess.run(["make", "-s", "vendor-htmx"], cwd=PROJECT, check=True, capture_output=True)
    copy = (PROJECT / "static" / "vendor" / "htmx.min.js").read_bytes()
    digest = base64.b64encode(hashlib.sha384(copy).digest()).decode()
    assert HTMX_INTEGRITY == f"sha384-{digest}"


HTMX_SOURCES = [  # (id, HTMX_URL, the script-src it gives)
    ("cdn-default", HTMX_CDN_URL, f"'self' {HTMX_CDN_URL}"),
    ("self-hosted", "/static/vendor/htmx.min.js", "'self'"),
    ("other-host", "https://assets.example.org/js/htmx.min.js",
     "'self' https://assets.example.org/js/htmx.min.js"),
    ("scheme-relative", "//assets.example.org/htmx.min.js",
     "'self' assets.example.org/htmx.min.js"),
    ("query-dropped", "https://assets.example.org/htmx.min.js?v=2",
     "'self' https://assets.example.org/htmx.min.js"),
    ("csp-separators-escaped", "https://assets.example.org/htmx;b,c.js",
     "'self' https://assets.example.org/htmx%3Bb%2Cc.js"),
]


@pytest.mark.parametrize(("htmx_url", "script_src"),
                         [pytest.param(url, src, id=case_id) for case_id, url, src in HTMX_SOURCES])
@pytest.mark.parametrize("path", ["/", "/workspaces/default/adapters", f"{API}/default/adapters",
                                  "/no/such/page"])
def test_script_src_allows_the_one_htmx_file(app, client, create, monkeypatch, path, htmx_url,
                                             script_src):
    """script-src names the exact htmx file HTMX_URL gives, never a whole CDN origin; a file
    on the app's own host needs only 'self'."""
    create()
    monkeypatch.setitem(app.config, "HTMX_URL", htmx_url)
    before = snapshot(app)
    response = client.get(path)
    assert response.status_code == (404 if path == "/no/such/page" else 200)
    assert csp_directives(response)["script-src"] == script_src
    if response.mimetype == "text/html":
        assert [tag["src"] for tag in every(response, "script[src]")
                if "htmx" in tag["src"]] == [htmx_url]
    assert snapshot(app) == before
