"""Real-browser tests: Playwright driving Debian's Chromium against the served app."""

from __future__ import annotations

import re

from conftest import API, screenshot, valid_body
from playwright.sync_api import Page, expect


def seed(live_server_client, count: int, workspace: str = "default") -> None:
    """Create adapters through the API."""
    for index in range(count):
        body = valid_body(name=f"adapter-{index:03d}",
                          finetuning_type=("lora", "dpo", "p_tuning")[index % 3],
                          model=("llama-3-8b", "mistral-7b")[index % 2],
                          enabled=index % 4 != 0,
                          description=f"Adapter number {index}")
        response = live_server_client.post(f"{API}/{workspace}/adapters", json=body)
        assert response.status_code == 201


def test_pages_render(site: str, page: Page, client):
    """Smoke: every page loads with htmx and takes its screenshots."""
    seed(client, 60)
    for name, path in [
        ("index", "/"),
        ("listing", "/workspaces/default/adapters"),
        ("new", "/workspaces/default/adapters/new"),
        ("adapter", "/workspaces/default/adapters/adapter-001"),
        ("delete", "/workspaces/default/adapters/adapter-001/delete"),
        ("not-found", "/workspaces/default/adapters/nope"),
        ("empty", "/workspaces/empty/adapters"),
    ]:
        page.goto(site + path)
        expect(page.locator("main")).to_be_visible()
        assert page.evaluate("typeof window.htmx") == "object"
        screenshot(page, name)
    page.goto(site + "/workspaces/default/adapters/new")
    page.get_by_role("button", name="Create adapter").click()
    expect(page.locator(".error-summary")).to_be_visible()
    screenshot(page, "new-errors")
    assert re.search("problems", page.content())
