"""Real-browser tests: Playwright driving Debian's Chromium against the served app.

They fail, not skip, when the browser is missing. Screenshots of every page, at desktop and
phone width, land in tests/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from conftest import API, valid_body
from playwright.sync_api import Browser, Page, expect

from webui import HTMX_CDN_URL, rules

from .conftest import axe_violations, screenshot, serve_htmx_from_disk

NEW = "/workspaces/default/new-adapter"
LISTING = "/workspaces/default/adapters"


def seed(client, count: int, workspace: str = "default") -> None:
    """Create adapters through the API: three types, two models, every fourth disabled."""
    for index in range(count):
        body = valid_body(name=f"adapter-{index:03d}",
                          finetuning_type=("lora", "dpo", "p_tuning")[index % 3],
                          model=("llama-3-8b", "mistral-7b")[index % 2],
                          enabled=index % 4 != 0,
                          description=f"Adapter number {index}")
        assert client.post(f"{API}/{workspace}/adapters", json=body).status_code == 201


def fill_valid(page: Page, name: str = "my-lora") -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Model").fill("llama-3-8b")
    page.get_by_label("Fileset").fill("default/training-run-7")
    page.get_by_label("Finetuning type").select_option("lora")
    page.get_by_label("Rank").fill("16")
    page.get_by_label("Alpha").fill("32")


def row_names(page: Page) -> list[str]:
    return page.locator("table.adapters tbody td:first-child a").all_inner_texts()


def test_htmx_loads_from_the_pinned_cdn_url_with_its_sri_hash(site: str, page: Page):
    """The page asks the CDN for the pinned file with SRI + crossorigin, and htmx runs."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site + NEW)
    script = page.locator("script[integrity]")
    assert script.get_attribute("src") == HTMX_CDN_URL
    assert script.get_attribute("integrity").startswith("sha384-")
    assert script.get_attribute("crossorigin") == "anonymous"
    assert HTMX_CDN_URL in requested
    page.wait_for_function("window.htmx && window.htmx.version === '2.0.11'")


def test_a_tampered_htmx_file_is_refused_by_the_browser(live_server: str, browser: Browser):
    """The SRI check is real: a file that does not match the hash never runs."""
    context = browser.new_context()
    serve_htmx_from_disk(context, body=b"window.htmx = {tampered: true};")
    page = context.new_page()
    page.goto(live_server + NEW)
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.htmx") == "undefined"
    context.close()


def test_inline_error_appears_on_leaving_a_field_and_goes_once_fixed(site: str, page: Page):
    """Type a broken name, leave the field: the message appears; fix it: it goes."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    name = page.get_by_label("Name", exact=True)
    error = page.locator("#name-error")
    name.fill("bad name")
    name.press("Tab")
    expect(error).to_have_text(re.compile(re.escape(rules.check_name("bad name").msg)))
    expect(error).to_be_visible()
    expect(name).to_have_attribute("aria-invalid", "true")
    assert "name-error" in name.get_attribute("aria-describedby")
    expect(name).to_have_value("bad name")  # the input itself is never swapped
    screenshot(page, "new-inline-error")
    name.fill("good-name")
    name.press("Tab")
    expect(error).to_be_hidden()
    expect(name).not_to_have_attribute("aria-invalid", "true")


def test_each_field_explains_its_rule_inline(site: str, page: Page):
    """Model, fileset and LoRA rank show the API's message next to them on leaving."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    page.get_by_label("Finetuning type").select_option("lora")
    for label, value, check in [
        ("Model", "Llama--3", rules.check_model),
        ("Fileset", "a/b/c", rules.check_fileset),
    ]:
        field = page.get_by_label(label)
        field.fill(value)
        field.press("Tab")
        slot = page.locator(f"#{field.get_attribute('id')}-error")
        expect(slot).to_contain_text(check(value).msg)
    rank = page.get_by_label("Rank")
    rank.fill("0")
    rank.press("Tab")
    expect(page.locator("#lora_config-rank-error")).to_contain_text("LoRA rank must be at least 1")


def test_a_taken_name_shows_inline_when_leaving_name(site: str, page: Page, client):
    """A name already used in the workspace is reported on leaving the field."""
    seed(client, 1)
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    page.get_by_label("Name", exact=True).fill("adapter-000")
    page.get_by_label("Name", exact=True).press("Tab")
    expect(page.locator("#name-error")).to_contain_text(
        "Adapter with name 'adapter-000' already exists in workspace 'default'")


def test_lora_settings_show_only_for_lora_types(site: str, page: Page):
    """The LoRA fieldset is shown for LoRA-family types and hidden for others."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    settings = page.locator("#lora-settings")
    page.get_by_label("Finetuning type").select_option("dpo")
    expect(settings).to_be_hidden()
    page.get_by_label("Finetuning type").select_option("qlora")
    expect(settings).to_be_visible()


def test_invalid_submit_shows_a_focused_summary_and_keeps_values(site: str, page: Page):
    """Submit broken: a summary with role=alert takes focus, links to fields, values kept."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    page.get_by_label("Name", exact=True).fill("bad name")
    page.get_by_label("Description").fill("kept text")
    page.get_by_role("button", name="Create adapter").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(4)  # name, model, fileset, type
    expect(page.get_by_label("Name", exact=True)).to_have_value("bad name")
    expect(page.get_by_label("Description")).to_have_value("kept text")
    assert page.url.endswith(NEW)
    screenshot(page, "new-submitted-with-errors")
    summary.get_by_role("link", name=rules.check_fileset("").msg).click()
    expect(page.get_by_label("Fileset")).to_be_focused()


def test_an_adapter_named_new_is_reached_from_the_form_and_the_listing(site: str, page: Page,
                                                                       client):
    """Create new through the form, land on its page; its row in the listing opens it too."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    fill_valid(page, name="new")
    page.get_by_role("button", name="Create adapter").click()
    expect(page).to_have_url(site + "/workspaces/default/adapters/new")
    expect(page.get_by_role("status")).to_have_text("Adapter 'new' created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("new")
    page.goto(site + LISTING)
    page.locator("table.adapters tbody").get_by_role("link", name="new", exact=True).click()
    expect(page).to_have_url(site + "/workspaces/default/adapters/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("new")
    expect(page.locator("form#adapter-form")).to_have_count(0)
    expect(page.locator("dl.details")).to_contain_text("default/llama-3-8b")
    screenshot(page, "adapter-named-new")


def test_valid_submit_lands_on_the_adapter_page_with_a_confirmation(site: str, page: Page, client):
    """Submit valid: the adapter is created and its page confirms it."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    fill_valid(page)
    page.get_by_role("button", name="Create adapter").click()
    expect(page).to_have_url(site + "/workspaces/default/adapters/my-lora")
    expect(page.get_by_role("status")).to_have_text("Adapter 'my-lora' created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("my-lora")
    expect(page).to_have_title(re.compile("my-lora in default"))
    stored = client.get(f"{API}/default/adapters/my-lora").get_json()
    assert stored["lora_config"] == {"alpha": 32, "rank": 16}
    assert stored["model"] == "default/llama-3-8b"
    screenshot(page, "adapter-created")


def test_keyboard_alone_creates_an_adapter(site: str, page: Page, client):
    """Tab through the form in order and press Enter: no mouse needed."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type("keyboard-made")
    page.keyboard.press("Tab")
    page.keyboard.type("base-model")
    page.keyboard.press("Tab")
    page.keyboard.type("fs1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Finetuning type")).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first type
    page.get_by_label("Rank").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(site + "/workspaces/default/adapters/keyboard-made")
    assert client.get(f"{API}/default/adapters/keyboard-made").status_code == 200


def test_listing_search_filter_sort_and_pagination(site: str, page: Page, client):
    """Search, filter, sort by column and page: results swap in place and the URL follows."""
    seed(client, 60)
    page.goto(site + LISTING)
    page.wait_for_function("window.htmx")
    page.evaluate("window.stillHere = true")  # gone if a full page load happens
    count = page.locator("#results-count")
    expect(count).to_have_text("1–50 of 60")

    page.get_by_role("link", name="Next →").click()
    expect(count).to_have_text("51–60 of 60")
    expect(page).to_have_url(re.compile(r"page=2"))

    page.get_by_role("link", name=re.compile("^Name")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Name")
    expect(count).to_have_text("1–50 of 60")
    assert row_names(page)[:2] == ["adapter-000", "adapter-001"]
    page.get_by_role("link", name=re.compile("^Name")).click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Name")
    assert row_names(page)[0] == "adapter-059"

    page.get_by_label("Finetuning type").select_option("dpo")
    expect(count).to_have_text("1–20 of 20")
    assert set(page.locator("table.adapters tbody td:nth-child(3)").all_inner_texts()) == {"dpo"}
    assert row_names(page)[0] == "adapter-058"  # the sort survived the filter
    expect(page).to_have_url(re.compile(r"finetuning_type=dpo"))

    page.get_by_role("searchbox", name="Search", exact=True).fill("adapter-05")
    expect(count).to_have_text("1–3 of 3")
    assert row_names(page) == ["adapter-058", "adapter-055", "adapter-052"]
    expect(page).to_have_url(re.compile(r"q=adapter-05"))
    assert "model=" not in page.url  # the pushed URL holds only what is set

    page.get_by_label("Status").select_option("false")
    expect(count).to_have_text("1–1 of 1")
    assert row_names(page) == ["adapter-052"]
    assert page.evaluate("window.stillHere") is True

    page.get_by_role("searchbox", name="Search", exact=True).fill("zzz")
    expect(page.locator("#results").get_by_text("No adapters match.")).to_be_visible()

    page.reload()  # the state is all in the URL
    expect(page.get_by_role("searchbox", name="Search", exact=True)).to_have_value("zzz")
    expect(page.get_by_label("Finetuning type")).to_have_value("dpo")


def seed_workspaces(app, count: int) -> None:
    """Workspace records with a few adapters each, named as teams name them."""
    from datetime import datetime

    from webui.extensions import db
    from webui.models import Workspace

    teams = ("research", "support", "vision", "legal", "data")
    with app.app_context():
        db.session.add_all(
            Workspace(name=f"{teams[number % 5]}-{number:03d}", adapter_count=number % 40,
                      id=str(number), updated_at=datetime(2026, 3, 1 + number % 28, 9, 30))
            for number in range(count))
        db.session.commit()


def test_the_workspaces_index_searches_and_pages_in_place(site: str, page: Page, app):
    """Typing in the search narrows the index without a page load; its pages follow the term."""
    seed_workspaces(app, 600)
    page.goto(site + "/")
    page.wait_for_function("window.htmx")
    page.evaluate("window.stillHere = true")
    count = page.locator("#workspace-count")
    expect(count).to_have_text("Showing 1–25 of 600 workspaces")
    page.get_by_label("Name starts with").fill("RES")
    expect(count).to_have_text("Showing 1–25 of 120 workspaces whose names start with “RES”")
    expect(page).to_have_url(re.compile(r"/\?q=RES$"))
    page.get_by_role("link", name="Next →").click()
    expect(count).to_have_text("Showing 26–50 of 120 workspaces whose names start with “RES”")
    expect(page).to_have_url(re.compile(r"q=RES&page=2"))
    assert page.locator("tbody td:first-child a").first.inner_text() == "research-125"
    assert page.evaluate("window.stillHere") is True
    screenshot(page, "index-search")
    page.get_by_label("Per page").select_option("50")  # one request, from the first page
    expect(count).to_have_text("Showing 1–50 of 120 workspaces whose names start with “RES”")
    expect(page).to_have_url(re.compile(r"q=RES&page_size=50$"))
    page.get_by_label("Name starts with").fill("nobody")
    expect(page.get_by_text("No workspace names start with “nobody”.")).to_be_visible()


def test_the_workspaces_index_searches_with_javascript_off(live_server: str, browser: Browser,
                                                          app):
    seed_workspaces(app, 200)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_label("Name starts with").fill("legal")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(live_server + "/?q=legal&page_size=25")  # the form, as it is
    expect(page.locator("#workspace-count")).to_have_text(
        "Showing 1–25 of 40 workspaces whose names start with “legal”")
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#workspace-count")).to_contain_text("Showing 26–40 of 40")
    page.get_by_label("Per page").select_option("50")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(live_server + "/?q=legal&page_size=50")
    expect(page.locator("#workspace-count")).to_have_text(
        "Showing 1–40 of 40 workspaces whose names start with “legal”")
    context.close()


def test_toggle_and_delete_on_the_adapter_page(site: str, page: Page, client):
    """Disable, enable, then delete with a confirmation, from the adapter page."""
    seed(client, 2)
    page.goto(site + "/workspaces/default/adapters/adapter-001")
    page.get_by_role("button", name="Disable adapter").click()
    expect(page.get_by_role("status")).to_have_text("Adapter 'adapter-001' disabled.")
    assert client.get(f"{API}/default/adapters/adapter-001").get_json()["enabled"] is False
    page.get_by_role("button", name="Enable adapter").click()
    expect(page.get_by_role("status")).to_have_text("Adapter 'adapter-001' enabled.")

    page.locator("summary", has_text="Edit description").click()
    page.get_by_role("textbox", name="Description").fill("Now with notes")
    page.get_by_role("button", name="Save description").click()
    expect(page.get_by_role("status")).to_have_text("Description saved.")
    expect(page.locator("dl.details")).to_contain_text("Now with notes")

    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete adapter-001?")
    screenshot(page, "delete-confirm")
    assert client.get(f"{API}/default/adapters/adapter-001").status_code == 200
    page.get_by_role("button", name="Delete adapter").click()
    expect(page).to_have_url(site + LISTING)
    expect(page.get_by_role("status")).to_have_text("Adapter 'adapter-001' deleted.")
    assert client.get(f"{API}/default/adapters/adapter-001").status_code == 404


def test_the_create_flow_works_with_javascript_off(live_server: str, browser: Browser, client):
    """No JavaScript: plain form posts show errors inline and create the adapter."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + NEW)
    expect(page.locator("#lora-settings")).to_be_visible()  # always shown without JS
    page.get_by_label("Name", exact=True).fill("no js")
    page.get_by_role("button", name="Create adapter").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#name-error")).to_contain_text(rules.check_name("no js").msg)
    screenshot(page, "new-no-js-errors")
    fill_valid(page, name="no-js")
    page.get_by_role("button", name="Create adapter").click()
    expect(page).to_have_url(live_server + "/workspaces/default/adapters/no-js")
    expect(page.get_by_role("status")).to_have_text("Adapter 'no-js' created.")
    page.goto(live_server + LISTING + "?q=no-js")
    assert row_names(page) == ["no-js"]
    context.close()


XSS = '<script>alert("xss")</script><img src=x onerror="alert(1)">'


def test_a_script_typed_into_the_description_is_shown_as_text(site: str, page: Page):
    """Stored XSS: the description is shown literally and no dialog ever fires."""
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    fill_valid(page, name="xss-test")
    page.get_by_label("Description").fill(XSS)
    page.get_by_role("button", name="Create adapter").click()
    expect(page).to_have_url(re.compile("/adapters/xss-test$"))
    expect(page.locator("dl.details")).to_contain_text(XSS)
    page.goto(site + LISTING + "?q=xss")
    page.goto(site + "/workspaces/default/adapters/xss-test")
    expect(page.locator("#curl")).to_contain_text("alert")
    assert dialogs == []


@pytest.mark.parametrize(
    "path",
    ["/", LISTING, NEW, "/workspaces/default/adapters/adapter-001",
     "/workspaces/default/adapters/adapter-001/delete", "/workspaces/empty/adapters",
     "/workspaces/default/adapters/missing"],
)
def test_no_serious_accessibility_violations(site: str, page: Page, client, path: str):
    """axe-core finds no serious or critical violation on any page, at both widths."""
    seed(client, 3)
    page.goto(site + path)
    page.wait_for_function("window.htmx")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []


def test_no_serious_accessibility_violations_with_errors_shown(site: str, page: Page):
    """The form with its error summary and inline messages passes axe-core too."""
    page.goto(site + NEW)
    page.wait_for_function("window.htmx")
    page.get_by_role("button", name="Create adapter").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert axe_violations(page) == []


def test_screenshots_of_every_page(site: str, page: Page, client):
    """Every page at desktop and phone width, saved for a person to look at."""
    seed(client, 60)
    client.post(f"{API}/research/adapters", json=valid_body(name="dpo-run", finetuning_type="dpo"))
    for name, path in [
        ("index", "/"),
        ("new", NEW),
        ("adapter", "/workspaces/default/adapters/adapter-001"),
        ("delete", "/workspaces/default/adapters/adapter-001/delete"),
        ("not-found", "/workspaces/default/adapters/nope"),
        ("empty", "/workspaces/empty/adapters"),
    ]:
        page.goto(site + path)
        expect(page.locator("main")).to_be_visible()
        screenshot(page, name)


def test_xss_payloads_are_text_on_every_page_that_shows_them(site: str, page: Page, client):
    """Payloads stored or typed anywhere are shown as text; no dialog fires on any page."""
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    client.post(f"{API}/default/adapters", json=valid_body(name="stored-xss", description=XSS))
    payload = "<script>alert(3)</script>"
    visits = [
        ("/workspaces/default/adapters/stored-xss", XSS),
        ("/workspaces/default/adapters/stored-xss/delete", "stored-xss"),
        (LISTING + "?q=" + payload, ""),
        ("/?workspace=" + payload, ""),
        ("/workspaces/default/adapters/" + payload.replace("/", "%2F"), "not found"),
    ]
    for path, shown in visits:
        page.goto(site + path)
        page.wait_for_load_state("load")
        expect(page.locator("main")).to_contain_text(shown)
    expect(page.get_by_label("Workspace", exact=True)).to_have_count(0)
    page.goto(site + "/?workspace=" + payload)
    expect(page.get_by_label("Workspace", exact=True)).to_have_value(payload)
    page.goto(site + LISTING + "?q=" + payload)
    expect(page.get_by_role("searchbox", name="Search", exact=True)).to_have_value(payload)
    assert dialogs == []
