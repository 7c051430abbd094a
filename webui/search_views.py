"""The search across workspaces: ``/search?q=`` finds the adapters holding every word of a
search, in every workspace the person may read, newest first, grouped by workspace."""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import Blueprint, request
from markupsafe import Markup

from . import auth, listing, queries, rules, search
from .listing import ListQuery
from .model_views import model_url
from .views import (
    PAGE_SIZES,
    _listing_response,
    _listing_url,
    _paging,
    adapter_url_maker,
    url_maker,
)

bp = Blueprint("search_pages", __name__)
SEARCH_DEFAULTS = ListQuery(page=1, page_size=25, sort="-created_at")
SEARCH_KEYS = ("q", "page", "page_size")
SEARCH_FRAGMENTS = {"search-results": "search/_results.html"}


class Hit(NamedTuple):
    """One adapter found, as its line on the page shows it: the words marked."""

    url: str
    name: Markup
    workspace: str
    model_url: str
    model: Markup
    finetuning_type: str
    fileset: Markup
    line: Markup  # the description's first line


def by_workspace(rows: list[Any], terms: list[str], q: str
                 ) -> list[tuple[str, str, list[Hit]]]:
    """A page's rows grouped by workspace, each group in the order of its newest row: the
    workspace, its listing searched for ``q``, and each row's :class:`Hit` (built here, once
    per row: in the template, the same work cost more than the search). A model shown on
    many rows is marked and linked once."""
    listing_url = url_maker("pages.adapters", "workspace")
    page_url = adapter_url_maker()
    searched = "?" + urlencode({"q": q})
    mark = search.marker(terms)
    models: dict[str, tuple[str, Markup]] = {}
    groups: dict[str, tuple[str, str, list[Hit]]] = {}
    for _id, workspace, name, model, finetuning_type, fileset, description in rows:
        group = groups.get(workspace)
        if group is None:
            group = groups[workspace] = (workspace, listing_url(workspace) + searched, [])
        shown = models.get(model)
        if shown is None:
            shown = models[model] = (model_url(model), mark(model))
        group[2].append(Hit(page_url(workspace, name), mark(name), workspace, *shown,
                            finetuning_type, mark(fileset),
                            mark(search.first_line(description))))
    return list(groups.values())


@bp.get("/search")
def search_page():
    """Adapters in every readable workspace holding every word of ``q``, a page at a time."""
    state = {key: request.args.get(key, "").strip() for key in SEARCH_KEYS}
    problem = rules.check_search(request.args.get("q", ""))
    if problem:  # shown at the box, with nothing searched
        state["q"] = rules.refused_search_shown(state["q"])
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
        groups=by_workspace(page.items, terms, state["q"]) if page else [],
        error=problem and problem.msg,
        page_sizes=PAGE_SIZES, page_size_default=SEARCH_DEFAULTS.page_size)
