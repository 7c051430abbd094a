"""The API reference page (/apis/docs) in Chromium: its contents links, axe-core, screenshots."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from .conftest import axe_violations, screenshot

DOCS = "/apis/docs"


def test_the_api_reference_follows_its_contents_and_passes_axe(site: str, page: Page):
    """The header's API link opens the page; a contents link scrolls to its operation; axe-core
    finds nothing serious at desktop or phone width."""
    page.goto(site + "/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="API").click()
    expect(page).to_have_url(site + DOCS)
    expect(page.get_by_role("heading", level=1)).to_have_text("API reference")
    contents = page.get_by_role("navigation", name="Contents")
    contents.get_by_role("link", name="Change an adapter of a model").click()
    expect(page).to_have_url(site + DOCS + "#patchModelAdapter")
    expect(page.locator("#patchModelAdapter")).to_be_in_viewport()
    assert axe_violations(page) == []
    page.goto(site + DOCS)
    screenshot(page, "api-docs")
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []


def test_the_api_reference_works_with_javascript_off(live_server: str, browser: Browser):
    """Without JavaScript the page is whole and its links still lead to their sections."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + DOCS)
    page.get_by_role("navigation", name="Contents").get_by_role("link", name="Schemas").click()
    expect(page).to_have_url(live_server + DOCS + "#schemas")
    page.locator("#createAdapter").get_by_role("link", name="FinetuningType").first.click()
    expect(page.locator("#schema-FinetuningType")).to_be_in_viewport()
    expect(page.locator("#schema-FinetuningType")).to_contain_text("qlora")
    context.close()
