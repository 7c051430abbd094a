"""Browser fixtures and helpers: Debian's Chromium, htmx served from the pinned file, screenshots
and axe-core. Only the tests in this folder load Playwright; the `browser` marker is set on them
by the hook in tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

TESTS = Path(__file__).parent.parent
VENDOR = TESTS / ".vendor"
SCREENSHOTS = TESTS / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, kept off the network. A missing browser fails the tests."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"],
    }


def serve_htmx_from_disk(context: BrowserContext, body: bytes | None = None) -> None:
    """Answer the CDN's htmx URL with the pinned file (the machine has no internet).

    The browser still checks the SRI hash against whatever is served.
    """
    payload = body if body is not None else (VENDOR / "htmx.min.js").read_bytes()
    context.route(
        "**/htmx.org@*/dist/htmx.min.js",
        lambda route: route.fulfill(
            status=200, body=payload, content_type="text/javascript; charset=utf-8",
            headers={"Access-Control-Allow-Origin": "*"},
        ),
    )


@pytest.fixture
def site(live_server: str, context: BrowserContext) -> str:
    """A browser context that loads htmx (from the pinned file) and the app's base URL."""
    serve_htmx_from_disk(context)
    context.set_default_timeout(10_000)
    return live_server


def screenshot(page: Page, name: str) -> None:
    """Save the page at desktop and phone width, for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 720}
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(size)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate((VENDOR / "axe.min.js").read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [node["html"] for node in v["nodes"]][:3]}
        for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]


VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def axe_in_every_mode(page: Page) -> dict[str, list[dict]]:
    """axe-core's serious and critical violations in light and dark colour schemes, at desktop
    and phone width; keyed "light-desktop" and so on, so a failure says where. Empty lists when
    clean. The page is left in the light scheme at its first size."""
    size = page.viewport_size or VIEWPORTS["desktop"]
    found = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            found[f"{scheme}-{width}"] = axe_violations(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(size)
    return found


def assert_axe_clean(page: Page) -> None:
    """No serious or critical axe-core violation in any colour scheme at any width."""
    found = axe_in_every_mode(page)
    assert found == {mode: [] for mode in found}
