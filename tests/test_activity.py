"""The activity history: one event for every change of an adapter, a workspace or its members,
written in the change's own transaction and never changed; read through
/apis/webui/v1/workspaces/{ws}/activity and .../adapters/{name}/activity. On SQLite and
PostgreSQL (the `app` fixture)."""

from __future__ import annotations

import pytest
from conftest import API, PASSWORD, signed_in, valid_body
from htmlquery import every, one, text, texts
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from webui import accounts, activity, queries, workspaces
from webui.extensions import db

ACTIVITY = "/apis/webui/v1/workspaces"
ENTITIES = "/apis/entities/v2/workspaces"


def events(client, workspace: str = "default", **params: object) -> list[dict]:
    """A workspace's events, newest first (every page of them)."""
    response = client.get(f"{ACTIVITY}/{workspace}/activity",
                          query_string={"page_size": 100, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["data"]


def stored(app) -> tuple[int, int]:
    """How many adapters and events the database holds."""
    with app.app_context():
        counts = tuple(db.session.scalar(sql(f"SELECT count(*) FROM {table}"))
                       for table in ("adapters", "activity_events"))
        db.session.remove()
    return counts


def test_each_change_of_an_adapter_is_one_event_with_its_old_and_new_values(client):
    body = valid_body(name="lora-a", description="First words",
                      lora_config={"rank": 8, "alpha": 16})
    made = client.post(f"{API}/default/adapters", json=body)
    assert made.status_code == 201
    body = made.get_json()  # as stored: the model with its workspace
    assert client.patch(f"{API}/default/adapters/lora-a",
                        json={"enabled": False, "description": "New words"}).status_code == 200
    assert client.patch(f"{API}/default/adapters/lora-a",
                        json={"fileset": "default/other-set"}).status_code == 200
    assert client.delete(f"{API}/default/adapters/lora-a").status_code == 204
    found = events(client)
    assert [event["kind"] for event in found] == [
        "adapter.deleted", "adapter.changed", "adapter.changed", "adapter.created"]
    assert {(event["actor"], event["workspace"], event["subject"]) for event in found} == {
        ("local", "default", "lora-a")}
    deleted, second, first, created = found
    assert created["changes"] == {
        "model": {"old": None, "new": body["model"]},
        "fileset": {"old": None, "new": body["fileset"]},
        "finetuning_type": {"old": None, "new": body["finetuning_type"]},
        "description": {"old": None, "new": "First words"},
        "enabled": {"old": None, "new": True},
        "lora_config": {"old": None, "new": {"alpha": 16, "rank": 8}}}
    assert first["changes"] == {"description": {"old": "First words", "new": "New words"},
                                "enabled": {"old": True, "new": False}}
    assert second["changes"] == {"fileset": {"old": body["fileset"],
                                             "new": "default/other-set"}}
    assert deleted["changes"]["fileset"] == {"old": "default/other-set", "new": None}
    assert deleted["changes"]["enabled"] == {"old": False, "new": None}
    ids = [event["id"] for event in found]
    assert ids == sorted(ids, reverse=True)
    assert [event["at"] for event in found] == sorted((event["at"] for event in found),
                                                      reverse=True)
    # the adapter is gone, its history is not
    gone = client.get(f"{ACTIVITY}/default/adapters/lora-a/activity")
    assert gone.status_code == 200 and gone.get_json()["data"] == found


def test_workspace_and_membership_changes_are_events_too(app, client):
    with app.app_context():
        accounts.create_user("bob", PASSWORD)
    assert client.post(ENTITIES, json={"name": "research",
                                       "description": "Experiments"}).status_code == 201
    assert client.put(f"{ENTITIES}/research",
                      json={"description": "Trials"}).status_code == 200
    members = f"{ENTITIES}/research/members"
    assert client.post(members, json={"principal": "bob", "roles": ["Viewer"]}).status_code == 201
    assert client.put(f"{members}/bob", json={"roles": ["Editor"]}).status_code == 200
    assert client.delete(f"{members}/bob").status_code in (200, 204)
    assert client.delete(f"{ENTITIES}/research").status_code == 200
    found = events(client, "research")
    assert [(event["kind"], event["subject"], event["changes"]) for event in found] == [
        ("workspace.deleted", None, {"description": {"old": "Trials", "new": None}}),
        ("member.removed", "bob", {"roles": {"old": "Editor", "new": None}}),
        ("member.changed", "bob", {"roles": {"old": "Viewer", "new": "Editor"}}),
        ("member.added", "bob", {"roles": {"old": None, "new": "Viewer"}}),
        ("workspace.changed", None, {"description": {"old": "Experiments", "new": "Trials"}}),
        ("workspace.created", None, {"description": {"old": None, "new": "Experiments"}}),
    ]


def test_a_refused_change_writes_no_event(app, client):
    assert client.post(f"{API}/default/adapters", json=valid_body()).status_code == 201
    before = stored(app)
    refused = [
        client.post(f"{API}/default/adapters", json=valid_body()),  # the name is taken
        client.post(f"{API}/default/adapters", json=valid_body(name="Bad Name")),
        client.patch(f"{API}/default/adapters/nowhere", json={"enabled": False}),
        client.patch(f"{API}/default/adapters/lora-a", json={"enabled": "maybe"}),
        client.delete(f"{API}/default/adapters/nowhere"),
        client.post(ENTITIES, json={"name": "x"}),
        client.delete(f"{ENTITIES}/default"),  # it holds an adapter
    ]
    assert [response.status_code for response in refused] == [409, 422, 404, 422, 404, 422, 409]
    assert stored(app) == before


@pytest.mark.parametrize("failing", ["the event", "the commit"])
def test_a_change_and_its_event_are_stored_together_or_not_at_all(app, monkeypatch, failing):
    """A failure between the change and its event, or after the event before the commit,
    leaves neither."""
    with app.app_context():
        queries.create_adapter("default", valid_body(name="kept"))
        db.session.remove()
    before = stored(app)

    def fail(*_args, **_kwargs):
        raise RuntimeError("injected")

    if failing == "the event":
        monkeypatch.setattr(activity, "record", fail)
    else:
        record = activity.record

        def record_then_fail(*args, **kwargs):
            record(*args, **kwargs)
            raise RuntimeError("injected after the event")
        monkeypatch.setattr(activity, "record", record_then_fail)
    with app.app_context():
        for change in (lambda: queries.create_adapter("default", valid_body(name="lost")),
                       lambda: queries.update_adapter("default", "kept", {"enabled": False}),
                       lambda: queries.delete_adapter("default", "kept"),
                       lambda: workspaces.create_workspace("research", None, "local")):
            with pytest.raises(RuntimeError):
                change()
            db.session.rollback()
        db.session.remove()
    assert stored(app) == before
    with app.app_context():
        adapter = queries.get_adapter("default", "kept")
        assert adapter is not None and adapter.enabled is True
        assert workspaces.get_workspace("research") is None
        db.session.remove()


@pytest.mark.parametrize("statement", ["UPDATE activity_events SET actor = 'someone'",
                                       "DELETE FROM activity_events"])
def test_events_are_never_changed_or_deleted(app, client, statement):
    client.post(f"{API}/default/adapters", json=valid_body())
    before = events(client)
    with app.app_context():
        with pytest.raises(DBAPIError, match="never changed or deleted"):
            db.session.execute(sql(statement))
        db.session.rollback()
        db.session.remove()
    assert events(client) == before


def test_the_activity_is_paged_and_filtered(client):
    for number in range(5):
        client.post(f"{API}/default/adapters", json=valid_body(name=f"a-{number}"))
    client.patch(f"{API}/default/adapters/a-1", json={"enabled": False})
    client.delete(f"{API}/default/adapters/a-2")
    page = client.get(f"{ACTIVITY}/default/activity", query_string={"page": 2, "page_size": 3})
    assert page.get_json()["pagination"] == {"page": 2, "page_size": 3, "current_page_size": 3,
                                              "total_pages": 3, "total_results": 7}
    everything = events(client)
    assert page.get_json()["data"] == everything[3:6]
    assert [event["subject"] for event in events(client, kind="adapter.created")] == [
        "a-4", "a-3", "a-2", "a-1", "a-0"]
    assert [event["kind"] for event in events(client, adapter="a-1")] == [
        "adapter.changed", "adapter.created"]
    assert events(client, actor="local") == everything
    assert events(client, actor="nobody") == []
    newest = everything[0]["at"]
    assert events(client, since=newest) == everything[:1]
    assert events(client, until=newest) == everything[1:]
    assert events(client, "elsewhere") == []


@pytest.mark.parametrize(("params", "loc"), [
    ({"kind": "adapter.renamed"}, ["query", "kind"]),
    ({"actor": "Not A User"}, ["query", "actor"]),
    ({"actor": "nul\x00"}, ["query", "actor"]),
    ({"adapter": "a" * 256}, ["query", "adapter"]),
    ({"since": "yesterday"}, ["query", "since"]),
    ({"until": "2026-13-01"}, ["query", "until"]),
    ({"page": 0}, ["query", "page"]),
    ({"page_size": "many"}, ["query", "page_size"]),
])
def test_bad_parameters_are_422_with_where(client, params, loc):
    response = client.get(f"{ACTIVITY}/default/activity", query_string=params)
    assert response.status_code == 422
    assert [entry["loc"] for entry in response.get_json()["detail"]] == [loc]


def test_a_bad_workspace_or_adapter_name_is_422(client):
    assert client.get(f"{ACTIVITY}/Bad%20Space/activity").status_code == 422
    response = client.get(f"{ACTIVITY}/default/adapters/..%20x/activity")
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["path", "name"]


@pytest.fixture
def research(app) -> None:
    """Sign-in on: 'research', made by its owner, with a Viewer; and an outsider."""
    with app.app_context():
        for name in ("owner", "viewer", "outsider"):
            accounts.create_user(name, PASSWORD)
        workspaces.create_workspace("research", None, "owner")
        workspaces.set_member("research", "viewer", ["Viewer"], "owner", add=True)
        db.session.remove()


@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_a_viewer_may_read_the_activity_and_an_outsider_may_not(app, client, research):
    with app.app_context():
        queries.create_adapter("research", valid_body(), "owner")
        tokens = {name: accounts.create_token(accounts.existing_user(name), "t")[0]
                  for name in ("viewer", "outsider")}
        db.session.remove()
    for path in (f"{ACTIVITY}/research/activity", f"{ACTIVITY}/research/adapters/lora-a/activity"):
        seen = client.get(path, headers={"Authorization": f"Bearer {tokens['viewer']}"})
        assert seen.status_code == 200
        assert [event["actor"] for event in seen.get_json()["data"]][-1] == "owner"
        refused = client.get(path, headers={"Authorization": f"Bearer {tokens['outsider']}"})
        assert refused.status_code == 403
        assert client.get(path).status_code == 401


# --- the pages ------------------------------------------------------------------------------

PAGE = "/workspaces/default/activity"


def lines(page) -> list[str]:
    """Each event's line, as the page says it (without how long ago)."""
    return [line.split(" · ")[0] for line in texts(page, ".timeline .event-line")]


def test_the_activity_page_tells_who_changed_what_and_each_old_and_new_value(client):
    client.post(f"{API}/default/adapters", json=valid_body(name="lora-a", description="Old"))
    client.patch(f"{API}/default/adapters/lora-a", json={"enabled": False, "description": "New"})
    client.post(f"{API}/default/adapters", json=valid_body(name="gone"))
    client.delete(f"{API}/default/adapters/gone")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert lines(page) == ["local deleted adapter gone", "local created adapter gone",
                           "local changed adapter lora-a", "local created adapter lora-a"]
    assert text(one(page, "#activity-count")) == "1–4 of 4 changes, newest first"
    changed = every(page, ".timeline .event")[2]
    assert texts(changed, ".changes dt") == ["Description", "Enabled"]
    assert texts(changed, ".changes dd") == ["was Old → now New", "was yes → now no"]
    # a deleted adapter is named, not linked; one that exists links to its page
    assert every(page, ".timeline .event")[0].select(".event-line a") == []
    assert one(changed, ".event-line a")["href"] == "/workspaces/default/adapters/lora-a"
    # the workspace's listing leads here
    listing = client.get("/workspaces/default/adapters")
    assert [link["href"] for link in every(listing, ".head-actions a")
            if text(link) == "Activity"] == [PAGE]


def test_the_activity_page_filters_and_pages(client):
    for number in range(30):
        client.post(f"{API}/default/adapters", json=valid_body(name=f"a-{number:02d}"))
    client.patch(f"{API}/default/adapters/a-03", json={"enabled": False})
    first = client.get(PAGE)
    assert text(one(first, "#activity-count")) == "1–25 of 31 changes, newest first"
    assert one(first, ".pagination a[rel=next]")["href"] == f"{PAGE}?page=2"
    second = client.get(PAGE, query_string={"page": 2})
    assert len(every(second, ".timeline .event")) == 6
    only = client.get(PAGE, query_string={"adapter": "a-03"})
    assert lines(only) == ["local changed adapter a-03", "local created adapter a-03"]
    assert one(only, "#activity-adapter")["value"] == "a-03"
    changes = client.get(PAGE, query_string={"kind": "adapter.changed"})
    assert lines(changes) == ["local changed adapter a-03"]
    assert one(changes, "#activity-kind option[selected]")["value"] == "adapter.changed"
    assert "No changes match" in text(one(client.get(PAGE, query_string={"actor": "x"}),
                                          ".empty"))
    past = client.get(PAGE, query_string={"page": 9})
    assert one(past, ".past-end a")["href"] == f"{PAGE}?page=2"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("kind", "<b>nope</b>", "'kind' must be one of"),
    ("actor", "Bad Person", "'actor' may contain only"),
    ("adapter", "no/slash", "may contain only"),
    ("actor", "nul\x00", "must not contain NUL characters"),
    ("actor", "x" * 65, "at most 64"),
])
def test_a_refused_filter_is_422_at_its_field_and_not_applied(client, key, value, message):
    client.post(f"{API}/default/adapters", json=valid_body())
    refused = client.get(PAGE, query_string={key: value})
    assert refused.status_code == 422
    assert one(refused, f"#activity-{key}")["aria-invalid"] == "true"
    assert message in text(one(refused, f"#activity-{key}-error"))
    assert text(one(refused, "title")).startswith("Error: ")
    assert "<b>nope" not in refused.get_data(as_text=True)
    assert lines(refused) == ["local created adapter lora-a"]  # the filter is not applied


def test_a_bad_workspace_name_is_404_on_the_page(client):
    assert client.get("/workspaces/Bad%20Space/activity").status_code == 404


def test_the_adapter_page_shows_its_newest_changes_and_leads_to_the_rest(client):
    client.post(f"{API}/default/adapters", json=valid_body(name="lora-a"))
    for number in range(6):
        client.patch(f"{API}/default/adapters/lora-a", json={"description": f"Take {number}"})
    page = client.get("/workspaces/default/adapters/lora-a")
    history = one(page, "section[aria-labelledby=history-title]")
    assert len(every(history, ".timeline .event")) == 5
    assert texts(history, ".timeline .event .changes dd")[0] == "was Take 4 → now Take 5"
    link = one(history, "p > a")
    assert text(link) == "All 7 changes of lora-a"
    assert link["href"] == f"{PAGE}?adapter=lora-a"


@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_a_viewer_may_open_the_activity_page_and_an_outsider_may_not(app, client, research):
    signed_in(client, "viewer")
    seen = client.get("/workspaces/research/activity")
    assert seen.status_code == 200
    assert lines(seen) == ["owner gave roles to viewer", "owner gave roles to owner",
                           "owner created the workspace"]
    client.post("/logout")
    other = app.test_client()
    signed_in(other, "outsider")
    assert other.get("/workspaces/research/activity").status_code == 403


def test_the_adapter_page_does_not_repeat_its_values_in_its_creation(client):
    """The details show the adapter's values once; its History says it was created, by whom,
    without listing them again (the workspace's activity does list them)."""
    client.post(f"{API}/default/adapters", json=valid_body(name="lora-a", description="Once"))
    page = client.get("/workspaces/default/adapters/lora-a")
    history = one(page, "section[aria-labelledby=history-title]")
    assert lines(history) == ["local created adapter"]
    assert every(history, ".changes") == []
    assert "Once" in texts(client.get(PAGE), ".timeline .changes dd")


def test_past_the_cap_the_count_says_more_than(client, monkeypatch):
    """A busy workspace's events are counted up to activity.COUNT_MOST, then "more than", on
    the page, the adapter page and in the API; the pages stop there."""
    monkeypatch.setattr(activity, "COUNT_MOST", 4)
    client.post(f"{API}/default/adapters", json=valid_body(name="lora-a"))
    for number in range(5):
        client.patch(f"{API}/default/adapters/lora-a", json={"description": f"Take {number}"})
    page = client.get(PAGE, query_string={"page_size": 25})
    assert text(one(page, "#activity-count")) == "1–4 of more than 4 changes, newest first"
    assert len(every(page, ".timeline .event")) == 4
    assert "Only the newest 4" in page.get_data(as_text=True)
    adapter = client.get("/workspaces/default/adapters/lora-a")
    assert text(one(adapter, "section[aria-labelledby=history-title] p > a")) == (
        "All more than 4 changes of lora-a")
    listed = client.get(f"{ACTIVITY}/default/activity", query_string={"page_size": 3,
                                                                      "page": 2}).get_json()
    assert listed["pagination"] == {"page": 2, "page_size": 3, "current_page_size": 1,
                                    "total_pages": 2, "total_results": 4}
    monkeypatch.setattr(activity, "COUNT_MOST", 1000)
    assert text(one(client.get(PAGE), "#activity-count")) == "1–6 of 6 changes, newest first"
