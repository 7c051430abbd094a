"""The workspaces index: a page at a time, searchable by name, counted, and bounded."""

from __future__ import annotations

from datetime import datetime
from itertools import product

import pytest
from conftest import PASSWORD, signed_in
from htmlquery import every, one, parse, rows, text
from sqlalchemy import event

from webui import accounts, workspaces
from webui.extensions import db
from webui.models import Workspace


def add_workspaces(app, *names: str) -> None:
    """Workspace records, in one commit (the index reads only these)."""
    with app.app_context():
        db.session.add_all(Workspace(name=name, adapter_count=index % 7, id=str(index),
                                     updated_at=datetime(2026, 1, 1, 12, index % 60))
                           for index, name in enumerate(names))
        db.session.commit()


def numbered(count: int) -> list[str]:
    return [f"ws-{number:03d}" for number in range(count)]


def names(page) -> list[str]:
    """The workspace names the index shows, top to bottom."""
    return [row[0] for row in rows(page)]


def count_line(page) -> str:
    return text(one(page, "#workspace-count"))


# --- pages and their size ----------------------------------------------------------------

def test_the_first_page_shows_twenty_five_and_counts_them_all(app, client):
    """250 workspaces: the first 25 by name, and the total."""
    add_workspaces(app, *reversed(numbered(250)))
    page = parse(client.get("/"))
    assert names(page) == numbered(25)
    assert count_line(page) == "Showing 1–25 of 250 workspaces"


@pytest.mark.parametrize("asked, shown", [("25", 25), ("50", 50), ("100", 100)])
def test_a_page_size_the_listing_offers_is_used(app, client, asked, shown):
    add_workspaces(app, *numbered(250))
    page = parse(client.get(f"/?page_size={asked}"))
    assert len(names(page)) == shown
    assert one(page, "#workspace-page-size option[selected]")["value"] == asked


@pytest.mark.parametrize("asked", ["1000", "101", "99", "0", "-5", "ten", "1e3", "9" * 400, ""])
def test_any_other_page_size_falls_back_to_twenty_five(app, client, asked):
    """As on the adapters listing: never more than 100 a page, never an error."""
    add_workspaces(app, *numbered(250))
    response = client.get("/", query_string={"page_size": asked})
    assert response.status_code == 200
    assert len(names(response)) == 25
    assert one(response, "#workspace-page-size option[selected]")["value"] == "25"


@pytest.mark.parametrize("asked", ["0", "-1", "two", "1.5", "9" * 400, " ", "\x00"])
def test_a_bad_page_number_shows_the_first_page(app, client, asked):
    add_workspaces(app, *numbered(120))
    response = client.get("/", query_string={"page": asked})
    assert response.status_code == 200
    assert names(response) == numbered(25)


def test_a_page_past_the_end_says_so(app, client):
    add_workspaces(app, *numbered(120))
    response = client.get("/?page=99")
    assert response.status_code == 200
    assert count_line(response) == "Page 99 is past the end: 120 workspaces in all"
    assert every(response, "table tbody tr") == []


def test_previous_and_next_links_walk_the_pages(app, client):
    add_workspaces(app, *numbered(120))
    first = parse(client.get("/"))
    assert one(first, 'nav.pagination a[rel="next"]')["href"] == "/?page=2"
    assert every(first, 'nav.pagination a[rel="prev"]') == []
    last = parse(client.get("/?page=5"))
    assert names(last) == numbered(120)[100:]
    assert count_line(last) == "Showing 101–120 of 120 workspaces"
    assert one(last, 'nav.pagination a[rel="prev"]')["href"] == "/?page=4"
    assert every(last, 'nav.pagination a[rel="next"]') == []
    assert text(one(last, 'nav.pagination [aria-current="page"]')) == "5"


def test_one_page_needs_no_pager(app, client):
    add_workspaces(app, *numbered(3))
    page = parse(client.get("/"))
    assert count_line(page) == "Showing 1–3 of 3 workspaces"
    assert every(page, "nav.pagination") == []


# --- search by name ----------------------------------------------------------------------

SEARCHED = ("research-a", "Research-B", "RESEARCH-c", "re", "Re_x", "search-x", "a_b", "axb",
            "a%c", "team-research")
FOUND_RES = ["research-a", "Research-B", "RESEARCH-c"]  # in name order, ignoring case


@pytest.mark.parametrize("term, found", [
    ("res", FOUND_RES),
    ("RESEARCH-", FOUND_RES),
    ("research-b", ["Research-B"]),
    ("re", ["re", "Re_x", *FOUND_RES]),  # '_' folds below every letter, as lower case does
    ("search", ["search-x"]),  # the start of a name, not anywhere in it
    ("a_", ["a_b"]),  # '_' and '%' are themselves, not wildcards
    ("a%", ["a%c"]),
    ("zzz", []),
    ("ré", []),
    ("  res  ", FOUND_RES),
], ids=["prefix", "upper", "whole", "short", "not-inside", "underscore", "percent", "none",
        "non-ascii", "spaces"])
def test_search_keeps_names_that_start_with_the_term_in_any_case(app, client, term, found):
    add_workspaces(app, *SEARCHED)
    response = client.get("/", query_string={"q": term})
    assert response.status_code == 200
    if found:
        assert names(response) == found
        assert count_line(response) == (
            f"Showing 1–{len(found)} of {len(found)} workspace{'s' if len(found) > 1 else ''} "
            f"whose names start with “{term.strip()}”")
    else:
        assert "No workspace names start with" in text(one(response, ".empty"))
        assert one(response, ".empty a")["href"] == "/"


def test_names_differing_only_in_case_are_all_found_in_a_stable_order(app, client):
    """Every case of one name (32) and a longer one: all found, those equal but for case by
    name (as stored), the same order on each page, none lost or repeated between pages."""
    cases = ["".join(letters) for letters in product(*({c, c.upper()} for c in "alpha"))]
    add_workspaces(app, "alph", "alphb", *reversed(cases), "ALPHA-1", "alpha0")
    expected = [*sorted(cases), "ALPHA-1", "alpha0"]  # '-' and '0' fold after the end of 'alpha'
    for term in ("alpha", "ALPHA", "aLpHa"):
        first = parse(client.get("/", query_string={"q": term}))
        second = parse(client.get("/", query_string={"q": term, "page": "2"}))
        assert names(first) + names(second) == expected
        assert count_line(first).startswith("Showing 1–25 of 34 workspaces")
    assert names(client.get("/?q=ALPHA-")) == ["ALPHA-1"]
    assert names(client.get("/?q=alph&page_size=100")) == ["alph", *expected, "alphb"]


def test_the_search_is_counted_and_paged_with_its_term_in_the_links(app, client):
    add_workspaces(app, *numbered(120), *(f"other-{number:03d}" for number in range(60)))
    page = parse(client.get("/?q=ws-&page=2"))
    assert names(page) == numbered(120)[25:50]
    assert count_line(page).startswith("Showing 26–50 of 120 workspaces")
    assert one(page, "#workspace-q")["value"] == "ws-"
    assert one(page, 'nav.pagination a[rel="next"]')["href"] == "/?q=ws-&page=3"
    assert one(page, 'nav.pagination a[rel="prev"]')["href"] == "/?q=ws-"


def test_the_search_is_a_get_form_that_works_without_javascript(app, client):
    """Its state lives in the URL: the form sends q and page_size to / itself."""
    add_workspaces(app, "alpha", "beta")
    form = one(client.get("/"), "form#workspace-search")
    assert form["method"] == "get" and form["action"] == "/"
    assert form["role"] == "search"
    assert one(form, 'input[type="search"]')["name"] == "q"
    assert one(form, f'label[for="{one(form, "input")["id"]}"]')
    assert one(form, "select")["name"] == "page_size"
    assert one(form, 'button[type="submit"]')
    assert form["hx-get"] == "/" and form["hx-target"] == "#workspace-results"
    assert names(client.get("/?q=be&page_size=25")) == ["beta"]


@pytest.mark.parametrize("target", ["workspace-results", "div#workspace-results"])
def test_htmx_gets_the_results_alone_and_the_tidy_url(app, client, target):
    add_workspaces(app, *numbered(60), "research")
    response = client.get("/?q=ws&page=2&page_size=25",
                          headers={"HX-Request": "true", "HX-Target": target})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'id="workspace-search"' not in body
    assert names(response) == numbered(60)[25:50]
    assert response.headers["HX-Push-Url"] == "/?q=ws&page=2"
    assert "HX-Target" in response.headers["Vary"]


def test_without_the_results_target_htmx_gets_the_whole_page(app, client):
    add_workspaces(app, "alpha")
    body = client.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in body and 'id="workspace-search"' in body


def test_what_was_typed_is_shown_escaped(app, client):
    body = client.get("/", query_string={"q": "<b>x</b>"}).get_data(as_text=True)
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body


# --- served by the index ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/?q=res", "/?q=RES&page=3", "/?q=RE%25_",
                                  "/?page=2&page_size=100"])
def test_every_statement_of_the_index_reads_the_name_index(app, client, path):
    """On SQLite, every statement of the index reads a name index in its order, never sorting:
    a page, the primary key; a search, only the one range of the case-blind index that can
    match (never a walk of all of it)."""
    add_workspaces(app, *numbered(300), *(f"research-{number}" for number in range(300)),
                   *(f"RESEARCH-{number}" for number in range(30)), "re%_x")
    seen: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            pytest.skip("query plans are checked on SQLite")

        def record(_conn, _cursor, statement, parameters, _context, _many):
            if "FROM workspaces" in statement:
                seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(seen) == 2  # the count, then the page
        with engine.connect() as connection:
            for statement, parameters in seen:
                plan = [row[3] for row in connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters)]
                assert not any("TEMP B-TREE" in line for line in plan), plan  # no sort
                touching = [line for line in plan if " workspaces" in line]
                if "q=" in path:
                    assert touching and all(
                        line.startswith("SEARCH workspaces USING")
                        and line.endswith("INDEX ix_workspaces_name_nocase (name>? AND name<?)")
                        for line in touching), plan
                else:
                    assert touching and all("INDEX sqlite_autoindex_workspaces_1" in line
                                            for line in touching), plan


# --- sign-in on ------------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_with_sign_in_a_person_sees_and_counts_only_their_workspaces(app, client):
    with app.app_context():
        accounts.create_user("alice", PASSWORD)
        accounts.create_user("root", PASSWORD, platform_admin=True)
        for number in range(80):
            workspaces.create_workspace(f"ws-{number:03d}", None, "root")
        for number in range(0, 80, 10):
            workspaces.set_member(f"ws-{number:03d}", "alice", ["Viewer"], "root", add=True)
        workspaces.set_member("ws-005", "*", ["Viewer"], "root", add=True)
    signed_in(client, "alice")
    mine = ["ws-000", "ws-005", *(f"ws-{number:03d}" for number in range(10, 80, 10))]
    page = parse(client.get("/"))
    assert names(page) == mine
    assert count_line(page) == "Showing 1–9 of 9 workspaces"
    searched = parse(client.get("/?q=ws-00"))
    assert names(searched) == ["ws-000", "ws-005"]
    assert count_line(searched).startswith("Showing 1–2 of 2 workspaces")
    admin = app.test_client()
    signed_in(admin, "root")
    assert count_line(admin.get("/")) == "Showing 1–25 of 80 workspaces"


def test_queries_are_bounded_by_the_page(app):
    """The list itself always takes a page: there is no way to ask for every workspace."""
    with app.app_context():
        with pytest.raises(TypeError):
            workspaces.list_workspaces(None)  # type: ignore[call-arg]
