"""People and their credentials: the users and tokens commands, signing in and out, throttled
guessing, sessions that end on the server, tokens that are never kept, and the Host check."""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

import pytest
from conftest import API, valid_body
from htmlquery import one, text
from test_auth import PASSWORD, csrf_from, sign_in

from webui import accounts, create_app, workspaces
from webui.extensions import db


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WEBUI_AUTH": "on"}


@pytest.fixture
def runner(app):
    """Runs ``flask --app webui`` commands against the test app."""
    return app.test_cli_runner()


def make_user(app, name: str = "alice", admin: bool = False):
    with app.app_context():
        return accounts.create_user(name, PASSWORD, platform_admin=admin).username


# --- the commands -------------------------------------------------------------------------------

def test_users_create_reads_the_password_from_stdin_and_lower_cases_the_name(app, runner):
    """`users create NAME --password-stdin`: the name lower-cased, the password only hashed."""
    result = runner.invoke(args=["users", "create", "Alice", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = accounts.get_user("alice")
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_users_create_asks_twice_without_stdin(app, runner):
    """Without --password-stdin the password is asked for twice."""
    result = runner.invoke(args=["users", "create", "bob"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation:" in result.output
    mismatch = runner.invoke(args=["users", "create", "carol"],
                             input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert "do not match" in mismatch.output and mismatch.exit_code == 0


@pytest.mark.parametrize("name, password, message", [
    ("local", PASSWORD, "reserved"),
    ("*", PASSWORD, "reserved"),
    ("bad name", PASSWORD, "may contain only"),
    ("x" * 65, PASSWORD, "at most 64"),
    ("carol", "short", "at least 10"),
])
def test_users_create_refuses_bad_input_with_one_line(app, runner, name, password, message):
    """A bad name or a short password: one line on stderr, exit 1, nothing stored."""
    result = runner.invoke(args=["users", "create", name, "--password-stdin"],
                           input=password + "\n")
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    with app.app_context():
        assert accounts.list_users() == []


def test_users_create_refuses_a_taken_name(app, runner):
    make_user(app, "alice")
    result = runner.invoke(args=["users", "create", "ALICE", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_users_list_disable_enable_and_set_password(app, runner):
    """The user commands change what they say, and report it."""
    make_user(app, "alice")
    make_user(app, "root", admin=True)
    assert runner.invoke(args=["users", "list"]).output.splitlines() == [
        "alice", "root platform-admin"]
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert "alice disabled" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "enable", "alice"]).exit_code == 0
    result = runner.invoke(args=["users", "set-password", "alice", "--password-stdin"],
                           input="another long password\n")
    assert result.exit_code == 0
    with app.app_context():
        user = accounts.get_user("alice")
        assert accounts.password_matches(user.password_hash, "another long password")
    missing = runner.invoke(args=["users", "disable", "nobody"])
    assert missing.exit_code == 1 and "No user" in missing.stderr


def test_tokens_create_prints_the_token_alone_on_the_last_line(app, runner, client):
    """`tokens create`: the token alone on stdout's last line; it works; `list` never shows it."""
    make_user(app, "alice", admin=True)
    result = runner.invoke(args=["tokens", "create", "alice", "--label", "ci",
                                 "--expires-in-days", "30"])
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("wui_") and len(token) == 4 + 43
    assert client.get(f"{API}/default/adapters",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = runner.invoke(args=["tokens", "list", "alice"]).output
    assert "ci" in listed and token[:12] in listed and token not in listed
    assert runner.invoke(args=["tokens", "revoke", "alice", "ci"]).exit_code == 0
    assert client.get(f"{API}/default/adapters",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(args=["tokens", "revoke", "alice", "ci"]).exit_code == 1


def test_a_read_only_token_of_a_platform_admin_reads_everywhere_and_writes_nowhere(
        app, runner, client):
    make_user(app, "root", admin=True)
    token = runner.invoke(args=["tokens", "create", "root", "--label", "ro", "--read-only"]
                          ).stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/anywhere/adapters", headers=headers).status_code == 200
    assert client.post(f"{API}/anywhere/adapters", json=valid_body(),
                       headers=headers).status_code == 403
    assert client.post("/apis/entities/v2/workspaces", json={"name": "new-one"},
                       headers=headers).status_code == 403


# --- tokens are never kept --------------------------------------------------------------------

def test_a_tokens_text_is_nowhere_in_the_database_or_the_logs(app, runner, client, caplog):
    """Only the token's SHA-256 and first characters are stored; the logs never carry it."""
    make_user(app, "alice", admin=True)
    caplog.set_level(logging.DEBUG)
    token = runner.invoke(args=["tokens", "create", "alice", "--label", "x"]
                          ).stdout.strip().splitlines()[-1]
    client.get(f"{API}/default/adapters", headers={"Authorization": f"Bearer {token}"})
    client.get(f"{API}/default/adapters", headers={"Authorization": f"Bearer {token}x"})
    with app.app_context():
        db.session.remove()
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        stored = b"".join(path.read_bytes() for path in Path(url.database).parent.glob(
            Path(url.database).name + "*") if path.is_file())
        assert token.encode() not in stored and token[4:].encode() not in stored
        assert accounts.digest(token).encode() in stored
    else:
        with app.app_context():
            dump = str([tuple(row) for row in db.session.execute(db.text(
                "SELECT * FROM api_tokens"))])
        assert token not in dump and token[4:] not in dump
    assert token not in caplog.text and token[4:] not in caplog.text


# --- signing in ---------------------------------------------------------------------------------

def test_sign_in_lands_on_next_with_a_fresh_session(app, client):
    """A good sign-in goes to `next` with a new session cookie; the old one is not reused."""
    make_user(app)
    client.get("/login")
    before = client.get_cookie("session").value
    response = sign_in(client, "ALICE", next_url="/workspaces/team/adapters?page=2")
    assert response.status_code == 303
    assert response.headers["Location"] == "/workspaces/team/adapters?page=2"
    assert client.get_cookie("session").value != before


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "https://evil.example", "http:/evil", " /x",
    "javascript:alert(1)", "",
])
def test_sign_in_never_leaves_the_site(app, client, target):
    """`next` that is not a path on this site lands on the start page."""
    make_user(app)
    response = sign_in(client, "alice", next_url=target)
    assert response.headers["Location"] == "/"


def test_a_page_without_a_session_goes_to_sign_in_and_back(app, client):
    make_user(app)
    response = client.get("/workspaces/x/adapters?q=a")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fworkspaces%2Fx%2Fadapters%3Fq%3Da"


def test_an_htmx_request_without_a_session_sends_the_browser_to_sign_in(app, client):
    """The per-field check with an expired session: HX-Redirect to the sign-in page."""
    response = client.post("/workspaces/team/new-adapter/validate?field=name",
                           headers={"HX-Request": "true",
                                    "HX-Current-URL": "http://localhost/workspaces/team/"
                                                      "new-adapter"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == (
        "/login?next=%2Fworkspaces%2Fteam%2Fnew-adapter")


@pytest.mark.parametrize("username, password", [
    ("alice", "wrong password!"), ("nobody", PASSWORD), ("dis", PASSWORD)])
def test_every_refusal_says_the_same(app, client, username, password):
    """Unknown user, wrong password, disabled user: the same message and status."""
    make_user(app, "alice")
    make_user(app, "dis")
    with app.app_context():
        accounts.set_disabled("dis", True)
    response = sign_in(client, username, password)
    assert response.status_code == 422
    assert text(one(response, ".error-summary")) == "Wrong username or password."


def test_sign_in_and_sign_out_need_the_csrf_token(app, client):
    """Without the form's token: 400, and no session."""
    make_user(app)
    refused = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 400
    sign_in(client, "alice")
    assert client.post("/logout").status_code == 400
    assert client.get("/account/tokens").status_code == 200  # still signed in


def test_sign_out_ends_the_session_on_the_server(app, client):
    """A copy of the cookie taken before signing out no longer works."""
    make_user(app)
    sign_in(client, "alice")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/account/tokens").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_from(client, "/account/tokens")})
    assert response.status_code == 303
    assert copy.get("/account/tokens").status_code == 302


@pytest.mark.parametrize("change", ["disable", "set-password"])
def test_disabling_or_a_new_password_ends_sessions_and_tokens_at_once(app, client, runner,
                                                                      change):
    make_user(app)
    token = runner.invoke(args=["tokens", "create", "alice", "--label", "t"]
                          ).stdout.strip().splitlines()[-1]
    sign_in(client, "alice")
    assert client.get("/account/tokens").status_code == 200
    args = ["users", change, "alice"] + (["--password-stdin"] if change == "set-password" else [])
    assert runner.invoke(args=args, input="a brand new password\n").exit_code == 0
    assert client.get("/account/tokens").status_code == 302
    status = client.get(f"{API}/x/adapters", headers={"Authorization": f"Bearer {token}"})
    assert status.status_code == (401 if change == "disable" else 403)


def test_the_sixth_try_within_fifteen_minutes_is_429_even_with_the_right_password(app, client):
    make_user(app)
    for _ in range(5):
        assert sign_in(client, "alice", "wrong password!").status_code == 422
    response = sign_in(client, "alice")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert client.get("/account/tokens").status_code == 302
    assert sign_in(client, "bob-other", "wrong password!").status_code == 422  # per username


def test_the_window_passes(app, client):
    """Failures older than 15 minutes no longer count."""
    make_user(app)
    for _ in range(5):
        sign_in(client, "alice", "wrong password!")
    with app.app_context():
        db.session.execute(db.text(
            "UPDATE login_failures SET failed_at = :old"), {"old": accounts.utcnow() - (
                accounts.FAILURE_WINDOW + accounts.timedelta(seconds=1))})
        db.session.commit()
    assert sign_in(client, "alice").status_code == 303


def test_unknown_user_and_wrong_password_take_the_same_time(app, client):
    """The password hash is checked either way, so timing tells nothing (real cost here)."""
    app.config["PASSWORD_COST"] = {"time_cost": 2, "memory_cost": 16 * 1024}
    make_user(app)

    def timed(username: str) -> float:
        token = csrf_from(client, "/login")
        start = time.perf_counter()
        client.post("/login", data={"csrf_token": token, "username": username,
                                    "password": "wrong password!"})
        return time.perf_counter() - start

    samples = {"alice": [], "nobody": []}
    for _ in range(4):
        for name in samples:
            samples[name].append(timed(name))
            with app.app_context():  # stay under the throttle
                accounts.clear_failures(name)
    known, unknown = (statistics.median(samples[name]) for name in samples)
    assert known > 0.005 and abs(known - unknown) < 0.005 + 0.25 * known


# --- the last Admin -----------------------------------------------------------------------------

def test_the_last_admin_cannot_be_removed_or_demoted(app, client):
    make_user(app)
    make_user(app, "bob")
    with app.app_context():
        workspaces.create_workspace("team", None, "alice")
    with app.app_context():
        token = accounts.create_token(accounts.get_user("alice"), "t")[0]
    headers = {"Authorization": f"Bearer {token}"}
    base = "/apis/entities/v2/workspaces/team/members"
    assert client.delete(f"{base}/alice", headers=headers).status_code == 409
    assert client.put(f"{base}/alice", json={"roles": ["Editor"]},
                      headers=headers).status_code == 409
    assert client.post(base, json={"principal": "bob", "roles": ["Admin"]},
                       headers=headers).status_code == 201
    assert client.delete(f"{base}/alice", headers=headers).status_code == 200


# --- modes and hosts ----------------------------------------------------------------------------

def test_an_unknown_mode_refuses_to_start(tmp_path):
    with pytest.raises(SystemExit, match="WEBUI_AUTH must be one of: off, on"):
        create_app({"WEBUI_AUTH": "maybe", "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_discovery_says_whether_sign_in_is_on(client):
    assert client.get("/apis/auth/discovery").get_json() == {"auth_enabled": True}


@pytest.mark.parametrize("host, status", [
    ("localhost", 200), ("localhost:5000", 200), ("127.0.0.1:8000", 200), ("[::1]:5000", 200),
    ("[::1]", 200), ("attacker.example", 400), ("attacker.example:5000", 400),
    ("localhost.attacker.example", 400), ("[::2]:5000", 400),
])
def test_only_allowed_hosts_are_answered(client, host, status):
    """DNS rebinding: a Host that is not the server's own name is a 400, on pages and API."""
    page = client.get("/healthz", headers={"Host": host})
    assert page.status_code == (status if status == 400 else 200)
    api = client.get("/apis/auth/discovery", headers={"Host": host})
    assert api.status_code == status
    if status == 400:
        assert api.get_json() == {"detail": "Host not allowed"}


@pytest.mark.parametrize("path, form", [
    ("/account/tokens", {"label": "ci"}),
    ("/account/tokens/revoke", {"label": "t"}),
    ("/new-workspace", {"name": "lab"}),
    ("/workspaces/team/members", {"principal": "bob", "roles": "Viewer"}),
    ("/workspaces/team/members/change", {"principal": "alice", "roles": "Viewer"}),
    ("/workspaces/team/members/remove", {"principal": "alice"}),
])
def test_every_new_form_needs_the_csrf_token(app, client, path, form):
    """A signed-in Admin's form posted without its CSRF token: 400, and nothing changes."""
    make_user(app, "alice", admin=True)
    make_user(app, "bob")
    with app.app_context():
        workspaces.create_workspace("team", None, "alice")
        accounts.create_token(accounts.get_user("alice"), "t")
    sign_in(client, "alice")

    def state() -> tuple:
        with app.app_context():
            return (len(accounts.list_tokens(accounts.get_user("alice"))),
                    workspaces.get_workspace("lab"),
                    [(m.principal, m.roles) for m in workspaces.members("team")])

    before = state()
    assert client.post(path, data=form).status_code == 400
    assert state() == before


@pytest.mark.parametrize("allowed, host, status", [
    ("registry.example.com", "registry.example.com", 200),
    ("registry.example.com", "localhost", 400),
    ("*", "anything.example", 200),
])
def test_allowed_hosts_is_a_setting(app, client, allowed, host, status):
    """WEBUI_ALLOWED_HOSTS names the hosts served (a real name, or '*' for any)."""
    from webui.config import allowed_hosts

    app.config["WEBUI_ALLOWED_HOSTS"] = allowed_hosts(allowed)
    assert client.get("/apis/auth/discovery", headers={"Host": host}).status_code == status
