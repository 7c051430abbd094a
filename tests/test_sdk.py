"""Compatibility: the official nemo-platform SDK (0.3.0) drives the app in-process, unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import unquote

import httpx
import pytest
from flask import Flask
from nemo_platform import (
    BadRequestError,
    ConflictError,
    NeMoPlatform,
    NotFoundError,
    UnprocessableEntityError,
)

ADAPTER_KEYS = [
    "name", "workspace", "description", "fileset", "finetuning_type", "enabled", "lora_config",
    "model", "created_at", "updated_at",
]


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Every request the SDK sends, in order."""
    return []


@pytest.fixture
def sdk(app: Flask, sent: list[httpx.Request]) -> Iterator[NeMoPlatform]:
    """The real SDK client, talking to the app through WSGI (no socket, no retries)."""
    http_client = httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url="http://localhost",
        event_hooks={"request": [sent.append]},
    )
    client = NeMoPlatform(
        base_url="http://localhost", workspace="default", max_retries=0, http_client=http_client
    )
    yield client
    client.close()


def make(sdk: NeMoPlatform, name: str, **overrides: object):
    """Create an adapter through the SDK with valid required fields, replaced as asked."""
    fields: dict[str, object] = {
        "model": "base-model", "fileset": "default/fs1", "finetuning_type": "lora",
    }
    fields.update(overrides)
    return sdk.adapters.create(name=name, **fields)


def sent_query(request: httpx.Request) -> list[tuple[str, str]]:
    """The decoded query items of a request, in the order sent."""
    return [(unquote(key), unquote(value)) for key, value in request.url.params.multi_items()]


def test_create_minimal_returns_defaults_and_resolved_model(sdk):
    """A create with only required fields returns defaults and the model as workspace/model."""
    before = datetime.now(UTC)
    adapter = make(sdk, "lora-a")
    after = datetime.now(UTC)
    assert adapter.name == "lora-a"
    assert adapter.workspace == "default"
    assert adapter.model == "default/base-model"
    assert adapter.fileset == "default/fs1"
    assert adapter.finetuning_type == "lora"
    assert adapter.description is None
    assert adapter.enabled is True
    assert adapter.lora_config is None
    assert isinstance(adapter.created_at, datetime)
    assert adapter.created_at.utcoffset().total_seconds() == 0
    assert adapter.created_at == adapter.updated_at
    assert before.replace(microsecond=0) <= adapter.created_at <= after


def test_create_with_optional_fields_returns_them(sdk):
    """Description, enabled=False and lora_config given at create come back as sent."""
    adapter = make(
        sdk, "lora-b", description="tuned on legal text", enabled=False,
        lora_config={"rank": 8, "alpha": 16}, model="other/base-model", fileset="fs2",
        finetuning_type="dora",
    )
    assert adapter.description == "tuned on legal text"
    assert adapter.enabled is False
    assert adapter.lora_config is not None
    assert (adapter.lora_config.rank, adapter.lora_config.alpha) == (8, 16)
    assert adapter.model == "other/base-model"
    assert adapter.fileset == "fs2"
    assert adapter.finetuning_type == "dora"


def test_create_lora_config_without_alpha(sdk):
    """A lora_config with only rank comes back with alpha None."""
    adapter = make(sdk, "lora-c", lora_config={"rank": 4})
    assert adapter.lora_config is not None
    assert adapter.lora_config.rank == 4
    assert adapter.lora_config.alpha is None


def test_retrieve_returns_the_created_adapter(sdk):
    """Retrieve returns exactly what create returned."""
    created = make(sdk, "lora-a", description="d", lora_config={"rank": 2, "alpha": 3})
    fetched = sdk.adapters.retrieve("lora-a")
    assert fetched == created
    assert fetched.model == "default/base-model"


def test_raw_retrieve_has_contract_keys_in_order(sdk):
    """The raw JSON of an Adapter has exactly the contract's keys, in the contract's order."""
    make(sdk, "lora-a", lora_config={"rank": 8, "alpha": 16})
    raw = sdk.adapters.with_raw_response.retrieve("lora-a")
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    body = raw.json()
    assert list(body) == ADAPTER_KEYS
    assert list(body["lora_config"]) == ["alpha", "rank"]
    assert body["lora_config"] == {"alpha": 16, "rank": 8}
    assert body["description"] is None
    assert body["model"] == "default/base-model"
    assert body["created_at"].endswith("Z")
    assert body["created_at"] == body["updated_at"]
    assert raw.parse().name == "lora-a"


def test_list_iteration_walks_every_page_in_created_order(sdk, sent):
    """Iterating a list with page_size=3 over 7 adapters yields each once, oldest first."""
    names = ["g7", "c3", "e5", "a1", "f6", "b2", "d4"]  # created in this (non-alphabetical) order
    created = [make(sdk, name) for name in names]
    expected = [a.name for a in sorted(created, key=lambda a: (a.created_at, a.name))]
    assert expected == names  # timestamps strictly increase in creation order
    sent.clear()
    first = sdk.adapters.list(page_size=3)
    assert [a.name for a in first.data] == names[:3]
    assert first.pagination is not None
    assert first.pagination.page == 1
    assert first.pagination.page_size == 3
    assert first.pagination.current_page_size == 3
    assert first.pagination.total_pages == 3
    assert first.pagination.total_results == 7
    seen = [adapter.name for adapter in first]
    assert seen == names
    assert len(set(seen)) == 7
    pages = [dict(sent_query(request)).get("page") for request in sent]
    assert pages == [None, "2", "3"]  # the SDK stopped at total_pages: no 4th request


def test_list_pages_report_their_pagination(sdk):
    """iter_pages gives pages of 3, 3, 1 with page numbers 1, 2, 3."""
    for index in range(7):
        make(sdk, f"ad-{index}")
    pages = list(sdk.adapters.list(page_size=3).iter_pages())
    assert [len(page.data) for page in pages] == [3, 3, 1]
    assert [page.pagination.page for page in pages] == [1, 2, 3]
    assert [page.pagination.current_page_size for page in pages] == [3, 3, 1]
    assert {page.pagination.total_pages for page in pages} == {3}
    assert {page.pagination.total_results for page in pages} == {7}


def test_list_explicit_page_and_past_the_end(sdk):
    """page=2 returns the second slice; a page past the end returns no data."""
    for name in ["a", "b", "c"]:
        make(sdk, f"x-{name}")
    second = sdk.adapters.list(page=2, page_size=2)
    assert [a.name for a in second.data] == ["x-c"]
    assert second.pagination.page == 2
    assert second.pagination.total_pages == 2
    beyond = sdk.adapters.list(page=5, page_size=2)
    assert beyond.data == []
    assert beyond.pagination.total_results == 3
    assert list(beyond) == []


def test_list_empty_workspace(sdk):
    """An empty workspace lists nothing, with total_pages 0."""
    page = sdk.adapters.list()
    assert page.data == []
    assert page.pagination.total_results == 0
    assert page.pagination.total_pages == 0
    assert page.pagination.page_size == 100


def test_list_filter_like_in_enabled_with_sort(sdk, sent):
    """The SDK's bracket filter ($like, $in list, enabled bool) and sort select the right rows."""
    make(sdk, "Alpha-lora", finetuning_type="lora", enabled=False)
    make(sdk, "alpha-dora", finetuning_type="dora", enabled=False)
    make(sdk, "alpha-qlora", finetuning_type="qlora", enabled=False)
    make(sdk, "ALPHA-dpo", finetuning_type="dpo", enabled=False)
    make(sdk, "alpha-on", finetuning_type="lora", enabled=True)
    make(sdk, "beta-lora", finetuning_type="lora", enabled=False)
    sent.clear()
    page = sdk.adapters.list(
        filter={
            "name": {"$like": "ALPHA"},
            "finetuning_type": {"$in": ["lora", "dora", "dpo"]},
            "enabled": False,
        },
        sort="-name",
    )
    assert [a.name for a in page.data] == ["alpha-dora", "Alpha-lora", "ALPHA-dpo"]
    assert page.pagination.total_results == 3
    assert page.to_dict()["filter"] == {
        "name": {"$like": "ALPHA"},
        "finetuning_type": {"$in": ["lora", "dora", "dpo"]},
        "enabled": False,
    }
    assert page.to_dict()["sort"] == "-name"
    assert sent_query(sent[0]) == [
        ("filter[name][$like]", "ALPHA"),
        ("filter[finetuning_type][$in]", "lora,dora,dpo"),
        ("filter[enabled]", "false"),
        ("sort", "-name"),
    ]


def test_list_filter_sdk_operator_names_and_equality(sdk):
    """The SDK's own operator names (like, in_) and a bare value (equals) filter too."""
    make(sdk, "m-one", model="llama-3")
    make(sdk, "m-two", model="mistral-7b")
    make(sdk, "m-three", model="llama-3", description="keep me")
    by_model = sdk.adapters.list(filter={"model": "default/llama-3"}, sort="name")
    assert [a.name for a in by_model.data] == ["m-one", "m-three"]
    by_like = sdk.adapters.list(filter={"description": {"like": "KEEP"}})
    assert [a.name for a in by_like.data] == ["m-three"]
    by_in = sdk.adapters.list(filter={"name": {"in_": ["m-two", "m-one"]}}, sort="-created_at")
    assert [a.name for a in by_in.data] == ["m-two", "m-one"]


def test_list_filter_enabled_true_and_timestamp(sdk):
    """enabled=True and a created_at $gte bound filter as expected."""
    first = make(sdk, "t-1", enabled=True)
    make(sdk, "t-2", enabled=False)
    third = make(sdk, "t-3", enabled=True)
    enabled = sdk.adapters.list(filter={"enabled": True})
    assert [a.name for a in enabled.data] == ["t-1", "t-3"]
    bound = third.created_at.isoformat().replace("+00:00", "Z")
    recent = sdk.adapters.list(filter={"created_at": {"gte": bound}})
    assert [a.name for a in recent.data] == ["t-3"]
    assert first.created_at < third.created_at


def test_list_sort_orders(sdk):
    """sort by name, -finetuning_type and model orders the whole list (ties broken by name)."""
    make(sdk, "s-b", finetuning_type="lora", model="zz-model")
    make(sdk, "s-c", finetuning_type="dpo", model="aa-model")
    make(sdk, "s-a", finetuning_type="qlora", model="aa-model")
    assert [a.name for a in sdk.adapters.list(sort="name")] == ["s-a", "s-b", "s-c"]
    assert [a.name for a in sdk.adapters.list(sort="-name")] == ["s-c", "s-b", "s-a"]
    assert [a.name for a in sdk.adapters.list(sort="-finetuning_type")] == ["s-a", "s-b", "s-c"]
    assert [a.name for a in sdk.adapters.list(sort="model")] == ["s-a", "s-c", "s-b"]
    assert [a.name for a in sdk.adapters.list()] == ["s-b", "s-c", "s-a"]


def test_patch_changes_fields_and_updated_at_only(sdk):
    """Patch sets description/enabled/fileset and a later updated_at; created_at stays."""
    created = make(sdk, "p-1", description="old", lora_config={"rank": 8})
    patched = sdk.adapters.patch(
        "p-1", description="new text", enabled=False, fileset="default/fs9"
    )
    assert patched.description == "new text"
    assert patched.enabled is False
    assert patched.fileset == "default/fs9"
    assert patched.created_at == created.created_at
    assert patched.updated_at > created.updated_at
    assert patched.model == created.model
    assert patched.lora_config == created.lora_config
    assert sdk.adapters.retrieve("p-1") == patched


def test_patch_single_field_leaves_the_rest(sdk):
    """A patch of enabled alone leaves description and fileset as they were."""
    make(sdk, "p-2", description="keep", fileset="fs1")
    first = sdk.adapters.patch("p-2", enabled=False)
    assert (first.enabled, first.description, first.fileset) == (False, "keep", "fs1")
    second = sdk.adapters.patch("p-2", description=None)  # sent as null: left unchanged
    assert second.description == "keep"
    assert second.updated_at > first.updated_at
    assert second.created_at == first.created_at


def test_patch_missing_adapter_raises_not_found(sdk):
    """Patching an adapter that does not exist raises NotFoundError."""
    with pytest.raises(NotFoundError) as caught:
        sdk.adapters.patch("ghost", enabled=False)
    assert caught.value.status_code == 404
    assert caught.value.body == {"detail": "Adapter 'ghost' not found in workspace 'default'"}


def test_delete_then_retrieve_raises_not_found(sdk):
    """Delete returns None, and the adapter is then gone."""
    make(sdk, "d-1")
    make(sdk, "d-2")
    assert sdk.adapters.delete("d-1") is None
    with pytest.raises(NotFoundError):
        sdk.adapters.retrieve("d-1")
    assert [a.name for a in sdk.adapters.list()] == ["d-2"]
    with pytest.raises(NotFoundError):
        sdk.adapters.delete("d-1")


def test_not_found_error_body(sdk):
    """Retrieving an unknown adapter raises NotFoundError with the contract's detail."""
    with pytest.raises(NotFoundError) as caught:
        sdk.adapters.retrieve("x")
    assert caught.value.status_code == 404
    assert caught.value.body == {"detail": "Adapter 'x' not found in workspace 'default'"}


def test_duplicate_create_raises_conflict(sdk, sent):
    """A second create with a taken name raises ConflictError, in one attempt."""
    make(sdk, "dup", model="model-one")
    sent.clear()
    with pytest.raises(ConflictError) as caught:
        make(sdk, "dup", model="model-two")
    assert caught.value.status_code == 409
    assert caught.value.body == {
        "detail": "Adapter with name 'dup' already exists in workspace 'default'"
    }
    assert len(sent) == 1
    assert sdk.adapters.retrieve("dup").model == "default/model-one"


def test_invalid_name_raises_unprocessable(sdk):
    """A name with a space raises UnprocessableEntityError with loc ['body', 'name']."""
    with pytest.raises(UnprocessableEntityError) as caught:
        make(sdk, "bad name")
    assert caught.value.status_code == 422
    detail = caught.value.body["detail"]
    assert isinstance(detail, list)
    assert [entry["loc"] for entry in detail] == [["body", "name"]]
    assert detail[0]["msg"] == "Name may contain only letters, digits, '_', '-' and '.'"
    assert detail[0]["type"]
    assert sdk.adapters.list().pagination.total_results == 0


def test_invalid_lora_rank_and_type_raise_unprocessable(sdk):
    """Every broken field gets its own 422 entry."""
    with pytest.raises(UnprocessableEntityError) as caught:
        make(sdk, "ok-name", finetuning_type="LORA", lora_config={"rank": 0})
    locs = sorted(entry["loc"] for entry in caught.value.body["detail"])
    assert locs == [["body", "finetuning_type"], ["body", "lora_config", "rank"]]


def test_unknown_filter_field_raises_bad_request(sdk):
    """A filter on an unknown field raises BadRequestError naming the field."""
    with pytest.raises(BadRequestError) as caught:
        sdk.adapters.list(filter={"foo": "x"})
    assert caught.value.status_code == 400
    detail = caught.value.body["detail"]
    assert detail.startswith("Unknown filter field 'foo'. Valid fields: [")
    assert "'finetuning_type'" in detail


def test_bad_sort_raises_unprocessable(sdk):
    """An unknown sort key raises UnprocessableEntityError at loc ['query', 'sort']."""
    with pytest.raises(UnprocessableEntityError) as caught:
        sdk.adapters.list(sort="lora_config")
    assert [entry["loc"] for entry in caught.value.body["detail"]] == [["query", "sort"]]


def test_nested_create_takes_model_from_path(sdk, sent):
    """models.adapters.create stores model as workspace/model_name from the path."""
    adapter = sdk.models.adapters.create(
        "llama-3", name="n-1", fileset="fs1", finetuning_type="qlora",
        description="nested", enabled=False, lora_config={"rank": 16, "alpha": 32},
    )
    assert sent[-1].url.path == "/apis/models/v2/workspaces/default/models/llama-3/adapters"
    assert adapter.name == "n-1"
    assert adapter.model == "default/llama-3"
    assert adapter.workspace == "default"
    assert (adapter.description, adapter.enabled) == ("nested", False)
    assert (adapter.lora_config.rank, adapter.lora_config.alpha) == (16, 32)
    assert sdk.adapters.retrieve("n-1") == adapter


def test_nested_create_duplicate_raises_conflict(sdk):
    """A nested create with a name taken under another model raises ConflictError."""
    make(sdk, "shared", model="model-one")
    with pytest.raises(ConflictError):
        sdk.models.adapters.create(
            "model-two", name="shared", fileset="fs1", finetuning_type="lora"
        )


def test_nested_update_and_delete(sdk):
    """models.adapters.update/delete work through the adapter's own model."""
    created = sdk.models.adapters.create(
        "llama-3", name="n-2", fileset="fs1", finetuning_type="lora"
    )
    updated = sdk.models.adapters.update(
        "n-2", model_name="llama-3", description="via model", enabled=False, fileset="fs2"
    )
    assert (updated.description, updated.enabled, updated.fileset) == ("via model", False, "fs2")
    assert updated.updated_at > created.updated_at
    assert updated.created_at == created.created_at
    assert sdk.models.adapters.delete("n-2", model_name="llama-3") is None
    with pytest.raises(NotFoundError):
        sdk.adapters.retrieve("n-2")


def test_nested_update_and_delete_through_other_model_raise_not_found(sdk):
    """Update or delete through a model the adapter does not belong to raises NotFoundError."""
    created = make(sdk, "n-3", model="llama-3")
    with pytest.raises(NotFoundError) as caught:
        sdk.models.adapters.update("n-3", model_name="mistral-7b", enabled=False)
    assert caught.value.body == {"detail": "Adapter 'n-3' not found in workspace 'default'"}
    with pytest.raises(NotFoundError):
        sdk.models.adapters.delete("n-3", model_name="mistral-7b")
    assert sdk.adapters.retrieve("n-3") == created


def test_per_call_workspace_override(sdk, sent):
    """workspace= on a call targets that workspace; the client default stays separate."""
    other = make(sdk, "same-name", workspace="team-b", model="base-model")
    assert sent[-1].url.path == "/apis/models/v2/workspaces/team-b/adapters"
    assert other.workspace == "team-b"
    assert other.model == "team-b/base-model"
    mine = make(sdk, "same-name")
    assert mine.workspace == "default"
    assert mine.model == "default/base-model"
    assert sdk.adapters.retrieve("same-name", workspace="team-b") == other
    assert [a.workspace for a in sdk.adapters.list(workspace="team-b")] == ["team-b"]
    patched = sdk.adapters.patch("same-name", workspace="team-b", description="b only")
    assert patched.description == "b only"
    assert sdk.adapters.retrieve("same-name").description is None
    nested = sdk.models.adapters.create(
        "base-model", workspace="team-b", name="nested-b", fileset="fs1", finetuning_type="lora"
    )
    assert nested.model == "team-b/base-model"
    with pytest.raises(NotFoundError) as caught:
        sdk.adapters.retrieve("nested-b")
    assert caught.value.body == {"detail": "Adapter 'nested-b' not found in workspace 'default'"}
    sdk.adapters.delete("same-name", workspace="team-b")
    with pytest.raises(NotFoundError) as caught:
        sdk.adapters.retrieve("same-name", workspace="team-b")
    assert caught.value.body == {"detail": "Adapter 'same-name' not found in workspace 'team-b'"}
    assert sdk.adapters.retrieve("same-name") == mine
