"""The search across workspaces in Chromium: the header's box from another page lands on
/search with results grouped by workspace and the words marked; typing there swaps the results
and replaces the history entry; without JavaScript it is a plain GET form; axe-clean and
screenshotted with results and empty."""

from __future__ import annotations

from conftest import API, valid_body
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_axe_clean, screenshot

ADAPTERS = [  # workspace, name, model, fileset, description
    ("research", "lora-llama-7", "acme/llama-3-8b", "research/chat-v2",
     "Support bot tuned on March tickets\nSecond line"),
    ("research", "summaries-qlora", "acme/llama-3-70b", "research/reports",
     "Summaries of internal reports"),
    ("research", "mistral-dpo", "acme/mistral-7b", "research/prefs", None),
    ("support", "tickets-lora", "acme/llama-3-8b", "support/tickets-2026",
     "LoRA on the support queue, friendly tone"),
    ("support", "emails-p-tuning", "acme/gemma-2-9b", "support/emails", "Email replies"),
    ("legal", "contracts-llama-lora", "acme/llama-3-8b", "legal/contracts",
     "Clause review for the legal team"),
]


def seed(client) -> None:
    for workspace, name, model, fileset, description in ADAPTERS:
        kind = "lora" if "lora" in name else "dpo" if "dpo" in name else "p_tuning"
        body = valid_body(name=name, model=model, fileset=fileset, description=description,
                          finetuning_type=kind)
        assert client.post(f"{API}/{workspace}/adapters", json=body).status_code == 201


def hit_names(page: Page) -> list[str]:
    return page.locator(".search-hit > a").all_inner_texts()


def test_the_header_search_lands_on_grouped_highlighted_results(site: str, page: Page, client):
    """From a workspace's listing, the header's box finds "llama lora" in every workspace
    (each word in any field), grouped by workspace in the order of their newest match, with
    both words marked."""
    seed(client)
    page.goto(site + "/workspaces/support/adapters")
    page.wait_for_function("window.htmx !== undefined")
    box = page.get_by_role("search", name="Search adapters in every workspace").first \
        .get_by_role("searchbox", name="Search adapters")
    box.fill("llama lora")
    box.press("Enter")
    expect(page).to_have_url(site + "/search?q=llama+lora")
    expect(page.locator("h1")).to_have_text("Search adapters")
    assert hit_names(page) == ["contracts-llama-lora", "tickets-lora", "summaries-qlora",
                               "lora-llama-7"]
    expect(page.locator(".search-group-title")).to_have_text([
        "legal · 1 match on this page", "support · 1 match on this page",
        "research · 2 matches on this page"])
    expect(page.locator(".search-hit").first.locator("mark")).to_have_text(
        ["llama", "lora", "llama"])
    expect(page.locator("#search-q")).to_have_value("llama lora")
    assert_axe_clean(page)
    screenshot(page, "search")


def test_typing_swaps_the_results_and_replaces_history(site: str, page: Page, client):
    """On /search, typing swaps the results in place, one request per pause, and the address
    follows without a new history entry; Back leaves the search page."""
    seed(client)
    page.goto(site + "/workspaces/legal/adapters")
    page.goto(site + "/search")
    page.wait_for_function("window.htmx !== undefined")
    entries = page.evaluate("history.length")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url)
            if "/search?" in request.url else None)
    page.locator("#search-q").press_sequentially("tickets", delay=20)
    expect(page).to_have_url(site + "/search?q=tickets")
    assert hit_names(page) == ["tickets-lora", "lora-llama-7"]
    page.wait_for_timeout(400)
    assert len(requests) == 1, requests
    assert page.evaluate("history.length") == entries
    page.go_back()
    expect(page).to_have_url(site + "/workspaces/legal/adapters")


def test_an_empty_search_and_no_results(site: str, page: Page, client):
    """No words: a hint; words that match nothing: a helpful message."""
    seed(client)
    page.goto(site + "/search")
    expect(page.locator(".search-hint")).to_contain_text("Type one or more words")
    assert_axe_clean(page)
    screenshot(page, "search-empty")
    page.goto(site + "/search?q=gemma+friendly")
    expect(page.locator("#search-results")).to_contain_text("No adapters match")


def test_the_search_works_without_javascript(site: str, browser: Browser, client):
    """JavaScript off: the header's form is a plain GET to /search."""
    seed(client)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/")
    page.get_by_role("searchbox", name="Search adapters").fill("email")
    page.get_by_role("button", name="Search all workspaces").click()
    expect(page).to_have_url(site + "/search?q=email")
    assert hit_names(page) == ["emails-p-tuning"]
    context.close()
