"""The adapter page in Chromium: snippets with copy buttons (and plain text without
JavaScript), the description edited through an "Edit description" action."""

from __future__ import annotations

from conftest import API, valid_body
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_axe_clean, screenshot

PAGE = "/workspaces/default/adapters/lora-a"
SNIPPETS = {"sdk": "Python lines", "curl-get": "curl GET command", "curl": "curl create command"}
TRICKY = "It's \"quoted\" $HOME `id`\nsecond line"


def make_adapter(client, **overrides) -> None:
    body = valid_body(name="lora-a", description=TRICKY, lora_config={"rank": 8, "alpha": 16})
    body.update(overrides)
    assert client.post(f"{API}/default/adapters", json=body).status_code == 201


def test_each_copy_button_puts_its_snippet_on_the_clipboard(site: str, page: Page, client):
    """Copy writes the snippet's exact text; the button and a polite live region say Copied."""
    make_adapter(client)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(site + PAGE)
    for snippet_id, name in SNIPPETS.items():
        expect(page.get_by_role("button", name=f"Copy {name}")).to_be_visible()
        button = page.locator(f"button[data-copy='{snippet_id}']")
        button.click()
        expect(button).to_contain_text("Copied")
        status = page.locator(f"button[data-copy='{snippet_id}'] + .copy-status")
        expect(status).to_have_text("Copied")
        expect(status).to_have_attribute("aria-live", "polite")
        shown = page.locator(f"code#{snippet_id}").text_content()
        assert page.evaluate("navigator.clipboard.readText()") == shown
    expect(page.get_by_role("button", name="Copy Python lines")).to_have_text(
        "Copy Python lines", timeout=4000)  # the label comes back
    screenshot(page, "adapter")


def test_snippets_are_plain_text_without_javascript(live_server: str, browser: Browser, client):
    """No JavaScript: every snippet shows as selectable text and no dead button shows."""
    make_adapter(client)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + PAGE)
    for snippet_id in SNIPPETS:
        expect(page.locator(f"pre code#{snippet_id}")).to_be_visible()
    expect(page.locator("code#sdk")).to_contain_text('client.adapters.retrieve("lora-a")')
    expect(page.locator("code#curl-get")).to_contain_text(f"{API}/default/adapters/lora-a")
    expect(page.locator("button[data-copy]")).to_have_count(3)
    for button in page.locator("button[data-copy]").all():
        expect(button).to_be_hidden()
    # the edit action opens natively and saves
    page.get_by_text("Edit description").click()
    page.get_by_role("textbox", name="Description").fill("Saved without scripts")
    page.get_by_role("button", name="Save description").click()
    expect(page.locator("dl.details")).to_contain_text("Saved without scripts")
    context.close()


def test_the_edit_action_reveals_the_form_and_the_saved_text_shows(site: str, page: Page,
                                                                   client):
    """The description shows once; Edit reveals the form; after saving, the new text shows
    and the form is folded away again."""
    make_adapter(client)
    page.goto(site + PAGE)
    textbox = page.get_by_role("textbox", name="Description")
    expect(textbox).to_be_hidden()
    # shown once (the snippets quote it as code): the details, not an always-open textarea
    expect(page.locator("main :is(dd, textarea):visible", has_text="second line")).to_have_count(1)
    page.locator("summary", has_text="Edit description").click()
    expect(textbox).to_be_visible()
    expect(textbox).to_have_value(TRICKY)
    assert_axe_clean(page)
    screenshot(page, "adapter-editing")
    textbox.fill("A fresh description")
    page.get_by_role("button", name="Save description").click()
    expect(page.get_by_role("status")).to_have_text("Description saved.")
    expect(page.locator("dl.details")).to_contain_text("A fresh description")
    expect(page.get_by_role("textbox", name="Description")).to_be_hidden()
    assert client.get(f"{API}/default/adapters/lora-a").get_json()["description"] == (
        "A fresh description")


def test_a_refused_edit_comes_back_with_the_form_open(site: str, page: Page, client):
    """Too long a description: the page comes back with the form open and its message."""
    make_adapter(client)
    page.goto(site + PAGE)
    page.locator("summary", has_text="Edit description").click()
    textbox = page.get_by_role("textbox", name="Description")
    textbox.fill("x" * 1001)
    page.get_by_role("button", name="Save description").click()
    expect(page.get_by_role("textbox", name="Description")).to_be_visible()
    expect(page.locator("#description-error")).to_contain_text("1000")
    assert client.get(f"{API}/default/adapters/lora-a").get_json()["description"] == TRICKY


def test_the_adapter_page_is_axe_clean(site: str, page: Page, client):
    """Snippets, buttons and the folded edit action pass axe-core in both schemes."""
    make_adapter(client)
    page.goto(site + PAGE)
    page.wait_for_function("window.htmx")
    assert_axe_clean(page)
