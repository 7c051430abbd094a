"""The create form stays true in a real browser: the error summary and the page title follow the
fields as they are fixed, and the description counts its characters as you type.
"""

from __future__ import annotations

import re

import pytest
from flask import url_for
from playwright.sync_api import Browser, Page, expect

from webui import rules

from .conftest import axe_violations, screenshot, serve_htmx_from_disk

LIMIT = f"{rules.DESCRIPTION_MAX:,}"


@pytest.fixture
def new_url(app, site: str) -> str:
    """The create form's address, as the app names it."""
    with app.test_request_context():
        return site + url_for("pages.new_adapter", workspace="default")


def submit_with_four_problems(page: Page, new_url: str) -> None:
    page.goto(new_url)
    page.wait_for_function("window.htmx")
    page.get_by_label("Name", exact=True).fill("bad name")
    page.get_by_role("button", name="Create adapter").click()
    expect(page.locator(".error-summary")).to_be_visible()  # the form is swapped in


def fix(page: Page, label: str, value: str) -> None:
    """Give a field a valid value and leave it, as a person would."""
    field = page.get_by_label(label, exact=True)
    if label == "Finetuning type":
        field.select_option(value)
    else:
        field.fill(value)
        field.press("Tab")


def test_the_summary_counts_down_as_fields_are_fixed_and_then_goes(new_url: str, page: Page):
    """Four problems, fixed one by one: the count and links follow, the box and Error: go at 0."""
    submit_with_four_problems(page, new_url)
    summary = page.locator(".error-summary")
    heading = summary.get_by_role("heading")
    expect(heading).to_have_text("There are 4 problems")
    expect(summary.get_by_role("link")).to_have_count(4)
    expect(page).to_have_title(re.compile(r"^Error: New adapter in default"))

    fix(page, "Name", "my-lora")
    expect(heading).to_have_text("There are 3 problems")
    expect(summary.get_by_role("link")).to_have_text(
        [rules.check_model("").msg, rules.check_fileset("").msg,
         rules.check_finetuning_type("").msg])
    expect(page.locator("#name-error")).to_be_hidden()
    expect(page.get_by_label("Name", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page).to_have_title(re.compile(r"^Error: "))

    fix(page, "Model", "llama-3-8b")
    expect(heading).to_have_text("There are 2 problems")
    screenshot(page, "new-summary-counting-down")
    fix(page, "Fileset", "default/training-run-7")
    expect(heading).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))

    fix(page, "Finetuning type", "dpo")
    expect(summary).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^New adapter in default"))
    for field in ("name", "model", "fileset", "finetuning_type"):
        expect(page.locator(f"#{field}-error")).to_be_hidden()


def test_a_field_broken_again_comes_back_into_the_summary(new_url: str, page: Page):
    submit_with_four_problems(page, new_url)
    heading = page.locator(".error-summary").get_by_role("heading")
    fix(page, "Name", "my-lora")
    expect(heading).to_have_text("There are 3 problems")
    fix(page, "Name", "bad name again")
    expect(heading).to_have_text("There are 4 problems")
    expect(page.locator("#name-error")).to_have_text(
        "Error: " + rules.check_name("bad name again").msg)


def test_the_summary_and_inline_messages_pass_axe_midway(new_url: str, page: Page):
    """axe-core on the form in its error state, part fixed, at both widths."""
    submit_with_four_problems(page, new_url)
    fix(page, "Name", "my-lora")
    expect(page.locator(".error-summary").get_by_role("heading")).to_have_text(
        "There are 3 problems")
    page.get_by_label("Description").fill("x" * (rules.DESCRIPTION_MAX + 3))
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []


def test_without_javascript_the_summary_and_error_title_come_with_the_page(
        app, live_server: str, browser: Browser):
    """JS off: the full page answer has the summary and 'Error: ', the hint states the limit."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    with app.test_request_context():
        page.goto(live_server + url_for("pages.new_adapter", workspace="default"))
    expect(page.locator("#description-hint")).to_have_text(rules.hint("description"))
    expect(page.locator(".char-count")).to_have_count(0)
    page.get_by_role("button", name="Create adapter").click()
    expect(page.locator(".error-summary").get_by_role("heading")).to_have_text(
        "There are 4 problems")
    expect(page).to_have_title(re.compile(r"^Error: New adapter in default"))
    context.close()


def test_the_description_counts_its_characters_as_you_type(new_url: str, page: Page):
    """A visible count follows each key; a polite live region says it once typing pauses."""
    page.goto(new_url)
    page.wait_for_function("window.htmx")
    description = page.get_by_label("Description")
    count = page.locator("#description-count")
    spoken = page.locator("#description-count-live")
    expect(count).to_have_text(f"0 of {LIMIT} characters")
    expect(spoken).to_have_attribute("aria-live", "polite")
    expect(spoken).to_have_text("")  # nothing said before the person types
    description.press_sequentially("Hello there!")
    expect(count).to_have_text(f"12 of {LIMIT} characters")
    expect(spoken).to_have_text(f"12 of {LIMIT} characters")
    description.fill("ü" * (rules.DESCRIPTION_MAX - 1) + "🙂🙂")  # code points, as the rule
    expected = f"{rules.DESCRIPTION_MAX + 1:,} of {LIMIT} characters, 1 too many"
    expect(count).to_have_text(expected)
    expect(count).to_have_class(re.compile(r"\bover\b"))
    expect(spoken).to_have_text(expected)
    screenshot(page, "new-description-over-the-limit")
    description.press("Tab")
    expect(page.locator("#description-error")).to_have_text(
        "Error: " + rules.check_description("x" * (rules.DESCRIPTION_MAX + 1)).msg)
    description.fill("short")
    expect(count).to_have_text(f"5 of {LIMIT} characters")
    expect(count).not_to_have_class(re.compile(r"\bover\b"))


def test_the_count_survives_an_htmx_submit(new_url: str, page: Page):
    """The form swapped in after a failed submit gets its count again, with the kept text."""
    page.goto(new_url)
    page.wait_for_function("window.htmx")
    page.get_by_label("Description").fill("kept text")
    page.get_by_role("button", name="Create adapter").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#description-count")).to_have_text(f"9 of {LIMIT} characters")
    expect(page.locator("#description-count")).to_have_count(1)


def test_a_page_that_cannot_load_htmx_still_counts(app, live_server: str, browser: Browser):
    """The count is app.js's own: it works whether or not htmx arrived."""
    context = browser.new_context()
    serve_htmx_from_disk(context, b"/* not htmx */")  # refused by the SRI check
    page = context.new_page()
    with app.test_request_context():
        page.goto(live_server + url_for("pages.new_adapter", workspace="default"))
    page.get_by_label("Description").fill("abc")
    expect(page.locator("#description-count")).to_have_text(f"3 of {LIMIT} characters")
    context.close()
