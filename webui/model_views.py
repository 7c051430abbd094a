"""The model pages: a base model's adapters in every workspace the person may read.

An adapter's ``model`` is ``workspace/model-name`` or a bare ``model-name``. Each has its page:
``/models/<model_workspace>/<model_name>`` for the first and ``/models/<model_name>`` (one
segment, which no two-part reference can take) for the second. A reference with a ``..``
segment (a valid model name, which browsers would fold out of a path) is served at
``/models?model=<reference>`` instead; :func:`model_url` picks the right one.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for

from . import auth, listing, queries, rules, workspaces
from .listing import ListQuery
from .views import PAGE_SIZES, _listing_response, _listing_url, _paging, url_maker

bp = Blueprint("models", __name__)
MODEL_DEFAULTS = ListQuery(page=1, page_size=50, sort="name")
MODEL_KEYS = ("workspace", "page", "page_size")
MODEL_FRAGMENTS = {"model-results": "models/_results.html"}


def _route_values(model: str) -> dict[str, str]:
    """The URL variables of a model reference's page."""
    segments = model.split("/")
    if ".." in segments:  # a path would lose it: ask for it in the query string
        return {"model": model}
    if len(segments) == 2:
        return {"model_workspace": segments[0], "model_name": segments[1]}
    return {"model_name": model}


@bp.app_template_global()
def model_url(model: str, **params: object) -> str:
    """The URL of a model reference's page (``workspace/name`` or a bare ``name``).

    A page links a model on every row: each form of the URL is built once per request."""
    values = _route_values(model)
    if params or "model" in values:
        return url_for("models.model", **values, **params)
    makers = g.setdefault("model_url_makers", {})
    if len(values) not in makers:  # one for 'workspace/name', one for 'name'
        makers[len(values)] = url_maker("models.model", *values)
    return makers[len(values)](*values.values())


def _reference(model_workspace: str | None, model_name: str | None) -> str:
    """The model reference a URL names, or a 404 for one that breaks the model rules."""
    if model_name is None:
        model = request.args.get("model", "")
    else:
        model = model_name if model_workspace is None else f"{model_workspace}/{model_name}"
    if rules.check_model(model):
        abort(404, "There is no model with that name: a model is 'model-name' or "
                   "'workspace/model-name', in lowercase letters, digits, '-', '@', '.', "
                   "'+' and '_'.")
    return model


@bp.get("/models/<model_workspace>/<model_name>")
@bp.get("/models/<model_name>")
@bp.get("/models")
def model(model_workspace: str | None = None, model_name: str | None = None):
    """A base model's adapters in every readable workspace, by workspace, a page at a time."""
    reference = _reference(model_workspace, model_name)
    values = _route_values(reference)
    if model_name is None and "model" not in values:  # the query form of a plain reference
        kept = {key: value for key, value in request.args.items() if key != "model"}
        return redirect(url_for("models.model", **values, **kept), 308)
    state = {key: request.args.get(key, "").strip() for key in MODEL_KEYS}
    query = _paging(state, listing.ADAPTERS, MODEL_DEFAULTS)
    who = auth.principal()
    readable = None if who.platform_admin else workspaces._readable_names(who.username)
    held = queries.model_workspaces(reference, readable)
    chosen = [row for row in held if row.workspace == state["workspace"]]
    if not chosen:  # a workspace without the model (or unreadable) is no filter
        state["workspace"] = ""
    page = queries.list_model_adapters(reference, chosen or held, query.page, query.page_size)
    types = queries.model_type_counts(reference, state["workspace"] or None, readable)
    return _listing_response(
        "models/page.html", MODEL_FRAGMENTS,
        _listing_url("models.model", state, MODEL_DEFAULTS, **values),
        model=reference, by_query="model" in values, state=state, page=page, held=held,
        counts=dict(held), total=sum(count for _, count in held), types=types,
        page_sizes=PAGE_SIZES)
