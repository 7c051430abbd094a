"""Sign-in, tokens, roles and members in a real browser (Chromium), with sign-in on."""

from __future__ import annotations

import pytest
from conftest import valid_body
from playwright.sync_api import Page, expect

from webui import accounts, queries, rules, workspaces

from .conftest import axe_violations, screenshot

PASSWORD = "correct horse battery"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WEBUI_AUTH": "on"}


@pytest.fixture
def team(app) -> None:
    """alice, Admin of 'team'; vic, its Viewer; nora, no role yet; one adapter."""
    with app.app_context():
        for name in ("alice", "vic", "nora"):
            accounts.create_user(name, PASSWORD)
        workspaces.create_workspace("team", "Support bots", "alice")
        workspaces.set_member("team", "vic", ["Viewer"], "alice", add=True)
        values, _ = rules.parse_create(valid_body(name="lora-a"), "team")
        queries.create_adapter("team", values, "alice")


def sign_in(page: Page, site: str, username: str, path: str = "/") -> None:
    """Open a page, get sent to the sign-in form, and sign in there."""
    page.goto(site + path)
    expect(page).to_have_url(f"{site}/login?next={path.replace('/', '%2F').replace('?', '%3F')}"
                             if path != "/" else f"{site}/login?next=%2F")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_lands_on_the_page_asked_for(site: str, page: Page, team):
    sign_in(page, site, "alice", "/workspaces/team/adapters")
    expect(page).to_have_url(site + "/workspaces/team/adapters")
    expect(page.locator("header")).to_contain_text("Signed in as alice")
    expect(page.get_by_role("link", name="lora-a")).to_be_visible()
    screenshot(page, "signed-in-listing")


def test_a_wrong_password_says_so_without_saying_which(site: str, page: Page, team):
    page.goto(site + "/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    assert axe_violations(page) == []
    screenshot(page, "sign-in-refused")


def test_a_new_token_is_shown_once_with_snippets(site: str, page: Page, team, app):
    sign_in(page, site, "alice")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Label").fill("laptop")
    page.get_by_label("Expires in (days)").fill("30")
    page.get_by_role("button", name="Make token").click()
    token = page.locator("#token-text").inner_text()
    assert token.startswith("wui_")
    expect(page.locator("#sdk-snippet")).to_contain_text(f'access_token="{token}"')
    expect(page.locator("#curl-snippet")).to_contain_text(f"Authorization: Bearer {token}")
    expect(page.get_by_role("button", name="Copy token")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "token-made")
    page.goto(site + "/account/tokens")
    expect(page.locator("body")).not_to_contain_text(token)
    expect(page.get_by_role("cell", name="laptop", exact=True)).to_be_visible()


def test_a_viewer_sees_no_write_controls_and_a_forged_post_is_refused(site: str, page: Page,
                                                                       team, app):
    sign_in(page, site, "vic", "/workspaces/team/adapters/lora-a")
    expect(page.get_by_role("heading", name="lora-a")).to_be_visible()
    for control in ("Disable adapter", "Save description"):
        expect(page.get_by_role("button", name=control)).to_have_count(0)
    expect(page.get_by_role("link", name="Delete…")).to_have_count(0)
    page.goto(site + "/workspaces/team/adapters")
    expect(page.get_by_role("link", name="New adapter")).to_have_count(0)
    # a forged form, posted from this page with its own valid CSRF token
    status = page.evaluate("""async () => {
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
        const body = new URLSearchParams({csrf_token: token, enabled: 'false'});
        const response = await fetch('/workspaces/team/adapters/lora-a/enabled',
                                     {method: 'POST', body});
        return response.status;
    }""")
    assert status == 403
    with app.app_context():
        assert queries.get_adapter("team", "lora-a").enabled is True


def test_an_admin_adds_a_member(site: str, page: Page, team, app):
    sign_in(page, site, "alice", "/workspaces/team/members")
    page.get_by_label("Principal").fill("nora")
    page.get_by_role("group", name="Roles", exact=True).get_by_label("Editor").check()
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("status")).to_contain_text("'nora' added to team")
    expect(page.get_by_role("cell", name="nora", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "members")
    with app.app_context():
        assert workspaces.roles_of("team", "nora") == {"Editor"}


def test_the_field_check_after_the_session_ended_goes_to_sign_in(site: str, page: Page, team,
                                                                  context):
    sign_in(page, site, "alice", "/workspaces/team/new-adapter")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.htmx") == "object"
    context.clear_cookies()  # the session ends (expired, or signed out elsewhere)
    page.get_by_label("Name", exact=True).fill("x y")
    page.get_by_label("Name", exact=True).press("Tab")
    expect(page).to_have_url(f"{site}/login?next=%2Fworkspaces%2Fteam%2Fnew-adapter")


def test_new_workspace_page(site: str, page: Page, team):
    sign_in(page, site, "nora")
    page.get_by_role("link", name="New workspace").click()
    page.get_by_label("Workspace", exact=True).fill("Bad Name")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.locator("#name-error")).to_contain_text("must start with a lowercase letter")
    assert axe_violations(page) == []
    screenshot(page, "new-workspace-error")
    page.get_by_label("Workspace", exact=True).fill("nora-lab")
    page.get_by_role("button", name="Create workspace").click()
    expect(page).to_have_url(site + "/workspaces/nora-lab/adapters")
    expect(page.get_by_role("status")).to_contain_text("Workspace 'nora-lab' created.")
