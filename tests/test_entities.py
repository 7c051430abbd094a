"""The workspaces and members API (NeMo's entities API v2): bodies, rules and answers."""

from __future__ import annotations

import pytest
from conftest import API, valid_body

from webui import accounts

ENTITIES = "/apis/entities/v2/workspaces"
WORKSPACE_KEYS = ["id", "name", "description", "created_at", "updated_at", "created_by",
                  "updated_by"]


@pytest.fixture
def people(app) -> None:
    with app.app_context():
        for name in ("alice", "bob"):
            accounts.create_user(name, "correct horse battery")


def test_create_returns_the_workspace_object(client):
    made = client.post(ENTITIES, json={"name": "research", "description": "Experiments"})
    assert made.status_code == 201
    body = made.get_json()
    assert list(body) == WORKSPACE_KEYS
    assert (body["name"], body["description"], body["created_by"]) == (
        "research", "Experiments", "local")
    assert body["created_at"] == body["updated_at"] and body["created_at"].endswith("Z")
    assert client.get(f"{ENTITIES}/research").get_json() == body


def test_a_taken_name_is_409(client):
    client.post(ENTITIES, json={"name": "research"})
    again = client.post(ENTITIES, json={"name": "research"})
    assert again.status_code == 409
    assert again.get_json() == {"detail": "Workspace 'research' already exists"}


@pytest.mark.parametrize("name", ["a", "1abc", "Abc", "ab--c", "abc-", "ab_c", "a" * 64, 5, None])
def test_a_new_workspace_name_follows_nemos_rule(client, name):
    response = client.post(ENTITIES, json={"name": name})
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["body", "name"]
    assert client.get(ENTITIES).get_json()["data"] == []


def test_put_changes_the_description_and_who_changed_it(client):
    client.post(ENTITIES, json={"name": "research"})
    changed = client.put(f"{ENTITIES}/research", json={"description": "New words"})
    assert changed.status_code == 200
    assert changed.get_json()["description"] == "New words"
    assert changed.get_json()["updated_at"] > changed.get_json()["created_at"]


def test_delete_refuses_a_workspace_with_adapters(client):
    client.post(f"{API}/research/adapters", json=valid_body())
    refused = client.delete(f"{ENTITIES}/research")
    assert refused.status_code == 409
    client.delete(f"{API}/research/adapters/lora-a")
    deleted = client.delete(f"{ENTITIES}/research")
    assert deleted.get_json() == {"id": "research", "message": "Workspace 'research' deleted"}
    assert client.get(f"{ENTITIES}/research").status_code == 404


def test_unknown_workspace_or_member_is_404(client, people):
    assert client.get(f"{ENTITIES}/nowhere").status_code == 404
    assert client.get(f"{ENTITIES}/nowhere/members").status_code == 404
    client.post(ENTITIES, json={"name": "research"})
    assert client.put(f"{ENTITIES}/research/members/bob",
                      json={"roles": ["Viewer"]}).status_code == 404
    assert client.delete(f"{ENTITIES}/research/members/bob").status_code == 404
    assert client.delete(f"{ENTITIES}/research/members/%00bad").status_code == 404


def test_members_add_then_replace_then_remove(client, people):
    client.post(ENTITIES, json={"name": "research"})
    added = client.post(f"{ENTITIES}/research/members?wait_role_propagation=false",
                        json={"principal": "Bob", "roles": ["Viewer"]})
    assert added.status_code == 201
    assert list(added.get_json()) == ["principal", "roles", "granted_at", "granted_by"]
    assert added.get_json()["principal"] == "bob"  # lower-cased
    more = client.post(f"{ENTITIES}/research/members",
                       json={"principal": "bob", "roles": ["Editor"]})
    assert more.get_json()["roles"] == ["Viewer", "Editor"]  # added to what bob had
    replaced = client.put(f"{ENTITIES}/research/members/bob", json={"roles": ["Admin"]})
    assert replaced.get_json()["roles"] == ["Admin"]
    everyone = client.post(f"{ENTITIES}/research/members",
                           json={"principal": "*", "roles": ["Viewer"]})
    assert everyone.status_code == 201
    listed = client.get(f"{ENTITIES}/research/members").get_json()
    assert [(m["principal"], m["roles"]) for m in listed["data"]] == [
        ("*", ["Viewer"]), ("bob", ["Admin"])]
    removed = client.delete(f"{ENTITIES}/research/members/*")
    assert removed.get_json() == {"id": "*",
                                  "message": "Member '*' removed from workspace 'research'"}
    last_admin = client.delete(f"{ENTITIES}/research/members/bob")
    assert last_admin.status_code == 409
    assert last_admin.get_json() == {"detail": "Workspace 'research' must keep at least one Admin"}


@pytest.mark.parametrize("body, field", [
    ({"principal": "nobody", "roles": ["Viewer"]}, "principal"),
    ({"principal": "local", "roles": ["Viewer"]}, "principal"),
    ({"principal": "bob", "roles": ["Owner"]}, "roles"),
    ({"principal": "bob", "roles": []}, "roles"),
    ({"principal": "bob", "roles": "Viewer"}, "roles"),
    ({"principal": "bob"}, "roles"),
    ({"roles": ["Viewer"]}, "principal"),
])
def test_bad_members_are_422_on_their_field(client, people, body, field):
    client.post(ENTITIES, json={"name": "research"})
    response = client.post(f"{ENTITIES}/research/members", json=body)
    assert response.status_code == 422
    assert [entry["loc"] for entry in response.get_json()["detail"]] == [["body", field]]
    assert client.get(f"{ENTITIES}/research/members").get_json() == {"data": []}


def test_the_list_pages_sorts_and_filters_like_the_adapters_list(client):
    for name in ("gamma", "alpha", "beta-two", "beta"):
        client.post(ENTITIES, json={"name": name})
    body = client.get(f"{ENTITIES}?page_size=2&sort=-name").get_json()
    assert [w["name"] for w in body["data"]] == ["gamma", "beta-two"]
    assert body["pagination"] == {"page": 1, "page_size": 2, "current_page_size": 2,
                                  "total_pages": 2, "total_results": 4}
    found = client.get(f"{ENTITIES}?filter[name][$like]=BETA").get_json()
    assert [w["name"] for w in found["data"]] == ["beta", "beta-two"]
    assert found["filter"] == {"name": {"$like": "BETA"}}
    assert client.get(f"{ENTITIES}?sort=model").status_code == 422
    assert client.get(f"{ENTITIES}?filter[model]=x").status_code == 400


def test_a_tokens_last_use_is_written_at_most_once_a_minute(app, client):
    """Using a token records when, but not on every request."""
    from webui.extensions import db
    from webui.models import ApiToken

    with app.app_context():
        user = accounts.create_user("alice", "correct horse battery", platform_admin=True)
        token = accounts.create_token(user, "t")[0]
    app.config["WEBUI_AUTH"] = "on"
    headers = {"Authorization": f"Bearer {token}"}

    def last_used():
        with app.app_context():
            return db.session.query(ApiToken.last_used_at).scalar()

    assert last_used() is None
    client.get(ENTITIES, headers=headers)
    first = last_used()
    client.get(ENTITIES, headers=headers)
    assert first is not None and last_used() == first
    with app.app_context():
        db.session.query(ApiToken).update({"last_used_at": first - accounts.LAST_USED_EVERY})
        db.session.commit()
    client.get(ENTITIES, headers=headers)
    assert last_used() > first
