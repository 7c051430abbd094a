"""The activity history in Chromium: a change made on the adapter page shows in its History
and in the workspace's activity, which filters by kind and pages with htmx; axe-clean in
light and dark at both widths."""

from __future__ import annotations

from conftest import API, valid_body
from playwright.sync_api import Page, expect

from .conftest import assert_axe_clean, screenshot

ADAPTER = "/workspaces/default/adapters/lora-a"


def test_a_change_made_on_the_page_shows_in_its_history_and_the_activity(
        site: str, page: Page, client):
    body = valid_body(name="lora-a", description="Support bot\nMarch data",
                      lora_config={"rank": 8, "alpha": 16})
    assert client.post(f"{API}/default/adapters", json=body).status_code == 201
    page.goto(site + ADAPTER)
    page.get_by_role("button", name="Disable adapter").click()
    history = page.locator("section[aria-labelledby=history-title]")
    expect(history.locator(".event").first).to_contain_text("local changed adapter")
    expect(history.locator(".event").first.locator(".changes")).to_contain_text(
        "Enabled was yes → now no")
    history.get_by_role("link", name="Its history in the workspace's activity").click()
    expect(page).to_have_url(site + "/workspaces/default/activity?adapter=lora-a")
    expect(page.locator(".timeline .event")).to_have_count(2)
    expect(page.get_by_label("Adapter", exact=True)).to_have_value("lora-a")
    page.get_by_label("What", exact=True).select_option("adapter.created")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".timeline .event")).to_have_count(1)
    expect(page.locator(".timeline .event")).to_contain_text("LoRA config rank 8, alpha 16")
    page.wait_for_function("window.htmx")
    assert_axe_clean(page)
    screenshot(page, "activity")


def test_the_activity_pages_in_place(site: str, page: Page, client):
    for number in range(30):
        client.post(f"{API}/default/adapters", json=valid_body(name=f"a-{number:02d}"))
    page.goto(site + "/workspaces/default/activity")
    page.wait_for_function("window.htmx")
    expect(page.locator("#activity-count")).to_have_text("1–25 of 30 changes, newest first")
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#activity-count")).to_have_text("26–30 of 30 changes, newest first")
    expect(page).to_have_url(site + "/workspaces/default/activity?page=2")
    expect(page.locator(".timeline .event").first).to_contain_text("created adapter a-04")
