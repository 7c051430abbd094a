"""The pages of workspaces themselves: make one, and its members."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from . import activity, auth, listing, rules, workspaces
from .forms import MemberForm, WorkspaceCreateForm
from .listing import ListQuery
from .models import Workspace
from .views import PAGE_SIZES, _listing_response, _listing_url, _paging

bp = Blueprint("workspace_pages", __name__)
ACTIVITY_DEFAULTS = ListQuery(page=1, page_size=25, sort="-created_at")  # newest first
ACTIVITY_KEYS = ("adapter", "actor", "kind", "page", "page_size")
ACTIVITY_FRAGMENTS = {"activity-results": "workspaces/_activity_results.html"}
bp.add_app_template_global(activity.KIND_TEXT, "activity_text")
bp.add_app_template_global(activity.shown_changes, "activity_changes")


@bp.route("/new-workspace", methods=["GET", "POST"])
def new_workspace():
    """Make a workspace; whoever makes it becomes its Admin."""
    form = WorkspaceCreateForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            workspaces.create_workspace(form.name.data, form.description.data,
                                        auth.principal().username)
        except workspaces.WorkspaceError as error:
            form.name.errors.append(error.detail)
        else:
            flash(f"Workspace '{form.name.data}' created.", "success")
            return redirect(url_for("pages.adapters", workspace=form.name.data), 303)
    status = 422 if form.errors else 200
    return render_template("workspaces/new.html", form=form), status


def _workspace_or_404(name: str) -> Workspace:
    workspace = workspaces.get_workspace(name) if not rules.check_workspace(name) else None
    if workspace is None:
        abort(404, f"There is no workspace called '{name}'.")
    return workspace


def _members_page(workspace: Workspace, form: MemberForm | None = None, status: int = 200):
    return render_template(
        "workspaces/members.html", workspace=workspace.name, record=workspace,
        members=workspaces.members(workspace.name), form=form or MemberForm(),
        roles=rules.ROLES, split_roles=workspaces.split_roles), status


@bp.get("/workspaces/<workspace>/members")
def members(workspace: str):
    """Who holds which roles in a workspace; Admins change them here."""
    return _members_page(_workspace_or_404(workspace))


@bp.post("/workspaces/<workspace>/members")
def add_member(workspace: str):
    """Give a principal roles (added to what they had)."""
    record = _workspace_or_404(workspace)
    form = MemberForm(request.form)
    if form.validate() and not workspaces.known_principal(form.principal.data):
        form.principal.errors.append(rules.unknown_principal(form.principal.data).msg)
    if form.errors:
        return _members_page(record, form, 422)
    return _change(workspace, form.principal.data, form.roles.data, add=True)


@bp.post("/workspaces/<workspace>/members/change")
def change_member(workspace: str):
    """Replace a member's roles."""
    _workspace_or_404(workspace)
    roles = request.form.getlist("roles")
    if problem := rules.check_roles(roles):
        abort(400, problem.msg + ".")
    return _change(workspace, rules.normalise_username(request.form.get("principal", "")),
                   roles, add=False)


@bp.post("/workspaces/<workspace>/members/remove")
def remove_member(workspace: str):
    """Take a member's roles away."""
    _workspace_or_404(workspace)
    principal = rules.normalise_username(request.form.get("principal", ""))
    try:
        workspaces.remove_member(workspace, principal, auth.principal().username)
    except workspaces.WorkspaceError as error:
        abort(error.status, error.detail)
    flash(f"'{principal}' removed from {workspace}.", "success")
    return redirect(url_for("workspace_pages.members", workspace=workspace), 303)


def _change(workspace: str, principal: str, roles: list[str], add: bool):
    try:
        workspaces.set_member(workspace, principal, roles, auth.principal().username, add=add)
    except workspaces.WorkspaceError as error:
        abort(error.status, error.detail)
    flash(f"'{principal}' now holds: {', '.join(roles)}" if not add
          else f"'{principal}' added to {workspace}.", "success")
    return redirect(url_for("workspace_pages.members", workspace=workspace), 303)


@bp.get("/workspaces/<workspace>/activity")
def activity_page(workspace: str):
    """A workspace's history, newest first: every change of its adapters (deleted ones' too),
    of itself and of its members; filtered by adapter, person and kind, a page at a time."""
    if rules.check_workspace(workspace):
        abort(404, f"There is no workspace called '{workspace}'.")
    state = {key: request.args.get(key, "").strip() for key in ACTIVITY_KEYS}
    filters, problems = activity.checked_filters(state)  # a refused one is not applied
    paging = _paging(state, listing.ADAPTERS, ACTIVITY_DEFAULTS)
    page = activity.list_events(workspace, paging.page, paging.page_size, **filters)
    return _listing_response(
        "workspaces/activity.html", ACTIVITY_FRAGMENTS,
        _listing_url("workspace_pages.activity_page", state, ACTIVITY_DEFAULTS,
                     workspace=workspace),
        422 if problems else 200, workspace=workspace, state=state, page=page,
        errors={key: problem.msg for key, problem in problems}, kinds=activity.KIND_CHOICES,
        page_sizes=PAGE_SIZES, page_size_default=ACTIVITY_DEFAULTS.page_size)
