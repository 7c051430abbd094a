"""One rule, one place: the pages' labels, hints and messages are the ones in webui.rules."""

from __future__ import annotations

import pytest
from htmlquery import one, parse, text

from webui import rules

NEW = "/workspaces/default/new-adapter"


def parsed(client, url: str, status: int = 200):
    """The parsed page at url, which answers with status."""
    response = client.get(url)
    assert response.status_code == status
    return parse(response)


def label(page, input_id: str) -> str:
    """The text of an input's label, without the '(optional)' mark."""
    return text(one(page, f'label[for="{input_id}"]')).removesuffix(" (optional)")


def hint(page, input_id: str) -> str:
    """The text of an input's hint."""
    return text(one(page, f'.hint[id="{input_id}-hint"]'))


@pytest.mark.parametrize("input_id, field", [
    ("name", "name"), ("model", "model"), ("fileset", "fileset"),
    ("finetuning_type", "finetuning_type"), ("description", "description"),
    ("enabled", "enabled"), ("lora_config-rank", "rank"), ("lora_config-alpha", "alpha"),
])
def test_create_form_labels_are_the_names_the_messages_use(client, input_id, field):
    """Each input is labelled with the name its messages call it ('Model is required')."""
    assert label(parsed(client, NEW), input_id) == rules.LABELS[field]


@pytest.mark.parametrize("input_id, field", [
    ("name", "name"), ("model", "model"), ("fileset", "fileset"),
    ("description", "description"), ("enabled", "enabled"),
    ("lora_config-rank", "rank"), ("lora_config-alpha", "alpha"),
])
def test_create_form_hints_come_from_the_rules(client, input_id, field):
    """Each hint is the rules' hint, with the workspace filled in."""
    assert hint(parsed(client, NEW), input_id) == rules.hint(field, "default")


def test_the_description_hint_is_written_once(client, create, monkeypatch):
    """The create form and the adapter page's edit box both show the one description hint."""
    monkeypatch.setitem(rules.HINTS, "description", "At most a few words, as a test says.")
    create(name="lora-a")
    for url in (NEW, "/workspaces/default/adapters/lora-a"):
        assert "At most a few words, as a test says." in hint(parsed(client, url), "description")


def test_the_index_workspace_box_is_a_rules_field(client):
    """The workspace box on the index: the rules' label and hint, and the rule's message."""
    index = parsed(client, "/?workspace=a/b", 422)
    assert label(index, "workspace") == rules.LABELS["workspace"]
    assert hint(index, "workspace") == rules.hint("workspace")
    assert text(one(index, "#workspace-error")) == (
        f"Error: {rules.check_workspace('a/b').msg}")


def test_hints_state_the_limits_the_checks_enforce():
    """The hints quote the rules' own numbers and charsets."""
    assert str(rules.DESCRIPTION_MAX) in rules.hint("description")
    assert rules.NAME_CHARS_TEXT.capitalize() in rules.hint("name", "ws")
    assert rules.check_name("a b").msg.endswith(rules.NAME_CHARS_TEXT)
