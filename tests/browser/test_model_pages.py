"""The model page in Chromium: reached from an adapter's page, across two workspaces, filtered
by workspace with htmx and without JavaScript, axe-clean, and screenshotted."""

from __future__ import annotations

import re

from conftest import API, valid_body
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_axe_clean, screenshot, serve_htmx_from_disk

MODEL = "acme/llama-3-8b-instruct"
PAGE = "/models/acme/llama-3-8b-instruct"
ADAPTERS = [  # workspace, name, type, enabled
    ("research", "support-bot-lora", "lora", True),
    ("research", "summaries-qlora", "qlora", True),
    ("research", "reviews-p-tuning", "p_tuning", False),
    ("research", "translation-lora", "lora", True),
    ("support", "tickets-dpo", "dpo", True),
    ("support", "emails-lora", "lora", True),
    ("support", "faq-lora-r8", "lora", False),
]


def seed(client) -> None:
    """The adapters above, plus one of another model that the page must leave out."""
    for workspace, name, kind, enabled in ADAPTERS:
        body = valid_body(name=name, model=MODEL, finetuning_type=kind, enabled=enabled,
                          fileset=f"{workspace}/{name}-files",
                          description=f"{name.replace('-', ' ')} for the {workspace} team")
        assert client.post(f"{API}/{workspace}/adapters", json=body).status_code == 201
    other = valid_body(name="other-model", model="acme/mistral-7b")
    assert client.post(f"{API}/research/adapters", json=other).status_code == 201


def row_names(page: Page) -> list[str]:
    return page.locator("#model-results tbody tr:not(.group) td:first-child a").all_inner_texts()


def test_the_model_link_on_an_adapter_page_opens_the_model_page(site: str, page: Page, client):
    """From an adapter's page, its model's link leads to every adapter of that model in both
    workspaces, grouped by workspace, with counts per type; choosing a workspace narrows the
    results in place and the address says so."""
    seed(client)
    page.goto(site + "/workspaces/support/adapters/tickets-dpo")
    page.wait_for_function("window.htmx !== undefined")
    page.get_by_role("link", name=MODEL).click()
    expect(page).to_have_url(site + PAGE)
    expect(page.locator("h1")).to_have_text(f"Adapters of {MODEL}")
    assert row_names(page) == ["reviews-p-tuning", "summaries-qlora", "support-bot-lora",
                               "translation-lora", "emails-lora", "faq-lora-r8", "tickets-dpo"]
    expect(page.locator("tr.group th")).to_have_text([
        "research · 4 adapters of this model", "support · 3 adapters of this model"])
    expect(page.locator("#model-types")).to_contain_text("lora 4")
    expect(page.locator("#model-count")).to_have_text("1–7 of 7 adapters")
    assert_axe_clean(page)
    screenshot(page, "model")

    page.get_by_label("Workspace", exact=True).select_option("support")
    expect(page).to_have_url(site + PAGE + "?workspace=support")
    expect(page.locator("#model-count")).to_have_text("1–3 of 3 adapters in support")
    assert row_names(page) == ["emails-lora", "faq-lora-r8", "tickets-dpo"]
    expect(page.locator("#model-types")).to_have_text(re.compile(r"lora 2\W+dpo 1"))
    page.get_by_role("link", name="tickets-dpo").click()
    expect(page).to_have_url(site + "/workspaces/support/adapters/tickets-dpo")
    page.go_back()
    expect(page.locator("#model-count")).to_have_text("1–3 of 3 adapters in support")


def test_the_listing_links_each_row_to_its_model_page(site: str, page: Page, client):
    seed(client)
    page.goto(site + "/workspaces/research/adapters")
    page.locator("#results table").get_by_role("link", name="acme/mistral-7b").click()
    expect(page).to_have_url(site + "/models/acme/mistral-7b")
    assert row_names(page) == ["other-model"]


def test_without_javascript_the_workspace_choice_is_a_plain_form(live_server: str,
                                                                 browser: Browser, client):
    seed(client)
    context = browser.new_context(java_script_enabled=False)
    serve_htmx_from_disk(context)
    page = context.new_page()
    try:
        page.goto(live_server + PAGE + "?page_size=25")
        page.get_by_label("Workspace", exact=True).select_option("research")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"workspace=research"))
        assert row_names(page) == ["reviews-p-tuning", "summaries-qlora", "support-bot-lora",
                                   "translation-lora"]
    finally:
        context.close()
