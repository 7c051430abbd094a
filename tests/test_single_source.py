"""One rule, one place: the pages' labels, hints and messages are the ones in webui.rules."""

from __future__ import annotations

import html

import pytest

from webui import rules

NEW = "/workspaces/default/adapters/new"


def page_text(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("input_id, field", [
    ("name", "name"), ("model", "model"), ("fileset", "fileset"),
    ("finetuning_type", "finetuning_type"), ("description", "description"),
    ("enabled", "enabled"), ("lora_config-rank", "rank"), ("lora_config-alpha", "alpha"),
])
def test_create_form_labels_are_the_names_the_messages_use(client, input_id, field):
    """Each input is labelled with the name its messages call it ('Model is required')."""
    assert f'<label for="{input_id}">{rules.LABELS[field]}' in page_text(client, NEW)


@pytest.mark.parametrize("input_id, field", [
    ("name", "name"), ("model", "model"), ("fileset", "fileset"),
    ("description", "description"), ("enabled", "enabled"),
    ("lora_config-rank", "rank"), ("lora_config-alpha", "alpha"),
])
def test_create_form_hints_come_from_the_rules(client, input_id, field):
    """Each hint is the rules' hint, with the workspace filled in."""
    hint = rules.hint(field, "default")
    assert f'<p class="hint" id="{input_id}-hint">{hint}</p>' in page_text(client, NEW)


def test_the_description_hint_is_written_once(client, create, monkeypatch):
    """The create form and the adapter page's edit box both show the one description hint."""
    monkeypatch.setitem(rules.HINTS, "description", "At most a few words, as a test says.")
    create(name="lora-a")
    for url in (NEW, "/workspaces/default/adapters/lora-a"):
        assert "At most a few words, as a test says." in page_text(client, url)


def test_the_index_workspace_box_is_a_rules_field(client):
    """The workspace box on the index: the rules' label and hint, and the rule's message."""
    text = page_text(client, "/?workspace=a/b", 422)
    assert f'<label for="workspace">{rules.LABELS["workspace"]}</label>' in text
    assert rules.hint("workspace") in text
    assert rules.check_workspace("a/b").msg in text


def test_hints_state_the_limits_the_checks_enforce():
    """The hints quote the rules' own numbers and charsets."""
    assert str(rules.DESCRIPTION_MAX) in rules.hint("description")
    assert rules.NAME_CHARS_TEXT.capitalize() in rules.hint("name", "ws")
    assert rules.check_name("a b").msg.endswith(rules.NAME_CHARS_TEXT)
