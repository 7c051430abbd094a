"""The adapters listing in a real browser: history that tells the truth (Back, Forward and reload
show the URL's state; typing replaces the entry, a committed change pushes one; one request
per change; a page change moves to the top of the results), and a listing you can scan
(description lines, identifiers cut at the end, relative times, compact rows, marked matches,
partial model names, a clear page past the end)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import API, valid_body
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_axe_clean, screenshot

LISTING = "/workspaces/default/adapters"
LONG_FILESET = "default/customer-conversations-2026-q1-cleaned-and-deduplicated-for-training"
MODELS = ("meta/llama-3.1-8b-instruct", "mistralai/mistral-7b-instruct-v0.3",
          "nvidia/nemotron-4-340b-reward")
TEAMS = ("support", "search", "billing", "legal")


def seed(client, count: int) -> None:
    """Adapters as a team names them: four teams, three models, a long fileset now and then,
    a two-line description each, every third disabled."""
    for index in range(count):
        team = TEAMS[index % 4]
        body = valid_body(
            name=f"{team}-{('lora', 'dpo', 'p_tuning')[index % 3].replace('_', '-')}-{index:03d}",
            finetuning_type=("lora", "dpo", "p_tuning")[index % 3],
            model=MODELS[index % 3],
            fileset=LONG_FILESET if index % 5 == 0 else f"default/{team}-set-{index % 7}",
            enabled=index % 3 != 0,
            description=f"Answers {team} questions, run {index}\nTrained on the Q1 data.")
        response = client.post(f"{API}/default/adapters", json=body)
        assert response.status_code == 201, response.get_data(as_text=True)


def age(app, name: str, **delta: float) -> None:
    """Make an adapter look created some time ago."""
    from webui.extensions import db
    from webui.models import Adapter
    from webui.queries import utcnow

    with app.app_context():
        adapter = db.session.query(Adapter).filter_by(workspace="default", name=name).one()
        adapter.created_at = utcnow() - timedelta(**delta)
        db.session.commit()


def form_state(page: Page) -> dict[str, str]:
    """What each input of the filter form shows."""
    return {
        "q": search_box(page).input_value(),
        "finetuning_type": page.get_by_label("Finetuning type").input_value(),
        "model": page.get_by_label("Model", exact=True).input_value(),
        "enabled": page.get_by_label("Status").input_value(),
        "page_size": page.get_by_label("Per page").input_value(),
        "sort": page.locator("input[name=sort]").input_value(),
    }


def url_state(url: str) -> dict[str, str]:
    """The state a listing URL stands for, with the page's defaults filled in."""
    from urllib.parse import parse_qs, urlsplit

    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    return {"q": query.get("q", ""), "finetuning_type": query.get("finetuning_type", ""),
            "model": query.get("model", ""), "enabled": query.get("enabled", ""),
            "page_size": query.get("page_size", "50"), "sort": query.get("sort", "-created_at")}


def search_box(page: Page):
    """The listing's own search box (the header has one too)."""
    return page.get_by_role("searchbox", name="Search", exact=True)


def listing_requests(page: Page) -> list[str]:
    """The URLs of the listing requests the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url)
            if "/workspaces/default/adapters" in request.url else None)
    return sent


def settle(page: Page) -> None:
    """Wait until htmx has no request in flight."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def open_listing(page: Page, site: str, query: str = "") -> None:
    page.goto(site + LISTING + query)
    page.wait_for_function("window.htmx")


# --- history you can trust ------------------------------------------------------------------

def test_back_forward_and_reload_show_the_urls_state_in_every_input(site: str, page: Page,
                                                                    client):
    """Search "support", set Status to Disabled, sort by name; Back, Back, Forward, reload:
    every input matches the URL each time, and so do the results."""
    seed(client, 24)
    open_listing(page, site)
    count = page.locator("#results-count")
    search_box(page).press_sequentially("support", delay=30)
    expect(page).to_have_url(re.compile(r"\?q=support$"))
    expect(count).to_have_text("1–6 of 6")
    page.get_by_label("Status").select_option("false")
    expect(page).to_have_url(re.compile(r"\?q=support&enabled=false$"))
    expect(count).to_have_text("1–2 of 2")
    page.get_by_role("link", name=re.compile("^Name")).click()
    expect(page).to_have_url(re.compile(r"\?q=support&enabled=false&sort=name$"))
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Name")
    states = []

    def check() -> None:
        expect(page.locator("#results")).not_to_have_class(re.compile("htmx-request"))
        settle(page)
        assert form_state(page) == url_state(page.url)
        states.append(form_state(page))

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=support&enabled=false$"))
    check()
    assert states[-1]["enabled"] == "false" and states[-1]["sort"] == "-created_at"
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=support$"))
    check()
    assert states[-1] == {**url_state(page.url), "q": "support", "enabled": ""}
    expect(count).to_have_text("1–6 of 6")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"\?q=support&enabled=false$"))
    check()
    page.go_forward()
    expect(page).to_have_url(re.compile(r"sort=name$"))
    check()
    assert states[-1]["sort"] == "name"
    page.reload()
    page.wait_for_function("window.htmx")
    check()
    assert states[-1] == {"q": "support", "finetuning_type": "", "model": "",
                          "enabled": "false", "page_size": "50", "sort": "name"}
    page.go_back()  # a restore right after a reload
    expect(page).to_have_url(re.compile(r"\?q=support&enabled=false$"))
    check()


def test_typing_replaces_the_history_entry_and_each_commit_pushes_one(site: str, page: Page,
                                                                      client):
    """Typing slowly (pauses longer than the 300 ms wait) adds no history entry; Apply, a
    filter, a sort and a page link each add exactly one."""
    seed(client, 60)
    open_listing(page, site)
    length = page.evaluate("history.length")
    search = search_box(page)
    for word in ("sup", "por", "t"):
        search.press_sequentially(word, delay=20)
        page.wait_for_timeout(500)
        settle(page)
    expect(page).to_have_url(re.compile(r"\?q=support$"))
    assert page.evaluate("history.length") == length

    page.get_by_label("Model", exact=True).fill("llama")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"\?q=support&model=llama$"))
    assert page.evaluate("history.length") == length + 1
    page.get_by_label("Finetuning type").select_option("lora")
    expect(page).to_have_url(re.compile(r"finetuning_type=lora"))
    assert page.evaluate("history.length") == length + 2
    page.get_by_role("link", name=re.compile("^Created")).click()
    expect(page).to_have_url(re.compile(r"sort=created_at"))
    assert page.evaluate("history.length") == length + 3
    search_box(page).fill("")
    expect(page).to_have_url(re.compile(r"\?finetuning_type=lora&model=llama&sort=created_at$"))
    assert page.evaluate("history.length") == length + 3  # clearing is typing too


@pytest.mark.parametrize("how", ["change a field then press Apply", "type then press Enter",
                                 "type then press Apply at once", "choose a status"])
def test_one_request_per_change(site: str, page: Page, client, how: str):
    """Each change sends exactly one request, however it is committed."""
    seed(client, 30)
    open_listing(page, site)
    sent = listing_requests(page)
    if how == "change a field then press Apply":
        page.get_by_label("Model", exact=True).fill("mistral")
        page.get_by_role("button", name="Apply").click()
    elif how == "type then press Enter":
        search_box(page).press_sequentially("billing", delay=20)
        search_box(page).press("Enter")
    elif how == "type then press Apply at once":
        search_box(page).fill("billing")
        page.get_by_role("button", name="Apply").click()
    else:
        page.get_by_label("Status").select_option("true")
    expect(page.locator("#results-count")).not_to_have_text("1–30 of 30")
    page.wait_for_timeout(800)  # past the search box's wait: nothing more is sent
    settle(page)
    assert len(sent) == 1, sent


def test_each_change_is_spoken_once_as_a_short_status(site: str, page: Page, client):
    """The results are no live region (the whole table would be read out); one status line
    says what they now are."""
    seed(client, 24)
    open_listing(page, site)
    expect(page.locator("#results")).not_to_have_attribute("aria-live", re.compile(".*"))
    page.get_by_label("Status").select_option("false")
    expect(page.locator("#results-status")).to_have_text("1–8 of 8")
    search_box(page).fill("nothing-like-this")
    expect(page.locator("#results-status")).to_have_text("No adapters match.")
    expect(page.locator("#results-status")).to_have_attribute("aria-live", "polite")


def test_apply_with_nothing_changed_sends_nothing(site: str, page: Page, client):
    """Pressing Apply again on the state shown asks for nothing."""
    seed(client, 5)
    open_listing(page, site, "?q=support")
    sent = listing_requests(page)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_timeout(500)
    assert sent == []


def test_next_moves_to_the_top_of_the_results_and_focus_with_it(site: str, page: Page, client):
    """Next → at the foot of a long page: the new page is shown from its top, the focus on
    its count, so Tab goes on from there."""
    seed(client, 60)
    open_listing(page, site, "?page_size=25")
    next_link = page.get_by_role("link", name="Next →")
    next_link.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 300
    next_link.click()
    count = page.locator("#results-count")
    expect(count).to_have_text("26–50 of 60")
    expect(count).to_be_focused()
    top = count.bounding_box()["y"]
    assert 0 <= top < 60, top
    page.get_by_role("link", name="Page 3").click()
    expect(count).to_have_text("51–60 of 60")
    expect(count).to_be_focused()


def test_the_listing_works_as_plain_links_and_forms_without_javascript(live_server: str,
                                                                       browser: Browser, client):
    seed(client, 60)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + LISTING)
    search_box(page).fill("support")
    page.get_by_label("Model", exact=True).fill("LLAMA")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#results-count")).to_have_text("1–5 of 5")
    expect(page.locator("mark").first).to_have_text(re.compile("support", re.IGNORECASE))
    page.goto(live_server + LISTING + "?page=9")
    page.get_by_role("link", name="Go to the last page (page 2)").click()
    expect(page.locator("#results-count")).to_have_text("51–60 of 60")
    context.close()


# --- a listing you can scan ---------------------------------------------------------------

def test_rows_show_the_description_line_relative_times_and_cut_identifiers(site: str,
                                                                           page: Page, client,
                                                                           app):
    """Under each name the description's first line; the long fileset cut at its end with the
    whole value in its title, shown whole on hover; times say how long ago, exactly on hover."""
    seed(client, 20)
    age(app, "support-lora-000", days=3, hours=2)
    open_listing(page, site, "?sort=name")
    first = page.locator("table.adapters tbody tr").filter(has_text="support-lora-000")
    expect(first.locator(".desc")).to_have_text("Answers support questions, run 0")
    fileset = first.locator("td[data-label=Fileset] .clip")
    expect(fileset).to_have_attribute("title", LONG_FILESET)
    assert fileset.evaluate("e => e.scrollWidth > e.clientWidth")  # cut
    style = fileset.evaluate("e => [getComputedStyle(e).textOverflow, getComputedStyle(e)"
                             ".wordBreak, getComputedStyle(e).overflowWrap]")
    assert style == ["ellipsis", "normal", "normal"]  # never broken inside a word
    fileset.hover()
    assert fileset.evaluate("e => e.scrollWidth <= e.clientWidth")  # whole
    time = first.locator("time")
    expect(time).to_have_text("3 days ago")
    expect(time).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z$"))
    expect(time).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"))
    expect(page.locator("table.adapters tbody tr").filter(has_text="search-dpo-001")
           .locator("time")).to_have_text("just now")
    first.get_by_role("link", name="support-lora-000").focus()  # the row shows them whole
    assert fileset.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


def test_at_least_15_rows_fit_a_1280_by_900_screen(site: str, page: Page, client):
    """Compact rows: count the rows whose box lies wholly inside the viewport."""
    seed(client, 24)
    page.set_viewport_size({"width": 1280, "height": 900})
    open_listing(page, site)
    visible = page.evaluate("""() => [...document.querySelectorAll('table.adapters tbody tr')]
        .filter(row => { const box = row.getBoundingClientRect();
                         return box.top >= 0 && box.bottom <= window.innerHeight; }).length""")
    assert visible >= 15, visible


def test_search_words_are_marked_and_the_model_filter_takes_a_part(site: str, page: Page,
                                                                   client):
    """Every word searched for is marked where it shows; "llama" finds the llama models."""
    seed(client, 24)
    open_listing(page, site)
    page.get_by_label("Model", exact=True).fill("llama")
    page.get_by_label("Model", exact=True).press("Enter")
    expect(page.locator("#results-count")).to_have_text("1–8 of 8")
    models = page.locator("td[data-label=Model]").all_inner_texts()
    assert set(models) == {"meta/llama-3.1-8b-instruct"}
    search_box(page).fill("support")
    expect(page.locator("#results-count")).to_have_text("1–2 of 2")
    marks = page.locator("table.adapters td:not([data-label=Model]) mark").all_inner_texts()
    assert {mark.lower() for mark in marks} == {"support"}
    assert page.locator("td[data-label=Model] mark").all_inner_texts() == ["llama", "llama"]
    assert page.locator("td[data-label=Name] a mark").count() == 2
    assert page.locator(".desc mark").count() == 2
    screenshot(page, "listing-filtered")
    assert_axe_clean(page)


def test_the_model_filter_suggests_the_workspaces_models(site: str, page: Page, client):
    seed(client, 6)
    open_listing(page, site)
    options = page.locator("#filter-models option")
    assert sorted(options.evaluate_all("els => els.map(e => e.value)")) == [
        "default/" + model if "/" not in model else model for model in sorted(MODELS)]


def test_past_the_end_says_so_and_links_to_the_last_page(site: str, page: Page, client):
    """?page=999: a message, a link to the last page, no table and no Previous past the end."""
    seed(client, 60)
    open_listing(page, site, "?page=999")
    message = page.locator(".past-end")
    expect(message).to_contain_text("Page 999 is past the end — there are 2 pages.")
    expect(page.locator("table.adapters")).to_have_count(0)
    expect(page.get_by_role("link", name="← Previous")).to_have_count(0)
    screenshot(page, "listing-past-the-end")
    assert_axe_clean(page)
    page.get_by_role("link", name="Go to the last page (page 2)").click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.locator("#results-count")).to_have_text("51–60 of 60")
    expect(page.locator("#results-count")).to_be_focused()


def test_the_listing_is_axe_clean_with_results(site: str, page: Page, client, app):
    seed(client, 60)
    age(app, "support-lora-000", days=40)
    open_listing(page, site)
    screenshot(page, "listing")
    assert_axe_clean(page)
