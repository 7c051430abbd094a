"""The HTML pages: workspaces, a workspace's adapters, the create form, one adapter.

Fixed words stand where no name can: the create form is ``/workspaces/<ws>/new-adapter``, so
``/workspaces/<ws>/adapters/<name>`` is the page of every valid name, ``new`` included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from . import activity, auth, htmx, listing, queries, rules, snippets, workspaces
from .errors import PageNotFound
from .forms import AdapterForm, DescriptionForm, WorkspaceForm
from .listing import ListQuery
from .models import Adapter
from .search import words
from .times import absolute_element, time_element

bp = Blueprint("pages", __name__)
PAGE_SIZES = (25, 50, 100)
ADAPTER_HISTORY_SHOWN = 5  # an adapter's newest changes on its page; the rest a link away
LIST_DEFAULTS = ListQuery(page=1, page_size=50, sort="-created_at")
LISTING_KEYS = ("q", "finetuning_type", "model", "enabled", "sort", "page", "page_size")
FILTER_KEYS = ("finetuning_type", "model", "enabled")
# the model filter finds a part of the model's name, case-blind ("llama" finds meta/llama-3)
FILTER_PARAMETERS = {"finetuning_type": "filter[finetuning_type]",
                     "model": "filter[model][$like]", "enabled": "filter[enabled]"}
# the index: in name order, which the name's index serves, as it does the search by name
INDEX_DEFAULTS = ListQuery(page=1, page_size=25, sort="name")
INDEX_KEYS = ("q", "page", "page_size")
INDEX_FRAGMENTS = {"workspace-results": "_workspace_results.html"}


@bp.app_context_processor
def _page_globals() -> dict:
    return {"type_groups": rules.FINETUNING_TYPE_GROUPS, "lora_types": sorted(rules.LORA_TYPES),
            "labels": rules.LABELS, "field_hint": rules.hint,
            "search_max": rules.SEARCH_MAX}


_PATH_SAFE = "!$&'()*+,/:;=@"  # what url_for leaves as it is in a path segment (werkzeug's)
_QUERY_SAFE = "!$'()*,/:;?@"  # and in a query value
_NEEDS_NO_QUOTING = re.compile(r"[A-Za-z0-9_.~\-" + re.escape(_PATH_SAFE) + "]*").fullmatch


def _path_segment(value: str) -> str:
    """``value`` quoted as url_for quotes a path segment; most names need nothing, and the
    check is quicker than quote."""
    return value if _NEEDS_NO_QUOTING(value) else quote(value, safe=_PATH_SAFE)


def url_maker(endpoint: str, *names: str) -> Callable[..., str]:
    """A function that makes ``endpoint``'s URL from the values of ``names``, in order, at the
    cost of string joins: url_for runs once, with a stand-in for each value, and the values are
    quoted into its pieces. A page of rows builds one per row; url_for cost more than the row."""
    slots = [f"slot-{number}-slot" for number in range(len(names))]  # valid in any name
    rest = url_for(endpoint, **dict(zip(names, slots, strict=True)))
    pieces = []
    for slot in slots:
        piece, _, rest = rest.partition(slot)
        pieces.append(piece)

    def make(*values: str) -> str:
        return "".join(piece + _path_segment(value) for piece, value in zip(
            pieces, values, strict=True)) + rest
    return make


def adapter_url_maker() -> Callable[[str, str], str]:
    """This request's maker of adapter page URLs (workspace, name): one url_for per request."""
    if "adapter_url" not in g:
        g.adapter_url = url_maker("pages.adapter", "workspace", "name")
    return g.adapter_url


@bp.app_template_global()
def adapter_url(workspace: str, name: str) -> str:
    """The URL of an adapter's page (see :func:`url_maker`)."""
    return adapter_url_maker()(workspace, name)


# a stored UTC time as a <time> showing its date and time
bp.add_app_template_global(absolute_element, "when")


@bp.app_template_global()
def ago(moment: datetime) -> Markup:
    """A stored UTC time as a <time> saying how long ago it was, the exact time on hover.
    Every time on a page is told from one moment, read once."""
    if "now" not in g:
        g.now = queries.utcnow()
    return time_element(moment, g.now)


@bp.app_template_global()
def page_window(page: int, last: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and a few around the current; None is a gap."""
    shown = sorted({1, last, *range(max(1, page - around), min(last, page + around) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def _actor() -> str:
    """Who is making a change, as recorded."""
    return auth.principal().username


def _checked_workspace(workspace: str) -> str:
    if rules.check_workspace(workspace):
        abort(404, f"There is no workspace called '{workspace}'.")
    return workspace


def _adapter_or_404(workspace: str, name: str, offer_create: bool = False) -> Adapter:
    """The adapter, or a 404 page (with a link to the create form, if asked and allowed)."""
    _checked_workspace(workspace)
    adapter = None if rules.check_name(name) else queries.get_adapter(workspace, name)
    if adapter is None:
        link = None
        if offer_create and auth.can("adapters.write", workspace):
            link = ("Create an adapter", url_for("pages.new_adapter", workspace=workspace))
        raise PageNotFound(queries.not_found_message(workspace, name) + ".", link)
    return adapter


@bp.get("/")
def index():
    """The workspaces one may read, a page at a time, searchable by name; open any by name."""
    asked = "workspace" in request.args
    form = WorkspaceForm(request.args if asked else None)
    if asked and form.validate():
        endpoint = "pages.new_adapter" if request.args.get("action") == "new" else "pages.adapters"
        return redirect(url_for(endpoint, workspace=form.workspace.data), 303)
    state = {key: request.args.get(key, "").strip() for key in INDEX_KEYS}
    query = _paging(state, listing.WORKSPACES, INDEX_DEFAULTS)
    who = auth.principal()
    page = workspaces.list_workspaces(None if who.platform_admin else who.username, query,
                                      search=state["q"] or None)
    listing_url = _listing_url("pages.index", state, INDEX_DEFAULTS)
    return _listing_response("index.html", INDEX_FRAGMENTS, listing_url,
                             422 if form.errors else 200, form=form, state=state, page=page,
                             page_sizes=PAGE_SIZES)


def _paging(state: dict[str, str], spec: listing.ListSpec, defaults: ListQuery) -> ListQuery:
    """Page, page size and sort from a listing's state, by the API's own list rules; what they
    refuse, or a page size the pages do not offer, falls back to the default. The state is
    tidied to match."""
    paging, _ = listing.parse_paging(
        {key: state[key] for key in ("page", "page_size", "sort") if state.get(key)},
        spec, defaults)
    if paging.page_size not in PAGE_SIZES:
        paging = paging._replace(page_size=defaults.page_size)
    state.update(page=str(paging.page), page_size=str(paging.page_size))
    if "sort" in state:
        state["sort"] = paging.sort
    return paging


def _listing_url(endpoint: str, state: dict[str, str], defaults: ListQuery, **values: str):
    """A listing's URL builder: its state with some changes; defaults and blanks are left out.
    The path is built once and each URL adds its query as url_for would (a pager links a
    dozen URLs of the same listing)."""
    assumed = {"page": "1", "page_size": str(defaults.page_size), "sort": defaults.sort}
    path = url_for(endpoint, **values)

    def listing_url(**changes: object) -> str:
        """This listing's URL with some state changed."""
        wanted = {**state, **changes}
        params = [(key, str(value)) for key, value in wanted.items()
                  if value not in (None, "") and str(value) != assumed.get(key)]
        return f"{path}?{urlencode(params, safe=_QUERY_SAFE)}" if params else path
    return listing_url


def _listing_response(template: str, fragments: dict[str, str], listing_url, status: int = 200,
                      **context) -> Response:
    """A listing's page, or its results alone for htmx, which is told the tidy URL to show."""
    response = htmx.render(template, fragments, status, listing_url=listing_url, **context)
    if htmx.is_htmx():
        # a committed change pushes a history entry; typing in a search box (its requests
        # say X-History: replace) replaces the current one. Either way, the tidy URL.
        replace = request.headers.get("X-History") == "replace"
        response.headers["HX-Replace-Url" if replace else "HX-Push-Url"] = listing_url()
    return response


def _listing_state() -> tuple[dict[str, str], ListQuery]:
    """The listing's state from the query string, parsed once: each refused value falls back
    to its default. Returns the state as the form shows it, and the query it stands for."""
    state = {key: request.args.get(key, "").strip() for key in LISTING_KEYS}
    if rules.check_finetuning_type(state["finetuning_type"]):
        state["finetuning_type"] = ""
    if rules.parse_flag(state["enabled"]) is None:
        state["enabled"] = ""
    paging = _paging(state, listing.ADAPTERS, LIST_DEFAULTS)
    try:
        conditions = listing.parse_filter(
            (FILTER_PARAMETERS[key], state[key]) for key in FILTER_KEYS if state[key])
    except listing.FilterError as bad:
        abort(400, str(bad))
    return state, paging._replace(filter=conditions)


@bp.get("/workspaces/<workspace>/adapters")
def adapters(workspace: str):
    """A workspace's adapters: search, filters, sort and pages, all in the query string."""
    _checked_workspace(workspace)
    state, query = _listing_state()
    page = queries.list_adapters(workspace, query, search=state["q"] or None)
    fragments = {"results": "adapters/_results.html"}
    # the results alone need no model suggestions
    models = [] if htmx.fragment(fragments) else queries.models_in_workspace(workspace)
    return _listing_response(
        "adapters/list.html", fragments,
        _listing_url("pages.adapters", state, LIST_DEFAULTS, workspace=workspace),
        workspace=workspace, state=state, page=page, page_sizes=PAGE_SIZES, models=models,
        terms=words(state["q"]), defaults=LIST_DEFAULTS)


@bp.route("/workspaces/<workspace>/new-adapter", methods=["GET", "POST"])
def new_adapter(workspace: str):
    """The create form; a valid POST creates the adapter and goes to its page."""
    _checked_workspace(workspace)
    form = AdapterForm()
    form.workspace = workspace
    if form.validate_on_submit():
        values, errors = rules.parse_create(form.body(), workspace)
        for entry in errors:  # the form wraps the same checks, so only as a safety net
            if len(entry["loc"]) == 2:
                form[entry["loc"][1]].errors.append(entry["msg"])
        if not errors:
            try:
                adapter = queries.create_adapter(workspace, values, _actor())
            except queries.NameTaken as taken:
                form.name.errors.append(str(taken))
            else:
                flash(f"Adapter '{adapter.name}' created.", "success")
                url = url_for("pages.adapter", workspace=workspace, name=adapter.name)
                return htmx.location(url) if htmx.is_htmx() else redirect(url, 303)
    status = 422 if form.is_submitted() else 200
    return htmx.render(
        "adapters/new.html", {"adapter-form": "adapters/_form_answer.html"}, status,
        workspace=workspace, form=form, models=queries.models_in_workspace(workspace),
        summary=form.is_submitted(),
    )


@bp.post("/workspaces/<workspace>/new-adapter/validate")
def validate_field(workspace: str):
    """Check one input of the create form; answer its message slot (and the summary, if shown)."""
    _checked_workspace(workspace)
    input_name = request.args.get("field", "")
    form = AdapterForm()
    form.workspace = workspace
    messages = form.validate_field(input_name)
    if messages is None:
        abort(400, "Unknown field.")
    if input_name == "name" and not messages:
        messages = _name_taken(form)
    summary = bool(request.form.get("error_summary"))  # the summary is on screen: answer it too
    if summary:
        form.validate()
        form.name.errors = form.name.errors or _name_taken(form)
    return render_template("adapters/_field_check.html", field_id=input_name, messages=messages,
                           form=form, workspace=workspace, summary=summary)


def _name_taken(form: AdapterForm) -> list[str]:
    """The message for a valid name already used in the form's workspace, if it is."""
    if not queries.get_adapter(form.workspace, form.name.data):
        return []
    return [str(queries.NameTaken(form.workspace, form.name.data))]


def _adapter_page(adapter: Adapter, status: int = 200,
                  description_form: DescriptionForm | None = None) -> Response:
    description_form = description_form or DescriptionForm(data={
        "description": adapter.description})
    history = activity.list_events(adapter.workspace, 1, ADAPTER_HISTORY_SHOWN,
                                   adapter=adapter.name)
    return htmx.render("adapters/detail.html", {}, status, adapter=adapter,
                       workspace=adapter.workspace, snippets=snippets.for_adapter(adapter),
                       description_form=description_form, history=history)


@bp.get("/workspaces/<workspace>/adapters/<name>")
def adapter(workspace: str, name: str):
    """One adapter: every field, its JSON link and snippets to copy; enable, edit, delete."""
    return _adapter_page(_adapter_or_404(workspace, name, offer_create=True))


@bp.post("/workspaces/<workspace>/adapters/<name>/enabled")
def set_enabled(workspace: str, name: str):
    """Enable or disable an adapter."""
    adapter = _adapter_or_404(workspace, name)
    enabled = rules.parse_flag(request.form.get("enabled"))
    if enabled is None:
        abort(400, rules.check_enabled(None).msg + ".")
    if queries.update_adapter(workspace, adapter.name, {"enabled": enabled},
                              actor=_actor()) is None:
        abort(404)
    flash(f"Adapter '{name}' {'enabled' if enabled else 'disabled'}.", "success")
    return redirect(url_for("pages.adapter", workspace=workspace, name=name), 303)


@bp.post("/workspaces/<workspace>/adapters/<name>/description")
def set_description(workspace: str, name: str):
    """Change an adapter's description (blank clears it)."""
    adapter = _adapter_or_404(workspace, name)
    if "description" not in request.form:  # blank clears it, but a form without the input
        abort(400, "The form has no description.")  # is no edit
    form = DescriptionForm(request.form)
    if not form.validate():
        return _adapter_page(adapter, 422, form)
    changes = {"description": form.description.data or None}
    if queries.update_adapter(workspace, name, changes, actor=_actor()) is None:
        abort(404)
    flash("Description saved.", "success")
    return redirect(url_for("pages.adapter", workspace=workspace, name=name), 303)


@bp.route("/workspaces/<workspace>/adapters/<name>/delete", methods=["GET", "POST"])
def delete_adapter(workspace: str, name: str):
    """Ask before deleting; a POST deletes and goes back to the workspace."""
    adapter = _adapter_or_404(workspace, name)
    if request.method == "GET":
        return htmx.render("adapters/delete.html", {}, adapter=adapter, workspace=workspace)
    queries.delete_adapter(workspace, name, actor=_actor())
    flash(f"Adapter '{name}' deleted.", "success")
    return redirect(url_for("pages.adapters", workspace=workspace), 303)
