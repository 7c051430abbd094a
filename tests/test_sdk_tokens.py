"""The official nemo-platform SDK (0.3.0), unchanged, with ``access_token=`` against the app
served on a socket with sign-in on: every adapters call, the workspaces and members calls, and
the SDK's own error classes for a bad token and a Viewer's write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import PASSWORD
from nemo_platform import AuthenticationError, NeMoPlatform, PermissionDeniedError

from webui import accounts, workspaces


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WEBUI_AUTH": "on"}


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """alice, Admin of 'team'; vic, its Viewer: a token each."""
    with app.app_context():
        alice = accounts.create_user("alice", PASSWORD)
        vic = accounts.create_user("vic", PASSWORD)
        workspaces.create_workspace("team", None, "alice")
        workspaces.set_member("team", "vic", ["Viewer"], "alice", add=True)
        return {"alice": accounts.create_token(alice, "sdk")[0],
                "vic": accounts.create_token(vic, "sdk")[0]}


@pytest.fixture
def connect(live_server: str, tmp_path, monkeypatch) -> Iterator:
    """Make SDK clients as a script would: base_url, workspace and access_token."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no config file of the machine's own
    for name in ("NMP_BASE_URL", "NMP_ACCESS_TOKEN", "NMP_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    made: list[NeMoPlatform] = []

    def connect(token: str, workspace: str = "team") -> NeMoPlatform:
        client = NeMoPlatform(base_url=live_server, workspace=workspace, access_token=token,
                              max_retries=0)
        made.append(client)
        return client

    yield connect
    for client in made:
        client.close()


def test_every_adapters_call_works_with_a_token(connect, tokens):
    """create, retrieve, list, update, delete and the nested routes, as the token's owner."""
    sdk = connect(tokens["alice"])
    made = sdk.adapters.create(name="lora-a", model="base-model", fileset="fs",
                               finetuning_type="lora")
    assert (made.workspace, made.model) == ("team", "team/base-model")
    assert sdk.adapters.retrieve("lora-a").name == "lora-a"
    assert [adapter.name for adapter in sdk.adapters.list()] == ["lora-a"]
    assert sdk.adapters.patch("lora-a", enabled=False).enabled is False
    nested = sdk.models.adapters.create("base-model", name="lora-b", fileset="fs",
                                        finetuning_type="dpo")
    assert nested.model == "team/base-model"
    sdk.models.adapters.update("lora-b", model_name="base-model", description="x")
    sdk.models.adapters.delete("lora-b", model_name="base-model")
    sdk.adapters.delete("lora-a")
    assert list(sdk.adapters.list()) == []


def test_workspaces_and_members_calls_work_with_a_token(connect, tokens):
    """client.workspaces.* and client.workspaces.members.* against the entities API."""
    sdk = connect(tokens["alice"])
    made = sdk.workspaces.create(name="research", description="Experiments")
    assert (made.name, made.created_by, made.description) == ("research", "alice", "Experiments")
    assert {workspace.name for workspace in sdk.workspaces.list()} == {"team", "research"}
    assert sdk.workspaces.retrieve("research").id == made.id
    assert sdk.workspaces.update("research", description="Changed").description == "Changed"
    member = sdk.workspaces.members.create(workspace="research", principal="vic",
                                           roles=["Viewer"])
    assert (member.principal, member.roles, member.granted_by) == ("vic", ["Viewer"], "alice")
    changed = sdk.workspaces.members.update(principal_id="vic", workspace="research",
                                            roles=["Editor"])
    assert changed.roles == ["Editor"]
    listed = sdk.workspaces.members.list(workspace="research").data
    assert {(m.principal, tuple(m.roles)) for m in listed} == {("alice", ("Admin",)),
                                                               ("vic", ("Editor",))}
    removed = sdk.workspaces.members.delete(principal_id="vic", workspace="research")
    assert removed.id == "vic"
    assert sdk.workspaces.delete("research").id == "research"


def test_a_bad_token_raises_authentication_error(connect, tokens):
    """An unknown token: the SDK's AuthenticationError (401)."""
    sdk = connect("wui_" + "A" * 43)
    with pytest.raises(AuthenticationError) as raised:
        sdk.adapters.list()
    assert raised.value.status_code == 401


def test_a_viewers_write_raises_permission_denied(connect, tokens):
    """A Viewer reads, and a write is the SDK's PermissionDeniedError (403)."""
    sdk = connect(tokens["vic"])
    assert list(sdk.adapters.list()) == []
    with pytest.raises(PermissionDeniedError) as raised:
        sdk.adapters.create(name="nope", model="base-model", fileset="fs",
                            finetuning_type="lora")
    assert raised.value.status_code == 403
