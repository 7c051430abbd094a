"""The pages of one's own account: sign in, sign out, and API tokens."""

from __future__ import annotations

import json
import shlex

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from . import accounts, auth, rules, workspaces
from .forms import LoginForm, TokenForm
from .listing import ListQuery

bp = Blueprint("account", __name__)
REFUSED = "Wrong username or password."


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, else the start page."""
    if (not target or not target.startswith("/") or target.startswith(("//", "/\\"))
            or "\\" in target or any(ord(char) < 33 for char in target)):
        return url_for("pages.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; on success a fresh session and on to ``next``."""
    if not auth.enabled():
        return redirect(url_for("pages.index"), 303)
    next_url = safe_next(request.values.get("next"))
    form = LoginForm(request.form if request.method == "POST" else None)
    if request.method == "GET":
        return render_template("account/login.html", form=form, next_url=next_url)
    username = rules.normalise_username(form.username.data or "")
    if wait := accounts.retry_after(username):
        page = render_template("account/login.html", form=form, next_url=next_url,
                               error=f"Too many failed sign-ins for this username. Try again in "
                                     f"{-(-wait // 60)} minutes.")
        return page, 429, {"Retry-After": str(wait)}
    user = accounts.get_user(username) if not rules.check_username(username) else None
    matches = accounts.password_matches(user.password_hash if user else None,
                                        form.password.data or "")
    if not matches or user.disabled:
        accounts.record_failure(username)
        return render_template("account/login.html", form=form, next_url=next_url,
                               error=REFUSED), 422
    accounts.clear_failures(username)
    session.clear()  # a fresh session: nothing carried over from before
    login_user(auth.SignedIn(user, accounts.start_session(user)))
    return redirect(next_url, 303)


@bp.post("/logout")
def logout():
    """Sign out: the session ends on the server too."""
    if not auth.enabled():
        return redirect(url_for("pages.index"), 303)
    accounts.end_session(current_user.key)
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("account.login"), 303)


def _snippets(token: str) -> dict[str, str]:
    """Ready-to-paste lines that use a new token."""
    base = request.host_url.rstrip("/")
    who = auth.principal()
    readable = workspaces.list_workspaces(  # the most recently changed one
        None if who.platform_admin else who.username, ListQuery(1, 1, "-updated_at")).items
    workspace = readable[0].name if readable else "default"
    url = url_for("api.list_adapters", workspace=workspace, _external=True)
    return {
        "sdk": "from nemo_platform import NeMoPlatform\n\n"
               f"client = NeMoPlatform(base_url={json.dumps(base)}, "
               f"workspace={json.dumps(workspace)},\n"
               f"                      access_token={json.dumps(token)})\n"
               "for adapter in client.adapters.list():\n    print(adapter.name)",
        "curl": f"curl -H {shlex.quote('Authorization: Bearer ' + token)} \\\n"
                f"  {shlex.quote(url)}",
    }


def _tokens_page(form: TokenForm, status: int = 200, new_token: str | None = None):
    user = accounts.existing_user(auth.principal().username)
    return render_template(
        "account/tokens.html", form=form, new_token=new_token,
        snippets=_snippets(new_token) if new_token else None,
        tokens=[accounts.token_summary(token) for token in accounts.list_tokens(user)],
    ), status


@bp.get("/account/tokens")
def tokens():
    """Your API tokens, and a form to make one."""
    if not auth.enabled():
        abort(404, "Sign-in is off: the API needs no token.")
    return _tokens_page(TokenForm())


@bp.post("/account/tokens")
def create_token():
    """Make a token and show it, once."""
    if not auth.enabled():
        abort(404, "Sign-in is off: the API needs no token.")
    form = TokenForm(request.form)
    if not form.validate():
        return _tokens_page(form, 422)
    user = accounts.existing_user(auth.principal().username)
    try:
        text, _ = accounts.create_token(user, form.label.data, form.expires_in_days.data,
                                        form.read_only.data)
    except accounts.AccountError as error:
        form.label.errors.append(str(error))
        return _tokens_page(form, 422)
    return _tokens_page(TokenForm(), 201, new_token=text)


@bp.post("/account/tokens/revoke")
def revoke_token():
    """Revoke one of your tokens."""
    label = request.form.get("label")
    if not auth.enabled() or label is None:
        abort(400, "The form names no token.")
    user = accounts.existing_user(auth.principal().username)
    if not accounts.revoke_token(user, label):
        abort(404, f"You have no token labelled '{label}'.")
    flash(f"Token '{label}' revoked: it no longer works.", "success")
    return redirect(url_for("account.tokens"), 303)
