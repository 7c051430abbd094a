"""The create form's error summary and page title stay true as fields are checked one by one.

While the summary shows, its hidden input asks each per-field check to answer it again (out of
band) with the page title; the server alone counts and words the problems.
"""

from __future__ import annotations

import pytest
from flask import url_for
from htmlquery import every, one, parse, text, texts, top_level

from webui import rules

HTMX = {"HX-Request": "true"}
SHOWN = {"error_summary": "shown"}


@pytest.fixture
def urls(app) -> dict[str, str]:
    """The create form's URL and its per-field check's, as the app names them."""
    with app.test_request_context():
        return {"new": url_for("pages.new_adapter", workspace="default"),
                "validate": url_for("pages.validate_field", workspace="default")}


@pytest.fixture
def token(client, urls) -> str:
    """The CSRF token the create form carries."""
    return one(client.get(urls["new"]), 'input[name="csrf_token"]')["value"]


def broken(token: str, **overrides: str) -> dict[str, str]:
    """The create form with four problems (name, model, fileset, type), inputs replaced as asked."""
    data = {"csrf_token": token, "name": "bad name", "model": "", "fileset": "",
            "finetuning_type": "", "description": "", "enabled": "y",
            "lora_config-rank": "", "lora_config-alpha": ""}
    data.update(overrides)
    return data


def check(client, urls, field: str, data: dict[str, str]):
    """What the per-field check of ``field`` answers, as htmx asks it."""
    return client.post(f"{urls['validate']}?field={field}", data=data,
                       headers={**HTMX, "HX-Target": f"{field}-error"})


def title(page) -> str:
    return text(one(page, "title"))


def test_a_failed_submit_shows_the_summary_with_its_marker_and_an_error_title(client, urls,
                                                                              token):
    """No JS: 422, 'Error: ' leads the title, the summary counts 4 and carries its marker."""
    response = client.post(urls["new"], data=broken(token))
    assert response.status_code == 422
    assert title(response).startswith("Error: New adapter in default")
    summary = one(response, "#error-summary")
    assert summary["role"] == "alert"
    assert text(one(summary, "h2")) == "There are 4 problems"
    assert one(summary, 'input[type="hidden"]')["name"] == "error_summary"


def test_a_fresh_form_has_no_error_title_and_no_summary(client, urls):
    page = client.get(urls["new"])
    assert title(page).startswith("New adapter in default")
    assert every(page, "#error-summary") == []


def test_an_htmx_failed_submit_carries_the_error_title(client, urls, token):
    """htmx sets the page title from a top-level <title>: the form's answer brings one."""
    response = client.post(urls["new"], data=broken(token),
                           headers={**HTMX, "HX-Target": "adapter-form"})
    assert response.status_code == 422
    assert [element.name for element in top_level(response)] == ["title", "form"]
    assert title(response) == "Error: New adapter in default · Adapter registry"
    assert text(one(response, "#error-summary h2")) == "There are 4 problems"


def test_a_check_while_the_summary_shows_answers_it_out_of_band(client, urls, token):
    """Name fixed: its slot empties, the summary says 3 without the name, the title keeps Error."""
    response = check(client, urls, "name", broken(token, name="my-lora", **SHOWN))
    assert response.status_code == 200
    slot, page_title, summary = top_level(response)
    assert slot["id"] == "name-error" and slot.has_attr("hidden")
    assert text(page_title) == "Error: New adapter in default · Adapter registry"
    assert (summary["id"], summary["hx-swap-oob"]) == ("error-summary", "true")
    assert not summary.has_attr("role")  # only the submit alerts; the slot speaks for the fix
    assert text(one(summary, "h2")) == "There are 3 problems"
    assert texts(summary, "a") == [rules.check_model("").msg, rules.check_fileset("").msg,
                                   rules.check_finetuning_type("").msg]
    assert [link["href"] for link in every(summary, "a")] == ["#model", "#fileset",
                                                              "#finetuning_type"]


def test_one_problem_left_is_said_in_the_singular(client, urls, token):
    data = broken(token, name="my-lora", model="base-model", fileset="default/fs1", **SHOWN)
    summary = one(check(client, urls, "fileset", data), "#error-summary")
    assert text(one(summary, "h2")) == "There is a problem"
    assert texts(summary, "a") == [rules.check_finetuning_type("").msg]


def test_the_last_fix_deletes_the_summary_and_the_error_title(client, urls, token):
    data = broken(token, name="my-lora", model="base-model", fileset="default/fs1",
                  finetuning_type="dpo", **SHOWN)
    response = check(client, urls, "finetuning_type", data)
    slot, page_title, summary = top_level(response)
    assert slot.has_attr("hidden")
    assert text(page_title) == "New adapter in default · Adapter registry"
    assert (summary["id"], summary["hx-swap-oob"]) == ("error-summary", "delete")


def test_a_new_problem_joins_the_summary(client, urls, token):
    """The summary follows the fields' current errors both ways: a field broken later counts."""
    data = broken(token, description="x" * (rules.DESCRIPTION_MAX + 1), **SHOWN)
    summary = one(check(client, urls, "description", data), "#error-summary")
    assert text(one(summary, "h2")) == "There are 5 problems"
    assert rules.check_description("x" * (rules.DESCRIPTION_MAX + 1)).msg in texts(summary, "a")


def test_a_taken_name_stays_in_the_summary(client, urls, token, create):
    create(name="taken")
    data = broken(token, name="taken", **SHOWN)
    response = check(client, urls, "model", data)
    links = {link["href"]: text(link) for link in every(one(response, "#error-summary"), "a")}
    assert links["#name"] == "Adapter with name 'taken' already exists in workspace 'default'"


def test_without_the_summary_a_check_answers_only_its_slot(client, urls, token):
    """Before any submit (no marker), the answer is the slot alone: no summary, no title."""
    response = check(client, urls, "name", broken(token, name="my-lora"))
    assert [element["id"] for element in top_level(response)] == ["name-error"]


def test_the_description_limit_comes_from_the_rules(client, urls):
    """The textarea's maxlength (read by the live count) and the static hint say the rule."""
    page = parse(client.get(urls["new"]))
    assert one(page, "textarea#description")["maxlength"] == str(rules.DESCRIPTION_MAX)
    assert text(one(page, "#description-hint")) == rules.hint("description", "default")
