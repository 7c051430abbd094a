"""The HTML pages through Flask's test client: every page, the JS-off flows, htmx partials."""

from __future__ import annotations

import json

import pytest
from conftest import API, valid_body
from htmlquery import every, one, parse, rows, text, texts, top_level

from webui import rules
from webui.extensions import db
from webui.models import Adapter

NEW = "/workspaces/default/new-adapter"
VALIDATE = "/workspaces/default/new-adapter/validate"
HTMX = {"HX-Request": "true"}


def csrf_token(client, url: str = NEW) -> str:
    """The CSRF token the page's first form carries."""
    return every(client.get(url), 'input[name="csrf_token"]')[0]["value"]


def form_data(token: str, **overrides: str) -> dict[str, str]:
    """A valid create form, with inputs replaced as asked."""
    data = {"csrf_token": token, "name": "lora-a", "model": "base-model",
            "fileset": "default/fs1", "finetuning_type": "lora", "description": "",
            "enabled": "y", "lora_config-rank": "", "lora_config-alpha": ""}
    data.update(overrides)
    return data


def listed_names(page) -> list[str]:
    """The adapter names in the listing's table, top to bottom."""
    return texts(page, "table.adapters tbody td:first-child a")


def flash(page) -> str:
    """The confirmation the page shows after an action."""
    return text(one(page, '[role="status"]'))


def error_slot(page, field: str) -> str:
    """What the always-present error slot under a field says."""
    return text(one(page, f"#{field}-error"))


def count(app) -> int:
    with app.app_context():
        return db.session.query(Adapter).count()


# --- pages --------------------------------------------------------------------------------

def test_index_lists_workspaces_with_counts_and_last_change(client, create):
    """/ shows each workspace with its adapter count and last change, by name."""
    create(workspace="beta", name="b1")
    create(workspace="alpha", name="a1")
    create(workspace="alpha", name="a2")
    page = parse(client.get("/"))
    assert [row[:2] for row in rows(page)] == [["alpha", "2"], ["beta", "1"]]
    assert [link["href"] for link in every(page, "tbody td:first-child a")] == [
        "/workspaces/alpha/adapters", "/workspaces/beta/adapters"]
    assert len(every(page, "tbody td time[datetime]")) == 2


def test_index_without_adapters_shows_an_empty_state(client):
    """No workspaces yet: an empty state that points to creating the first adapter."""
    empty = one(client.get("/"), ".empty")
    assert "No adapters yet" in text(empty)
    assert one(empty, "a")["href"] == "/workspaces/default/new-adapter"


def test_index_opens_or_creates_in_any_workspace(client):
    """The open form goes to the listing, or to the create form, of any valid workspace."""
    browse = client.get("/?workspace=team-a&action=open")
    assert browse.status_code == 303 and browse.location.endswith("/workspaces/team-a/adapters")
    new = client.get("/?workspace=team-a&action=new")
    assert new.location.endswith("/workspaces/team-a/new-adapter")


def test_index_explains_an_invalid_workspace_inline(client):
    """An invalid workspace name is an inline error with the rule's message."""
    response = client.get("/?workspace=bad%20name")
    assert response.status_code == 422
    assert error_slot(response, "workspace") == f"Error: {rules.check_workspace('bad name').msg}"
    assert one(response, "input#workspace")["aria-invalid"] == "true"


def test_listing_shows_a_table_with_links_and_the_total(client, create):
    """The listing: a row per adapter, newest first, linking to its page, and '1–2 of 2'."""
    create(name="first", description="one")
    create(name="second", enabled=False)
    page = parse(client.get("/workspaces/default/adapters"))
    assert [row[:5] for row in rows(page, "table.adapters")] == [
        ["second", "default/base-model", "lora", "default/fs1", "Disabled"],
        ["first one", "default/base-model", "lora", "default/fs1", "Enabled"],  # + description
    ]
    assert [link["href"] for link in every(page, "table.adapters tbody td:first-child a")] == [
        "/workspaces/default/adapters/second", "/workspaces/default/adapters/first"]
    assert text(one(page, "#results-count")) == "1–2 of 2"


def test_listing_empty_state_links_to_the_form(client):
    """An empty workspace invites creating the first adapter."""
    empty = one(client.get("/workspaces/fresh/adapters"), ".empty")
    assert "No adapters in fresh yet" in text(empty)
    assert one(empty, "a")["href"] == "/workspaces/fresh/new-adapter"


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("q=ALPHA", ["alpha-1"], ["beta-2", "gamma-3"]),
        ("q=special", ["gamma-3"], ["alpha-1", "beta-2"]),
        ("finetuning_type=dpo", ["beta-2"], ["alpha-1", "gamma-3"]),
        ("model=default/mistral-7b", ["gamma-3"], ["alpha-1", "beta-2"]),
        ("enabled=false", ["beta-2"], ["alpha-1", "gamma-3"]),
        ("enabled=true&finetuning_type=lora", ["alpha-1", "gamma-3"], ["beta-2"]),
    ],
)
def test_listing_search_and_filters(client, create, query, shown, hidden):
    """Search and filters come from the query string."""
    create(name="alpha-1")
    create(name="beta-2", finetuning_type="dpo", enabled=False)
    create(name="gamma-3", model="mistral-7b", description="A special one")
    listed = listed_names(client.get(f"/workspaces/default/adapters?{query}"))
    assert sorted(listed) == shown
    assert not set(hidden) & set(listed)


def test_listing_sort_and_pagination_live_in_the_url(client, create):
    """?sort and ?page choose the rows; links keep the rest of the state."""
    for index in range(30):
        create(name=f"a{index:02d}")
    page = parse(client.get("/workspaces/default/adapters?sort=name&page=2&page_size=25&q=a"))
    assert listed_names(page) == ["a25", "a26", "a27", "a28", "a29"]
    assert text(one(page, "#results-count")) == "26–30 of 30"
    assert one(page, 'a[rel="prev"]')["href"] == (
        "/workspaces/default/adapters?q=a&sort=name&page_size=25")
    descending = parse(client.get("/workspaces/default/adapters?sort=-name&page_size=25"))
    assert listed_names(descending)[0] == "a29"
    assert one(descending, "th[aria-sort]")["aria-sort"] == "descending"
    assert text(one(descending, "th[aria-sort]")).startswith("Name")


@pytest.mark.parametrize("page", ["zz", "0", "-1", "1" * 5000, "١"])
def test_listing_ignores_bad_state_values(client, create, page):
    """Garbage in the query string falls back to defaults instead of failing."""
    create()
    response = client.get(f"/workspaces/default/adapters?page={page}&page_size=7&sort=x"
                          "&enabled=maybe&finetuning_type=LORA")
    assert response.status_code == 200
    assert text(one(response, "#results-count")) == "1–1 of 1"


def test_listing_fragment_for_htmx_target(client, create):
    """HX-Target 'results' gets only the results, and every answer says Vary: HX-Target."""
    create()
    full = client.get("/workspaces/default/adapters")
    fragment = client.get("/workspaces/default/adapters", headers={**HTMX, "HX-Target": "results"})
    other = client.get("/workspaces/default/adapters", headers={**HTMX, "HX-Target": "div#results"})
    assert [element.name for element in top_level(full)] == ["html"]
    assert every(fragment, "html") == [] and every(fragment, "#filters") == []
    assert len(every(fragment, "table.adapters")) == 1
    assert other.get_data() == fragment.get_data()  # htmx 4's tag#id form
    assert "HX-Target" in full.headers["Vary"] and "HX-Target" in fragment.headers["Vary"]


def test_adapter_page_shows_every_field_and_a_curl_command(client, create):
    """Every field, both times, the JSON link, and a curl command that recreates it."""
    created = create(description="Bot <b>v2</b>", lora_config={"rank": 8, "alpha": 16},
                     enabled=False)
    page = parse(client.get("/workspaces/default/adapters/lora-a"))
    assert text(one(page, "h1")) == "lora-a"
    details = dict(zip(texts(page, "dl.details dt"), every(page, "dl.details dd"), strict=True))
    assert {label: text(value) for label, value in details.items()
            if label not in ("Created", "Updated")} == {
        "Workspace": "default", "Model": "default/base-model", "Finetuning type": "lora",
        "Fileset": "default/fs1", "LoRA rank": "8", "LoRA alpha": "16", "Status": "Disabled",
        "Description": "Bot <b>v2</b>"}
    assert one(details["Created"], "time")["datetime"] == created["created_at"]
    assert one(details["Updated"], "time")["datetime"] == created["updated_at"]
    assert one(page, f'a[href="{API}/default/adapters/lora-a"]')
    curl = one(page, "#curl").get_text()
    assert curl.startswith("curl -X POST -H 'Content-Type: application/json'")
    assert "http://localhost/apis/models/v2/workspaces/default/adapters" in curl


def test_the_curl_command_creates_the_same_adapter(client, create, tmp_path):
    """Running the page's curl body through the API recreates the adapter elsewhere."""
    import shlex

    create(description="It's quoted 'here'", lora_config={"rank": 4})
    curl = one(client.get("/workspaces/default/adapters/lora-a"), "#curl").get_text()
    words = shlex.split(curl.replace("\\\n", " "))
    body = json.loads(words[words.index("-d") + 1])
    again = client.post(f"{API}/copy/adapters", json=body).get_json()
    original = client.get(f"{API}/default/adapters/lora-a").get_json()
    for key in ("name", "description", "fileset", "finetuning_type", "enabled", "lora_config",
                "model"):
        assert again[key] == original[key]


@pytest.mark.parametrize(
    "path",
    ["/workspaces/default/adapters/nope", "/workspaces/bad%20ws/adapters",
     "/workspaces/bad%20ws/adapters/x", "/workspaces/default/adapters/bad%20name",
     "/workspaces/../adapters", "/workspaces/default/adapters/nope/delete",
     "/workspaces/default/adapters/.."],
)
def test_unknown_or_invalid_urls_are_a_404_page(client, path):
    """An unknown adapter or an invalid name in a URL: an HTML 404 page, not a 500."""
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html" and "Not Found" in text(one(response, "main h1"))


# --- the create form, without JavaScript ----------------------------------------------------

def test_new_form_has_every_input_named_as_the_json_fields(client):
    """Inputs named as the JSON fields, each with a label; the 25 types grouped."""
    form = one(client.get(NEW), "form#adapter-form")
    inputs = [field["name"] for field in every(form, "[name]") if field["name"] != "csrf_token"]
    assert inputs == ["name", "model", "fileset", "finetuning_type", "lora_config-rank",
                      "lora_config-alpha", "description", "enabled"]
    for name in inputs:
        assert one(form, f'[name="{name}"]')["id"] == name  # ids are the names
        assert text(one(form, f'label[for="{name}"]')), name
    types = one(form, "select#finetuning_type")
    options = [option["value"] for option in every(types, "option") if option["value"]]
    assert sorted(options) == sorted(rules.FINETUNING_TYPES)
    assert len(every(types, "optgroup")) == len(rules.FINETUNING_TYPE_GROUPS)
    assert one(form, "input#name")["maxlength"] == str(rules.NAME_MAX)


def test_new_form_suggests_the_workspaces_models(client, create):
    """The model input suggests models already used in the workspace."""
    create(model="llama-3-8b")
    create(name="b", model="shared/mistral")
    page = parse(client.get(NEW))
    suggestions = one(page, "input#model")["list"]
    assert {option["value"] for option in every(page, f"datalist#{suggestions} option")} == {
        "default/llama-3-8b", "shared/mistral"}


def test_valid_submit_creates_and_lands_on_the_adapter_page(client, app):
    """JS off: a valid form creates the adapter, 303 to its page, which confirms it."""
    token = csrf_token(client)
    response = client.post(NEW, data=form_data(token, description="hello",
                                               **{"lora_config-rank": "8"}))
    assert response.status_code == 303
    assert response.location.endswith("/workspaces/default/adapters/lora-a")
    assert flash(client.get(response.location)) == "Adapter 'lora-a' created."
    adapter = client.get(f"{API}/default/adapters/lora-a").get_json()
    assert adapter["description"] == "hello" and adapter["enabled"] is True
    assert adapter["lora_config"] == {"alpha": None, "rank": 8}
    assert adapter["model"] == "default/base-model"


def test_unchecked_enabled_creates_a_disabled_adapter(client):
    """An unticked box is enabled = false; a blank description is null."""
    data = form_data(csrf_token(client))
    del data["enabled"]
    client.post(NEW, data=data)
    adapter = client.get(f"{API}/default/adapters/lora-a").get_json()
    assert adapter["enabled"] is False and adapter["description"] is None


def test_lora_settings_are_ignored_for_other_types(client):
    """LoRA inputs are used only for LoRA-family types."""
    client.post(NEW, data=form_data(csrf_token(client), finetuning_type="dpo",
                                    **{"lora_config-rank": "0"}))
    assert client.get(f"{API}/default/adapters/lora-a").get_json()["lora_config"] is None


def test_invalid_submit_shows_every_message_a_summary_and_keeps_values(client, app):
    """JS off: 422, the page again with a summary linking to each field, values kept."""
    token = csrf_token(client)
    response = client.post(NEW, data=form_data(
        token, name="bad name", model="Base", description="<i>kept</i>",
        **{"lora_config-rank": "0"}))
    page = parse(response)
    assert response.status_code == 422
    summary = one(page, ".error-summary")
    assert summary["role"] == "alert"
    links = {link["href"]: text(link) for link in every(summary, "a")}
    assert {"#name", "#model", "#lora_config-rank"} <= set(links)
    assert links["#name"] == rules.check_name("bad name").msg
    for input_id in ("name", "model", "lora_config-rank"):
        field = one(page, f"input#{input_id}")
        assert field["aria-invalid"] == "true"
        assert f"{input_id}-error" in field["aria-describedby"].split()
        slot = one(page, f"#{input_id}-error")
        assert not slot.has_attr("hidden") and text(slot) == f"Error: {links['#' + input_id]}"
    assert one(page, "input#name")["value"] == "bad name"
    assert text(one(page, "textarea#description")) == "<i>kept</i>"
    assert count(app) == 0


def test_a_taken_name_is_an_inline_error_on_name(client, create):
    """Submitting a name already used: 422 with the message on name, not a crash."""
    create()
    response = client.post(NEW, data=form_data(csrf_token(client)))
    assert response.status_code == 422
    message = "Adapter with name 'lora-a' already exists in workspace 'default'"
    assert message in error_slot(response, "name")


def test_post_without_csrf_token_is_400_and_changes_nothing(client, app):
    """A form POST without a valid CSRF token is refused."""
    data = form_data("wrong-token")
    assert client.post(NEW, data=data).status_code == 400
    del data["csrf_token"]
    assert client.post(NEW, data=data).status_code == 400
    assert count(app) == 0


def test_api_needs_no_csrf_token(client):
    """Scripts post JSON without any token."""
    assert client.post(f"{API}/default/adapters", json=valid_body()).status_code == 201


# --- htmx partials --------------------------------------------------------------------------

def test_htmx_invalid_submit_returns_the_form_partial(client):
    """htmx submit of an invalid form: 422 with only the form (summary included) and its title."""
    token = csrf_token(client)
    response = client.post(NEW, data=form_data(token, fileset="a/b/c"),
                           headers={**HTMX, "HX-Target": "adapter-form"})
    assert response.status_code == 422
    assert [(element.name, element.get("id")) for element in top_level(response)] == [
        ("title", None), ("form", "adapter-form")]  # htmx sets the page title from the <title>
    assert one(response, ".error-summary")["role"] == "alert"
    assert "HX-Target" in response.headers["Vary"]


def test_htmx_valid_submit_is_204_with_hx_location(client):
    """htmx submit of a valid form: 204 and HX-Location to the adapter page."""
    token = csrf_token(client)
    response = client.post(NEW, data=form_data(token),
                           headers={**HTMX, "HX-Target": "adapter-form"})
    assert response.status_code == 204
    assert response.headers["HX-Location"] == (
        '{"path": "/workspaces/default/adapters/lora-a", "target": "#main"}')
    followup = client.get("/workspaces/default/adapters/lora-a",
                          headers={**HTMX, "HX-Target": "main"})
    assert every(followup, "html") == []
    assert text(one(followup, "title")).startswith("lora-a in default")
    assert flash(followup) == "Adapter 'lora-a' created."


def test_per_field_endpoint_returns_only_the_message_slot(client):
    """The per-field check answers just that field's slot: a message, or an empty hidden one."""
    token = csrf_token(client)
    bad = client.post(f"{VALIDATE}?field=model", data=form_data(token, model="a--b"),
                      headers={**HTMX, "HX-Target": "model-error"})
    assert bad.status_code == 200
    (slot,) = top_level(bad)
    assert (slot.name, slot["id"], slot["aria-live"]) == ("p", "model-error", "polite")
    assert text(slot) == f"Error: {rules.check_model('a--b').msg}"
    assert texts(slot, ".visually-hidden") == ["Error:"]  # read out, not shown
    assert not slot.has_attr("hidden")
    good = client.post(f"{VALIDATE}?field=model", data=form_data(token))
    (slot,) = top_level(good)
    assert slot["id"] == "model-error" and slot.has_attr("hidden") and text(slot) == ""


def test_per_field_endpoint_reports_a_taken_name(client, create):
    """Leaving the name field with a taken name shows it inline at once."""
    create()
    response = client.post(f"{VALIDATE}?field=name", data=form_data(csrf_token(client)))
    assert "already exists in workspace 'default'" in error_slot(response, "name")


def test_per_field_endpoint_rejects_unknown_fields_and_missing_tokens(client):
    """An unknown field is a 400; a missing CSRF token too."""
    token = csrf_token(client)
    assert client.post(f"{VALIDATE}?field=csrf_token", data=form_data(token)).status_code == 400
    assert client.post(f"{VALIDATE}?field=zzz", data=form_data(token)).status_code == 400
    assert client.post(f"{VALIDATE}?field=name", data={"name": "x"}).status_code == 400


def test_htmx_requests_carry_the_csrf_token_header(client):
    """Pages give htmx the token in hx-headers, and the header alone is accepted."""
    token = json.loads(one(client.get(NEW), "body")["hx-headers"])["X-CSRFToken"]
    response = client.post(f"{VALIDATE}?field=name", data={"name": "ok"},
                           headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200


# --- parity: one table, three ways in ------------------------------------------------------

PARITY = [
    # (input name, typed value, JSON body change, JSON loc)
    ("name", "bad name", {"name": "bad name"}, ["body", "name"]),
    ("name", "", {"name": ""}, ["body", "name"]),
    ("name", "a" * 256, {"name": "a" * 256}, ["body", "name"]),
    ("name", "..", {"name": ".."}, ["body", "name"]),
    ("name", "abc\n", {"name": "abc\n"}, ["body", "name"]),
    ("name", "naïve", {"name": "naïve"}, ["body", "name"]),
    ("model", "Base", {"model": "Base"}, ["body", "model"]),
    ("model", "a--b", {"model": "a--b"}, ["body", "model"]),
    ("model", "x", {"model": "x"}, ["body", "model"]),
    ("model", "-ab", {"model": "-ab"}, ["body", "model"]),
    ("model", "a/b/c", {"model": "a/b/c"}, ["body", "model"]),
    ("model", "a" * 128, {"model": "a" * 128}, ["body", "model"]),
    ("model", "", {"model": ""}, ["body", "model"]),
    ("fileset", "a/b/c", {"fileset": "a/b/c"}, ["body", "fileset"]),
    ("fileset", "/fs", {"fileset": "/fs"}, ["body", "fileset"]),
    ("fileset", "f s", {"fileset": "f s"}, ["body", "fileset"]),
    ("fileset", "", {"fileset": ""}, ["body", "fileset"]),
    ("finetuning_type", "LORA", {"finetuning_type": "LORA"}, ["body", "finetuning_type"]),
    ("finetuning_type", "", {"finetuning_type": ""}, ["body", "finetuning_type"]),
    ("description", "d" * 1001, {"description": "d" * 1001}, ["body", "description"]),
    ("lora_config-rank", "0", {"lora_config": {"rank": 0}}, ["body", "lora_config", "rank"]),
    ("lora_config-rank", "abc", {"lora_config": {"rank": "abc"}},
     ["body", "lora_config", "rank"]),
    ("lora_config-rank", "1.5", {"lora_config": {"rank": "1.5"}},
     ["body", "lora_config", "rank"]),
    ("lora_config-alpha", "0", {"lora_config": {"rank": 2, "alpha": 0}},
     ["body", "lora_config", "alpha"]),
]


@pytest.mark.parametrize(("input_name", "typed", "json_change", "loc"), PARITY,
                         ids=[f"{p[0]}={p[1][:12]!r}" for p in PARITY])
def test_form_field_check_and_api_agree(client, app, input_name, typed, json_change, loc):
    """The same broken rule fails the same field with the same message, three ways in."""
    token = csrf_token(client)
    typed_form = {input_name: typed}
    if input_name == "lora_config-alpha":
        typed_form["lora_config-rank"] = "2"
    api = client.post(f"{API}/default/adapters", json={**valid_body(), **json_change})
    assert api.status_code == 422
    (entry,) = api.get_json()["detail"]
    assert entry["loc"] == loc
    message = entry["msg"]

    submitted = client.post(NEW, data=form_data(token, **typed_form))
    assert submitted.status_code == 422
    assert error_slot(submitted, input_name) == f"Error: {message}"

    checked = client.post(f"{VALIDATE}?field={input_name}", data=form_data(token, **typed_form))
    assert error_slot(checked, input_name) == f"Error: {message}"
    assert count(app) == 0


# --- the adapter page's actions ---------------------------------------------------------------

def test_disable_and_enable_from_the_adapter_page(client, create):
    """The toggle form flips enabled and confirms it."""
    create()
    url = "/workspaces/default/adapters/lora-a"
    token = csrf_token(client, url)
    response = client.post(f"{url}/enabled", data={"csrf_token": token, "enabled": "false"})
    assert response.status_code == 303
    assert flash(client.get(url)) == "Adapter 'lora-a' disabled."
    assert client.get(f"{API}/default/adapters/lora-a").get_json()["enabled"] is False
    client.post(f"{url}/enabled", data={"csrf_token": token, "enabled": "true"})
    assert client.get(f"{API}/default/adapters/lora-a").get_json()["enabled"] is True


def test_edit_description_from_the_adapter_page(client, create):
    """Saving a description changes it; too long is an inline 422; blank clears it."""
    create(description="old")
    url = "/workspaces/default/adapters/lora-a"
    token = csrf_token(client, url)
    client.post(f"{url}/description", data={"csrf_token": token, "description": "new text"})
    assert client.get(f"{API}/default/adapters/lora-a").get_json()["description"] == "new text"
    too_long = client.post(f"{url}/description",
                           data={"csrf_token": token, "description": "x" * 1001})
    assert too_long.status_code == 422
    assert error_slot(too_long, "description") == (
        f"Error: {rules.check_description('x' * 1001).msg}")
    assert one(too_long, "textarea#description")["aria-invalid"] == "true"
    client.post(f"{url}/description", data={"csrf_token": token, "description": ""})
    assert client.get(f"{API}/default/adapters/lora-a").get_json()["description"] is None


def test_delete_asks_first_then_deletes(client, app, create):
    """GET asks for confirmation and changes nothing; the POST deletes and goes back."""
    create()
    url = "/workspaces/default/adapters/lora-a/delete"
    assert text(one(client.get(url), "h1")) == "Delete lora-a?" and count(app) == 1
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.location.endswith("/workspaces/default/adapters")
    assert count(app) == 0
    assert flash(client.get(response.location)) == "Adapter 'lora-a' deleted."


@pytest.mark.parametrize("action", ["enabled", "description", "delete"])
def test_page_actions_need_a_csrf_token(client, app, create, action):
    """Every HTML POST without a token is a 400 and changes nothing."""
    create()
    before = client.get(f"{API}/default/adapters/lora-a").get_json()
    response = client.post(f"/workspaces/default/adapters/lora-a/{action}",
                           data={"enabled": "false", "description": "x"})
    assert response.status_code == 400
    assert client.get(f"{API}/default/adapters/lora-a").get_json() == before


def test_pages_send_security_headers(client):
    """CSP with scripts from the app and the pinned htmx file only, and friends."""
    from webui import HTMX_CDN_URL

    response = client.get(NEW)
    csp = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {HTMX_CDN_URL};" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    htmx = one(response, f'script[src="{HTMX_CDN_URL}"]')
    assert htmx["integrity"].startswith("sha384-") and htmx["crossorigin"] == "anonymous"
    assert all(script.has_attr("src") for script in every(response, "script"))  # none inline


def test_htmx_can_be_self_hosted_with_one_setting(tmp_path, monkeypatch):
    """HTMX_URL points the page (and the CSP) at a self-hosted copy."""
    from webui import create_app

    monkeypatch.setenv("HTMX_URL", "/static/vendor/htmx.min.js")
    app = create_app({"INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    response = app.test_client().get("/")
    assert one(response, "script[integrity]")["src"] == "/static/vendor/htmx.min.js"
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_a_model_too_long_once_resolved_fails_alike_everywhere(client, app):
    """A bare model that passes alone but not with a long workspace: same message, three ways."""
    workspace = "w" * 120
    new = f"/workspaces/{workspace}/new-adapter"
    message = rules.check_model("base-model", workspace).msg
    assert message.startswith("Model must be at most 127 characters long")
    api = client.post(f"{API}/{workspace}/adapters", json=valid_body())
    assert api.get_json()["detail"] == [
        {"loc": ["body", "model"], "msg": message, "type": "string_too_long"}]
    nested = client.post(f"{API}/{workspace}/models/base-model/adapters", json=valid_body())
    assert nested.get_json()["detail"][0]["loc"] == ["path", "model_name"]
    token = csrf_token(client, new)
    submitted = client.post(new, data=form_data(token))
    assert submitted.status_code == 422 and error_slot(submitted, "model") == f"Error: {message}"
    checked = client.post(f"/workspaces/{workspace}/new-adapter/validate?field=model",
                          data=form_data(token))
    assert error_slot(checked, "model") == f"Error: {message}"
    assert count(app) == 0


def test_listing_results_fragment_does_not_look_up_model_suggestions(app, client, create):
    """The model suggestions feed the filter form only: a results-only answer skips them."""
    from sqlalchemy import event

    create()
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/workspaces/default/adapters", headers={**HTMX, "HX-Target": "results"})
        fragment_statements = list(statements)
        statements.clear()
        client.get("/workspaces/default/adapters")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert fragment_statements
    assert not any("workspace_models" in statement for statement in fragment_statements)
    assert any("workspace_models" in statement for statement in statements)


def test_listing_state_falls_back_field_by_field(client, create):
    """A refused value falls back to its default alone: the other values still apply."""
    for name in ("b-1", "a-1", "c-1"):
        create(name=name)
    page = parse(client.get("/workspaces/default/adapters?page=zz&sort=name&page_size=25"))
    assert listed_names(page) == ["a-1", "b-1", "c-1"]
    assert one(page, "th[aria-sort]")["aria-sort"] == "ascending"
