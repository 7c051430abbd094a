"""The search across workspaces: ``/search?q=`` finds the adapters holding every word of a
search, in every workspace the person may read, newest first, grouped by workspace."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, request

from . import auth, listing, queries, rules, search
from .listing import ListQuery
from .model_views import model_url
from .views import PAGE_SIZES, _listing_response, _listing_url, _paging, adapter_url, url_maker

bp = Blueprint("search_pages", __name__)
SEARCH_DEFAULTS = ListQuery(page=1, page_size=25, sort="-created_at")
SEARCH_KEYS = ("q", "page", "page_size")
SEARCH_FRAGMENTS = {"search-results": "search/_results.html"}


def by_workspace(rows: list[Any], q: str) -> list[tuple[str, str, list[tuple[Any, str]]]]:
    """A page's rows grouped by workspace, each group in the order of its newest row: the
    workspace, its listing searched for ``q``, and each row with the URL of its page."""
    listing_url = url_maker("pages.adapters", "workspace")
    searched = urlencode({"q": q})
    groups: dict[str, tuple[str, str, list[tuple[Any, str]]]] = {}
    for row in rows:
        group = groups.setdefault(
            row.workspace, (row.workspace, f"{listing_url(row.workspace)}?{searched}", []))
        group[2].append((row, adapter_url(row.workspace, row.name)))
    return list(groups.values())


def model_urls(rows: list[Any]) -> dict[str, str]:
    """The model page of each model on the page, built once per model."""
    return {model: model_url(model) for model in {row.model for row in rows}}


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
        groups=by_workspace(page.items, state["q"]) if page else [],
        model_urls=model_urls(page.items) if page else {}, error=problem and problem.msg,
        page_sizes=PAGE_SIZES, page_size_default=SEARCH_DEFAULTS.page_size)
