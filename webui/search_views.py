"""The search across workspaces: ``/search?q=`` finds the adapters holding every word of a
search, in every workspace the person may read, newest first, grouped by workspace."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from . import auth, listing, queries, rules, search
from .listing import ListQuery
from .views import PAGE_SIZES, _listing_response, _listing_url, _paging

bp = Blueprint("search_pages", __name__)
SEARCH_DEFAULTS = ListQuery(page=1, page_size=50, sort="-created_at")
SEARCH_KEYS = ("q", "page", "page_size")
SEARCH_FRAGMENTS = {"search-results": "search/_results.html"}


def by_workspace(rows: list[Any]) -> list[tuple[str, list[Any]]]:
    """A page's rows grouped by workspace, each group in the order of its newest row."""
    groups: dict[str, list[Any]] = {}
    for row in rows:
        groups.setdefault(row.workspace, []).append(row)
    return list(groups.items())


@bp.get("/search")
def search_page():
    """Adapters in every readable workspace holding every word of ``q``, a page at a time."""
    state = {key: request.args.get(key, "").strip() for key in SEARCH_KEYS}
    problem = rules.check_search(request.args.get("q", ""))
    if problem:  # shown at the box, with nothing searched
        state["q"] = state["q"][:rules.SEARCH_MAX] if "\x00" not in state["q"] else ""
    query = _paging(state, listing.ADAPTERS, SEARCH_DEFAULTS)
    terms = [] if problem else search.words(state["q"])
    page = None
    if terms:
        who = auth.principal()
        page = queries.search_adapters(state["q"], None if who.platform_admin else who.username,
                                       query.page, query.page_size)
    return _listing_response(
        "search/page.html", SEARCH_FRAGMENTS,
        _listing_url("search_pages.search_page", state, SEARCH_DEFAULTS),
        422 if problem else 200, state=state, terms=terms, page=page,
        groups=by_workspace(page.items) if page else [], error=problem and problem.msg,
        page_sizes=PAGE_SIZES, search_max=rules.SEARCH_MAX)
