"""Every page follows the system's colour scheme: with prefers-color-scheme: dark it is drawn
in the dark set of app.css, and axe-core finds no serious violation (colour contrast included)
in light or dark, at desktop or phone width. Sign-in is on, so the sign-in and tokens pages are
among them. Dark screenshots are saved as "<page>-dark"."""

from __future__ import annotations

import pytest
from conftest import valid_body
from playwright.sync_api import Page, expect

from webui import accounts, queries, rules, workspaces

from .conftest import assert_axe_clean, screenshot

PASSWORD = "correct horse battery"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WEBUI_AUTH": "on"}


@pytest.fixture
def team(app) -> None:
    """alice, Admin of 'team' (with vic, a Viewer), which has a few adapters."""
    with app.app_context():
        accounts.create_user("alice", PASSWORD)
        accounts.create_user("vic", PASSWORD)
        workspaces.create_workspace("team", "Support bots", "alice")
        workspaces.set_member("team", "vic", ["Viewer"], "alice", add=True)
        for index, kind in enumerate(("lora", "dpo", "p_tuning")):
            body = valid_body(name=f"bot-{index}", finetuning_type=kind, enabled=index != 1,
                              description=f"Support bot number {index}\nwith notes")
            values, _ = rules.parse_create(body, "team")
            queries.create_adapter("team", values, "alice")


def sign_in(page: Page, site: str) -> None:
    page.goto(site + "/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header")).to_contain_text("Signed in as alice")


def create_form_with_errors(page: Page, site: str) -> None:
    page.goto(site + "/workspaces/team/new-adapter")
    page.get_by_label("Name", exact=True).fill("bad name")
    page.get_by_role("button", name="Create adapter").click()
    expect(page.locator(".error-summary")).to_be_visible()


def tokens_with_a_new_token(page: Page, site: str) -> None:
    page.goto(site + "/account/tokens")
    page.get_by_label("Label").fill("laptop")
    page.get_by_role("button", name="Make token").click()
    expect(page.locator("#new-token")).to_be_visible()


def adapter_editing(page: Page, site: str) -> None:
    page.goto(site + "/workspaces/team/adapters/bot-0")
    page.locator("summary", has_text="Edit description").click()
    expect(page.get_by_role("textbox", name="Description")).to_be_visible()


PAGES = {
    "index": "/",
    "listing": "/workspaces/team/adapters",
    "adapter": adapter_editing,
    "new-errors": create_form_with_errors,
    "delete": "/workspaces/team/adapters/bot-0/delete",
    "members": "/workspaces/team/members",
    "activity": "/workspaces/team/activity",
    "tokens": tokens_with_a_new_token,
    "api-docs": "/apis/docs",
    "not-found": "/workspaces/team/adapters/nope",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_is_axe_clean_in_light_and_dark(site: str, page: Page, team, name: str):
    """Each page passes axe-core (contrast included) in both schemes at both widths."""
    sign_in(page, site)
    visit = PAGES[name]
    if callable(visit):
        visit(page, site)
    else:
        page.goto(site + visit)
    page.wait_for_function("window.htmx")
    assert_axe_clean(page)
    page.emulate_media(color_scheme="dark")
    screenshot(page, f"{name}-dark")


def test_the_sign_in_page_is_axe_clean_in_light_and_dark(site: str, page: Page, team):
    """The sign-in page, after a refused attempt, in both schemes."""
    page.goto(site + "/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_axe_clean(page)
    page.emulate_media(color_scheme="dark")
    screenshot(page, "sign-in-dark")


def test_the_dark_scheme_is_drawn_when_asked_for(site: str, page: Page, team):
    """Light by default, dark when the system prefers it: the page's colours really change."""
    sign_in(page, site)
    page.goto(site + "/workspaces/team/adapters/bot-0")
    colours = "[getComputedStyle(document.body).backgroundColor, " \
              "getComputedStyle(document.body).color]"
    page.emulate_media(color_scheme="light")
    assert page.evaluate(colours) == ["rgb(245, 246, 248)", "rgb(28, 36, 48)"]
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(colours) == ["rgb(15, 20, 26)", "rgb(230, 233, 239)"]
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == (
        "light dark")
