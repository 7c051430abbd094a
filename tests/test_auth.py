"""Who may do what: every route against every kind of caller, with sign-in on.

One table per surface (the adapters API, the workspaces and members API, the pages): each row
is a route, each column a caller, each cell the status that caller gets. A 401 or 403 changes
nothing in the database.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import API, PASSWORD, sign_in, valid_body
from htmlquery import every
from sqlalchemy import text, update

from webui import accounts, create_app, queries, rules, workspaces
from webui.extensions import db
from webui.models import ApiToken

ENTITIES = "/apis/entities/v2/workspaces"
# The callers, in the order of the table's columns.
CALLERS = ("none", "bad", "revoked", "expired", "disabled", "read_only", "viewer", "editor",
           "admin", "no_role", "platform", "star")


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WEBUI_AUTH": "on"}


@dataclass
class Team:
    """Users, their tokens and two workspaces: 'team' with members, 'open' where '*' is a
    Viewer."""

    tokens: dict[str, str]

    def headers(self, caller: str) -> dict[str, str]:
        """The Authorization header a caller sends (none for 'none')."""
        if caller == "none":
            return {}
        if caller == "bad":
            return {"Authorization": "Bearer wui_" + "x" * 43}
        return {"Authorization": f"Bearer {self.tokens[caller]}"}


def make_team(app) -> Team:
    """The cast of the tables, made straight through the app's own functions."""
    with app.app_context():
        users = {name: accounts.create_user(name, PASSWORD) for name in (
            "alice", "ed", "vic", "nora", "dis", "sam")}
        root = accounts.create_user("root", PASSWORD, platform_admin=True)
        workspaces.create_workspace("team", "The team's adapters", "alice")
        for name, role in (("ed", "Editor"), ("vic", "Viewer"), ("dis", "Editor")):
            workspaces.set_member("team", name, [role], "alice", add=True)
        workspaces.create_workspace("open", None, "root")
        workspaces.set_member("open", "*", ["Viewer"], "root", add=True)
        for workspace in ("team", "open"):
            queries.create_adapter(workspace, _checked(valid_body(name="lora-a"), workspace),
                                   "alice")
        tokens = {caller: accounts.create_token(users[name], caller)[0] for caller, name in (
            ("viewer", "vic"), ("editor", "ed"), ("admin", "alice"), ("no_role", "nora"),
            ("disabled", "dis"), ("star", "sam"), ("revoked", "ed"), ("expired", "ed"))}
        tokens["read_only"] = accounts.create_token(users["alice"], "ro", read_only=True)[0]
        tokens["platform"] = accounts.create_token(root, "root")[0]
        accounts.revoke_token(users["ed"], "revoked")
        db.session.execute(update(ApiToken).where(ApiToken.label == "expired").values(
            expires_at=queries.utcnow() - timedelta(seconds=1)))
        db.session.commit()
        accounts.set_disabled("dis", True)
    return Team(tokens)


def _checked(body: dict, workspace: str) -> dict:
    values, errors = rules.parse_create(body, workspace)
    assert not errors
    return values


@pytest.fixture(scope="session")
def team_template(tmp_path_factory) -> tuple[Path, Team] | None:
    """On SQLite, the cast made once in a database file that each test gets a copy of (a
    team costs some thirty durable commits); on PostgreSQL, None: each test makes its own."""
    if os.environ.get("TEST_DATABASE_URL"):
        return None
    folder = tmp_path_factory.mktemp("team")
    path = folder / "team.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "SECRET_KEY": "test-secret", "INSTANCE_PATH": str(folder / "instance"),
                      "WEBUI_AUTH": "on", "PASSWORD_COST": {"time_cost": 1, "memory_cost": 64}})
    cast = make_team(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the last connection closes: the file holds everything
    return path, cast


@pytest.fixture
def database_url(tmp_path, team_template) -> str:
    """A copy of the team's database (SQLite), or the server TEST_DATABASE_URL names."""
    if team_template is None:
        return os.environ["TEST_DATABASE_URL"]
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(team_template[0], path)
    return f"sqlite:///{path}"


@pytest.fixture
def team(app, team_template) -> Team:
    return team_template[1] if team_template else make_team(app)


def snapshot(app) -> dict[str, list]:
    """Every row a route could change (token use times aside)."""
    with app.app_context():
        return {table: [tuple(row) for row in db.session.execute(text(
            f"SELECT * FROM {table} ORDER BY 1, 2"))] for table in (
            "adapters", "workspaces", "workspace_members", "workspace_models", "users")}


def expected_statuses(table: str) -> dict[str, dict[str, int]]:
    """A table written as rows of statuses, one column per caller, as a lookup."""
    found = {}
    for line in table.strip().splitlines():
        route, *statuses = line.split()
        assert len(statuses) == len(CALLERS), route
        found[route] = dict(zip(CALLERS, map(int, statuses), strict=True))
    return found


def assert_refusal(response, status: int) -> None:
    """The contract's body and headers for 401 and 403."""
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.get_json()["detail"] in ("Unauthorized", "Invalid or expired token")
    elif status == 403:
        assert response.get_json() == {"detail": "Forbidden"}


# --- the adapters API ---------------------------------------------------------------------------

ADAPTER_ROUTES = {
    "create": ("POST", "/{ws}/adapters", valid_body(name="new-one")),
    "list": ("GET", "/{ws}/adapters", None),
    "retrieve": ("GET", "/{ws}/adapters/lora-a", None),
    "patch": ("PATCH", "/{ws}/adapters/lora-a", {"enabled": False}),
    "delete": ("DELETE", "/{ws}/adapters/lora-a", None),
    "create-nested": ("POST", "/{ws}/models/base-model/adapters",
                      {k: v for k, v in valid_body(name="new-one").items() if k != "model"}),
    "patch-nested": ("PATCH", "/{ws}/models/base-model/adapters/lora-a", {"enabled": False}),
    "delete-nested": ("DELETE", "/{ws}/models/base-model/adapters/lora-a", None),
}
#                  none bad revk expd disb ro   view edit admn none plat star
ADAPTER_TABLE = expected_statuses("""
create             401  401 401  401  401  403  403  201  201  403  201  403
list               401  401 401  401  401  200  200  200  200  403  200  200
retrieve           401  401 401  401  401  200  200  200  200  403  200  200
patch              401  401 401  401  401  403  403  200  200  403  200  403
delete             401  401 401  401  401  403  403  204  204  403  204  403
create-nested      401  401 401  401  401  403  403  201  201  403  201  403
patch-nested       401  401 401  401  401  403  403  200  200  403  200  403
delete-nested      401  401 401  401  401  403  403  204  204  403  204  403
""")


def _workspace_for(caller: str) -> str:
    return "open" if caller == "star" else "team"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ADAPTER_ROUTES)
def test_adapters_api_answers_each_caller_as_its_roles_allow(app, client, team, route, caller):
    """Every adapters route × every caller: the contract's status and body; refusals change
    nothing."""
    method, path, body = ADAPTER_ROUTES[route]
    expected = ADAPTER_TABLE[route][caller]
    before = snapshot(app)
    response = client.open(API + path.format(ws=_workspace_for(caller)), method=method,
                           json=body, headers=team.headers(caller))
    assert response.status_code == expected, response.get_data(as_text=True)
    assert_refusal(response, expected)
    if expected in (401, 403):
        assert snapshot(app) == before


@pytest.mark.parametrize("caller", ["bad", "revoked", "expired", "disabled"])
def test_a_token_that_does_not_work_says_so(client, team, caller):
    """Unknown, revoked, expired, or its owner disabled: 401 'Invalid or expired token'."""
    response = client.get(f"{API}/team/adapters", headers=team.headers(caller))
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid or expired token"}


def test_no_credentials_is_unauthorized(client, team):
    """No Authorization header: 401 'Unauthorized' with WWW-Authenticate: Bearer."""
    response = client.get(f"{API}/team/adapters")
    assert response.get_json() == {"detail": "Unauthorized"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_permission_comes_before_the_body_and_the_lookup(client, team):
    """A Viewer's PATCH of an adapter that does not exist, with a broken body, is a 403."""
    response = client.patch(f"{API}/team/adapters/nothing-here", data=b"{not json",
                            headers={**team.headers("viewer"), "Content-Type": "text/plain"})
    assert response.status_code == 403


def test_no_role_is_forbidden_whether_or_not_the_workspace_exists(client, team):
    """Names of workspaces a person cannot see do not leak: 403 either way."""
    for workspace in ("team", "no-such-workspace"):
        response = client.get(f"{API}/{workspace}/adapters", headers=team.headers("no_role"))
        assert response.status_code == 403


def test_creating_in_a_new_workspace_needs_a_platform_admin(app, client, team):
    """With sign-in on, an adapter creates its workspace only for a platform admin."""
    body = valid_body(name="first")
    refused = client.post(f"{API}/brand-new/adapters", json=body, headers=team.headers("editor"))
    assert refused.status_code == 403
    made = client.post(f"{API}/brand-new/adapters", json=body, headers=team.headers("platform"))
    assert made.status_code == 201
    with app.app_context():
        assert workspaces.get_workspace("brand-new").created_by == "root"


def test_a_session_cookie_is_ignored_by_the_api(app, client, team):
    """Signed in through the pages, the browser still has no access to /apis/."""
    sign_in(client, "alice")
    assert client.get("/workspaces/team/adapters").status_code == 200
    response = client.get(f"{API}/team/adapters")
    assert response.status_code == 401


def test_who_did_it_is_recorded(app, client, team):
    """Creates and changes record the username; the API's object has no new keys."""
    made = client.post(f"{API}/team/adapters", json=valid_body(name="by-ed"),
                       headers=team.headers("editor"))
    assert "created_by" not in made.get_json()
    client.patch(f"{API}/team/adapters/by-ed", json={"enabled": False},
                 headers=team.headers("admin"))
    with app.app_context():
        adapter = queries.get_adapter("team", "by-ed")
        assert (adapter.created_by, adapter.updated_by) == ("ed", "alice")
        assert workspaces.get_workspace("team").updated_by == "alice"
    page = client.get("/workspaces/team/adapters/by-ed", headers={})
    assert page.status_code == 302  # the page needs a sign-in; see the pages table


# --- pages --------------------------------------------------------------------------------------

def csrf_from(client, url: str) -> str:
    """The CSRF token of a page's forms."""
    return every(client.get(url), "input[name=csrf_token]")[0]["value"]


# --- the workspaces and members API -------------------------------------------------------------

ENTITY_ROUTES = {
    "ws-create": ("POST", "", {"name": "fresh-start"}),
    "ws-list": ("GET", "", None),
    "ws-get": ("GET", "/{ws}", None),
    "ws-put": ("PUT", "/{ws}", {"description": "changed"}),
    "ws-delete": ("DELETE", "/{ws}", None),  # it holds an adapter: 409 for those allowed
    "members-list": ("GET", "/{ws}/members", None),
    "members-add": ("POST", "/{ws}/members", {"principal": "nora", "roles": ["Viewer"]}),
    "members-put": ("PUT", "/{ws}/members/{member}", {"roles": ["Editor"]}),
    "members-delete": ("DELETE", "/{ws}/members/{member}", None),
}
#                  none bad revk expd disb ro   view edit admn none plat star
ENTITY_TABLE = expected_statuses("""
ws-create          401  401 401  401  401  403  201  201  201  201  201  201
ws-list            401  401 401  401  401  200  200  200  200  200  200  200
ws-get             401  401 401  401  401  200  200  200  200  403  200  200
ws-put             401  401 401  401  401  403  403  403  200  403  200  403
ws-delete          401  401 401  401  401  403  403  403  409  403  409  403
members-list       401  401 401  401  401  200  200  200  200  403  200  200
members-add        401  401 401  401  401  403  403  403  201  403  201  403
members-put        401  401 401  401  401  403  403  403  200  403  200  403
members-delete     401  401 401  401  401  403  403  403  200  403  200  403
""")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ENTITY_ROUTES)
def test_workspaces_api_answers_each_caller_as_its_roles_allow(app, client, team, route, caller):
    """Every workspace and member route × every caller; refusals change nothing.

    ('*' is a Viewer of 'open', where the star caller is tested; the member routes change
    'vic' in 'team' and '*' in 'open'.)
    """
    method, path, body = ENTITY_ROUTES[route]
    expected = ENTITY_TABLE[route][caller]
    before = snapshot(app)
    workspace = _workspace_for(caller)
    member = "*" if workspace == "open" else "vic"
    response = client.open(ENTITIES + path.format(ws=workspace, member=member), method=method,
                           json=body, headers=team.headers(caller))
    assert response.status_code == expected, response.get_data(as_text=True)
    assert_refusal(response, expected)
    if expected in (401, 403):
        assert snapshot(app) == before


def test_the_workspace_list_shows_only_readable_workspaces(client, team):
    """Each person sees the workspaces where they (or '*') hold a role; a platform admin all."""
    def names(caller: str) -> list[str]:
        body = client.get(ENTITIES, headers=team.headers(caller)).get_json()
        return [workspace["name"] for workspace in body["data"]]

    assert names("viewer") == ["open", "team"]
    assert names("no_role") == ["open"]
    assert names("platform") == ["open", "team"]


# --- pages --------------------------------------------------------------------------------------

# Page callers: signed in as these users (a browser has no tokens).
PAGE_CALLERS = {"none": None, "viewer": "vic", "editor": "ed", "admin": "alice",
                "no_role": "nora", "platform": "root", "star": "sam"}
PAGE_ROUTES = {
    "index": ("GET", "/", None),
    "listing": ("GET", "/workspaces/{ws}/adapters", None),
    "adapter": ("GET", "/workspaces/{ws}/adapters/lora-a", None),
    "new-form": ("GET", "/workspaces/{ws}/new-adapter", None),
    "create": ("POST", "/workspaces/{ws}/new-adapter",
               {"name": "page-made", "model": "base-model", "fileset": "fs",
                "finetuning_type": "dpo"}),
    "check-field": ("POST", "/workspaces/{ws}/new-adapter/validate?field=name", {"name": "x"}),
    "disable": ("POST", "/workspaces/{ws}/adapters/lora-a/enabled", {"enabled": "false"}),
    "describe": ("POST", "/workspaces/{ws}/adapters/lora-a/description", {"description": "d"}),
    "delete-ask": ("GET", "/workspaces/{ws}/adapters/lora-a/delete", None),
    "delete": ("POST", "/workspaces/{ws}/adapters/lora-a/delete", {}),
    "members": ("GET", "/workspaces/{ws}/members", None),
    "member-add": ("POST", "/workspaces/{ws}/members", {"principal": "nora", "roles": "Viewer"}),
    "new-workspace": ("GET", "/new-workspace", None),
    "tokens": ("GET", "/account/tokens", None),
}
#                  none view edit admn none plat star
PAGE_TABLE = {route: dict(zip(PAGE_CALLERS, map(int, statuses), strict=True))
              for route, *statuses in (line.split() for line in """
index              302  200  200  200  200  200  200
listing            302  200  200  200  403  200  200
adapter            302  200  200  200  403  200  200
new-form           302  403  200  200  403  200  403
create             302  403  303  303  403  303  403
check-field        302  403  200  200  403  200  403
disable            302  403  303  303  403  303  403
describe           302  403  303  303  403  303  403
delete-ask         302  403  200  200  403  200  403
delete             302  403  303  303  403  303  403
members            302  200  200  200  403  200  200
member-add         302  403  403  303  403  303  403
new-workspace      302  200  200  200  200  200  200
tokens             302  200  200  200  200  200  200
""".strip().splitlines())}


@pytest.mark.parametrize("caller", PAGE_CALLERS)
@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_pages_answer_each_caller_as_its_roles_allow(app, client, team, route, caller):
    """Every page and form × every kind of person: no session goes to the sign-in page with
    the page to come back to; no role is a 403 page; refusals change nothing."""
    method, path, form = PAGE_ROUTES[route]
    expected = PAGE_TABLE[route][caller]
    url = path.format(ws=_workspace_for(caller))
    if PAGE_CALLERS[caller]:
        assert sign_in(client, PAGE_CALLERS[caller]).status_code == 303
    data = None
    if method == "POST":
        token = csrf_from(client, "/login" if caller == "none" else "/account/tokens")
        data = {**form, "csrf_token": token}
    before = snapshot(app)
    response = client.open(url, method=method, data=data)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 302:
        assert response.headers["Location"].startswith("/login?next=")
    if expected in (302, 403):
        assert snapshot(app) == before


def test_a_viewer_sees_no_write_controls(client, team):
    """What a person may not do is not shown: no New adapter, no actions, no member forms."""
    sign_in(client, "vic")
    listing = client.get("/workspaces/team/adapters").get_data(as_text=True)
    adapter = client.get("/workspaces/team/adapters/lora-a").get_data(as_text=True)
    members = client.get("/workspaces/team/members").get_data(as_text=True)
    assert "/new-adapter" not in listing
    assert "/enabled" not in adapter and "/description" not in adapter
    assert "/delete" not in adapter
    assert "Add a member" not in members and "/members/remove" not in members
    missing = client.get("/workspaces/team/adapters/new")  # no link to a form they may not use
    assert missing.status_code == 404 and "/new-adapter" not in missing.get_data(as_text=True)


def test_an_editor_sees_the_write_controls(client, team):
    """The same pages with Editor's role show the controls it may use."""
    sign_in(client, "ed")
    assert "/new-adapter" in client.get("/workspaces/team/adapters").get_data(as_text=True)
    adapter = client.get("/workspaces/team/adapters/lora-a").get_data(as_text=True)
    assert "/enabled" in adapter and "/delete" in adapter
    missing = client.get("/workspaces/team/adapters/new")
    assert missing.status_code == 404 and "/new-adapter" in missing.get_data(as_text=True)


def test_the_index_lists_only_readable_workspaces(client, team):
    """The workspaces index shows only where the person holds a role."""
    sign_in(client, "nora")
    page = client.get("/").get_data(as_text=True)
    assert ">open<" in page and ">team<" not in page


def test_the_openapi_document_covers_the_new_routes_and_the_bearer_scheme(client):
    """Served without credentials; every protected operation takes a Bearer token and declares
    401 and 403; discovery needs none."""
    document = client.get("/apis/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "An API token: wui_…"}
    paths = document["paths"]
    assert {"/apis/entities/v2/workspaces", "/apis/entities/v2/workspaces/{workspace}/members",
            "/apis/auth/discovery"} <= set(paths)
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if path == "/apis/auth/discovery":
                assert operation["security"] == []
            else:
                assert {"bearer": []} in operation["security"], (method, path)
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_auth_off_ignores_authorization_and_records_local(tmp_path):
    """With sign-in off every request acts as 'local', whatever Authorization it carries."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'off.sqlite3'}"})
    client = app.test_client()
    made = client.post(f"{API}/default/adapters", json=valid_body(),
                       headers={"Authorization": "Bearer wui_not-a-token"})
    assert made.status_code == 201
    assert client.get("/apis/auth/discovery").get_json() == {"auth_enabled": False}
    with app.app_context():
        assert queries.get_adapter("default", "lora-a").created_by == "local"
        assert workspaces.get_workspace("default").created_by == "local"
    for path in ("/", "/workspaces/default/adapters", "/workspaces/default/adapters/lora-a",
                 "/workspaces/default/new-adapter", "/nowhere"):
        notice = every(client.get(path), ".auth-off")
        assert notice and "anyone who can reach this server can change anything" in \
            notice[0].get_text(), path


# --- sign-in off: the 'auth off' column ---------------------------------------------------------

OFF = pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "off"}], ids=["auth-off"])


@OFF
@pytest.mark.parametrize("route", [*ADAPTER_ROUTES, *ENTITY_ROUTES])
def test_with_sign_in_off_every_route_answers_as_for_a_platform_admin(app, client, team, route):
    """Sign-in off: anyone may do everything as 'local'; an Authorization header, even a bad
    one, is ignored."""
    method, path, body = {**ADAPTER_ROUTES, **ENTITY_ROUTES}[route]
    expected = {**ADAPTER_TABLE, **ENTITY_TABLE}[route]["platform"]
    url = (ENTITIES if route in ENTITY_ROUTES else API) + path.format(ws="team", member="vic")
    response = client.open(url, method=method, json=body, headers=team.headers("bad"))
    assert response.status_code == expected, response.get_data(as_text=True)
