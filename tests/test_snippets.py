"""The adapter page's snippets do what they say when pasted: the SDK lines run in a fresh Python
and get the adapter back; the curl lines run in bash against the app on a socket, read it and
create it again, whatever its description holds. With sign-in on, they read the token from
$NEMO_TOKEN and never show one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from conftest import API, PASSWORD, valid_body
from htmlquery import one, parse

from webui import accounts, queries, rules, workspaces

HOSTILE = ("It's \"quoted\" $HOME `id` $(touch pwned) \\n \\\\ 'single' \"double\"\n"
           "second line; rm -rf nothing & echo ${PATH} % {} ünïcödé ☃ </code><b>bold</b>")


@pytest.fixture(params=["off", "on"], ids=["sign-in-off", "sign-in-on"])
def app_config(request) -> dict[str, object]:
    return {"WEBUI_AUTH": request.param}


@pytest.fixture
def browse(app, live_server: str) -> Iterator[httpx.Client]:
    """An HTTP client of the live server, signed in as alice (Editor of 'team') when sign-in is
    on; 'team' has one adapter, lora-a, whose description is hostile to every kind of quoting."""
    with app.app_context():
        if app.config["WEBUI_AUTH"] == "on":
            accounts.create_user("alice", PASSWORD)
            workspaces.create_workspace("team", None, "alice")
        values, _ = rules.parse_create(valid_body(name="lora-a", description=HOSTILE), "team")
        queries.create_adapter("team", values, "alice")
    with httpx.Client(base_url=live_server) as client:
        if app.config["WEBUI_AUTH"] == "on":
            token = one(parse(client.get("/login").text), "input[name=csrf_token]")["value"]
            signed_in = client.post("/login", data={"csrf_token": token, "username": "alice",
                                                    "password": PASSWORD})
            assert signed_in.status_code == 303
        yield client


@pytest.fixture
def script_env(app, tmp_path) -> dict[str, str]:
    """The environment a person pastes into: $NEMO_TOKEN holds a token when sign-in is on."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    if app.config["WEBUI_AUTH"] == "on":
        with app.app_context():
            env["NEMO_TOKEN"] = accounts.create_token(
                accounts.existing_user("alice"), "snippets")[0]
    return env


def snippet(client: httpx.Client, snippet_id: str) -> str:
    """A snippet's text as the adapter page shows it (and its copy button copies)."""
    page = client.get("/workspaces/team/adapters/lora-a")
    assert page.status_code == 200
    return one(parse(page.text), f"pre code#{snippet_id}").get_text()


def run(command: list[str], env: dict[str, str], cwd) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_sdk_snippet_runs_and_gets_the_adapter(app, browse, script_env, tmp_path,
                                                   live_server):
    """The SDK lines, run as they are in a new Python, print the adapter's JSON."""
    code = snippet(browse, "sdk")
    assert f'base_url="{live_server}"' in code and 'client.adapters.retrieve("lora-a")' in code
    assert ('access_token=os.environ["NEMO_TOKEN"]' in code) == (
        app.config["WEBUI_AUTH"] == "on")
    printed = json.loads(run([sys.executable, "-c", code], script_env, tmp_path))
    assert (printed["name"], printed["workspace"]) == ("lora-a", "team")
    assert printed["description"] == HOSTILE


def test_the_curl_get_snippet_reads_the_adapter(app, browse, script_env, tmp_path):
    """The curl GET line, run by bash, prints the adapter as the API answers it."""
    command = snippet(browse, "curl-get")
    read = json.loads(run(["bash", "-c", command], script_env, tmp_path))
    assert (read["name"], read["workspace"], read["description"]) == ("lora-a", "team", HOSTILE)
    token_shown = 'Authorization: Bearer $NEMO_TOKEN' in command
    assert token_shown == (app.config["WEBUI_AUTH"] == "on")


def test_the_create_snippet_recreates_a_hostile_description_exactly(app, browse, script_env,
                                                                  tmp_path):
    """Quotes, $, backticks, $(...), backslashes and newlines reach the API as typed: bash
    runs nothing of the description and the adapter is created again with it."""
    command = snippet(browse, "curl")
    with app.app_context():
        before = queries.get_adapter("team", "lora-a").to_dict()
        queries.delete_adapter("team", "lora-a", actor="alice")
    made = json.loads(run(["bash", "-c", command], script_env, tmp_path))
    assert not (tmp_path / "pwned").exists()
    for key in ("name", "model", "fileset", "finetuning_type", "description", "enabled",
                "lora_config"):
        assert made[key] == before[key]
    assert made["description"] == HOSTILE


def test_no_snippet_shows_a_token(app, browse):
    """The page's lines name the variable, never a token of the person signed in."""
    with app.app_context():
        if app.config["WEBUI_AUTH"] == "on":
            accounts.create_token(accounts.existing_user("alice"), "laptop")
    page = browse.get("/workspaces/team/adapters/lora-a").text
    assert "wui_" not in page
    hint = "$NEMO_TOKEN" in page
    assert hint == (app.config["WEBUI_AUTH"] == "on")


def test_the_json_link_and_the_snippets_name_the_same_adapter_url(browse, live_server):
    """The curl GET line reads the very URL the page links as JSON, absolute on this server."""
    page = parse(browse.get("/workspaces/team/adapters/lora-a").text)
    link = f"{API}/team/adapters/lora-a"
    assert one(page, f'a[href="{link}"]')
    assert one(page, "code#curl-get").get_text().endswith(f"{live_server}{link}")
