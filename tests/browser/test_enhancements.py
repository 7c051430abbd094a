"""Small enhancements of app.js in Chromium: a notice when htmx could not load (and no hint
promising live checks), and "/" moving to search."""

from __future__ import annotations

import pytest
from conftest import API, valid_body
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_axe_clean, screenshot, serve_htmx_from_disk

NEW = "/workspaces/default/new-adapter"
HTMX = "**/htmx.org@*/dist/htmx.min.js"
NOTICE = "Live checks are off: the page works"
# the window hears a key last: whether the page's handler kept the "/" from being typed
WATCH_SLASH = ("window.addEventListener('keydown', event => {"
               " if (event.key === '/') window.slashPrevented = event.defaultPrevented; })")


def test_a_blocked_htmx_says_live_checks_are_off(live_server: str, browser: Browser):
    """htmx's CDN unreachable: a polite notice says so, the live-check hint is gone, and the
    form still works as a plain form."""
    context = browser.new_context()
    context.route(HTMX, lambda route: route.abort())
    page = context.new_page()
    page.goto(live_server + NEW)
    notice = page.locator("#htmx-missing")
    expect(notice).to_contain_text(NOTICE)
    expect(notice).to_have_attribute("aria-live", "polite")
    expect(page.get_by_text("Fields are checked as you leave them")).to_be_hidden()
    assert page.evaluate("typeof window.htmx") == "undefined"
    assert_axe_clean(page)
    screenshot(page, "htmx-missing")
    page.get_by_role("button", name="Create adapter").click()  # a plain POST
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#htmx-missing")).to_contain_text(NOTICE)
    context.close()


def test_an_htmx_file_refused_by_its_hash_gives_the_same_notice(live_server: str,
                                                                browser: Browser):
    """A file that fails the integrity check is no htmx either."""
    context = browser.new_context()
    serve_htmx_from_disk(context, body=b"window.htmx = {tampered: true};")
    page = context.new_page()
    page.goto(live_server + NEW)
    expect(page.locator("#htmx-missing")).to_contain_text(NOTICE)
    context.close()


def test_with_htmx_there_is_no_notice_and_the_hint_shows(site: str, page: Page):
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    expect(page.get_by_text("Fields are checked as you leave them")).to_be_visible()
    expect(page.locator("#htmx-missing")).to_have_count(0)


def test_without_javascript_the_live_hint_is_not_shown(live_server: str, browser: Browser):
    """No script, no live checks: the hint does not promise them."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + NEW)
    expect(page.get_by_text("Fields are checked as you leave them")).to_be_hidden()
    context.close()


@pytest.mark.parametrize(
    ("path", "search"),
    [("/workspaces/default/adapters", "#q"),
     ("/", "#workspace-q"),
     ("/workspaces/default/adapters/lora-a", "[data-search='header']"),
     (NEW, "[data-search='header']")],
    ids=["listing-own-search", "index-own-search", "adapter-header-search",
         "form-header-search"],
)
def test_slash_focuses_the_pages_search(site: str, page: Page, client, path: str, search: str):
    """"/" anywhere but in a field moves to the page's own search box (else the header's),
    which says so with aria-keyshortcuts, and the "/" is not typed."""
    assert client.post(f"{API}/default/adapters", json=valid_body(name="lora-a")).status_code == 201
    page.goto(site + path)
    page.wait_for_function("window.htmx")
    box = page.locator(search)
    expect(box).to_have_attribute("aria-keyshortcuts", "/")
    page.evaluate(WATCH_SLASH)
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    assert page.evaluate("window.slashPrevented") is True  # the "/" is never typed anywhere
    page.keyboard.type("lora")
    expect(box).to_have_value("lora")


def test_slash_is_typed_in_fields_and_ignored_with_modifiers(site: str, page: Page, client):
    """In a text field "/" is a character; Ctrl+/ is left to the browser."""
    assert client.post(f"{API}/default/adapters", json=valid_body(name="lora-a")).status_code == 201
    page.goto(site + "/workspaces/default/adapters/lora-a")
    page.wait_for_function("window.htmx")
    page.locator("summary", has_text="Edit description").click()
    textbox = page.get_by_role("textbox", name="Description")
    textbox.fill("")
    page.evaluate(WATCH_SLASH)
    textbox.press("/")
    expect(textbox).to_be_focused()
    expect(textbox).to_have_value("/")
    assert page.evaluate("window.slashPrevented") is False
    page.locator("h1").click()
    page.keyboard.press("Control+/")
    expect(page.locator("[data-search='header']")).not_to_be_focused()
