"""Who is asking, and whether they may: the Host check, sign-in sessions and Bearer tokens
(through Flask-Login), and the one gate every request passes, which reads the permission
table of ``permissions``.

With ``WEBUI_AUTH=off`` every request acts as ``local``, who may do everything; with ``on``,
pages need a signed-in person and ``/apis/`` a Bearer token (a session cookie sent there is
ignored, so no other site can act through a signed-in browser).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user

from . import accounts, config, permissions, rules, workspaces
from .errors import ApiError
from .permissions import LOCAL, Principal

MODES = ("off", "on")
bp = Blueprint("auth", __name__)


class _LoginManager(LoginManager):
    """Flask-Login, minus its session protection: sessions are ended on the server instead
    (see SignedIn), so it need not hash the client's address and agent on every request."""

    def _session_protection_failed(self) -> bool:
        return False


login_manager = _LoginManager()


class SignedIn(UserMixin):
    """A signed-in browser as Flask-Login sees it: the id it keeps in the cookie is the
    session's key, so ending the session on the server ends it everywhere."""

    def __init__(self, caller: accounts.Caller, key: str) -> None:
        self.caller = caller
        self.key = key

    def get_id(self) -> str:
        return self.key


class TokenHolder(UserMixin):
    """A request made with a valid API token (never kept in a session)."""

    def __init__(self, caller: accounts.Caller) -> None:
        self.caller = caller

    def get_id(self) -> str:
        return ""


@login_manager.user_loader
def _load_session(key: str) -> SignedIn | None:
    if _is_api():  # only a Bearer token counts under /apis/
        return None
    caller = accounts.session_caller(key, _workspace_asked())
    return None if caller is None else SignedIn(caller, key)


@login_manager.request_loader
def _load_token(_request: Any) -> TokenHolder | None:
    if not _is_api():
        return None
    scheme, _, text = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not text.strip():
        return None
    caller = accounts.token_caller(text.strip(), _workspace_asked())
    if caller is None:
        g.bad_token = True
        return None
    return TokenHolder(caller)


def _workspace_asked() -> str | None:
    """The workspace the request's route names, if it names one that could exist."""
    workspace = (request.view_args or {}).get("workspace")
    return None if workspace is None or rules.check_workspace(workspace) else workspace


def _is_api() -> bool:
    return request.path.startswith("/apis/")


def enabled() -> bool:
    """Whether sign-in is on."""
    return current_app.config["WEBUI_AUTH"] == "on"


def principal() -> Principal | None:
    """Who is asking: ``local`` with sign-in off, else the signed-in person or the token's
    owner, or None."""
    if not enabled():
        return LOCAL
    if "principal" not in g:
        g.principal = None
        if current_user.is_authenticated:
            caller = current_user.caller
            g.principal = Principal(caller.username, caller.platform_admin, caller.read_only,
                                    caller.user_id)
            if (workspace := _workspace_asked()) is not None:
                g.principal.roles[workspace] = caller.roles  # read with the credentials
    return g.principal


def can(permission: str, workspace: str | None = None) -> bool:
    """Whether the person asking has ``permission`` (in ``workspace``, for a workspace's)."""
    who = principal()
    if who is None:
        return False
    if permission == permissions.PUBLIC:
        return True
    if permission in (permissions.SIGNED_IN, permissions.WORKSPACES_CREATE):
        return not (who.read_only and permissions.writes(permission))
    if workspace is None:
        return False
    if workspace not in who.roles and not who.platform_admin:
        # a name that breaks the rules names no workspace: no roles, and no lookup
        who.roles[workspace] = (frozenset() if rules.check_workspace(workspace)
                                else workspaces.roles_of(workspace, who.username))
    return permissions.allows(who, permission, who.roles.get(workspace, frozenset()))


def check_host() -> None:
    """Answer only the host names the app is served as (DNS rebinding gets a 400)."""
    allowed = current_app.config["WEBUI_ALLOWED_HOSTS"]
    if "*" in allowed:
        return
    host = request.host.lower()
    if host.startswith("["):  # an IPv6 literal, with or without a port
        host = host[1:host.find("]")] if "]" in host else host
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if host not in allowed:
        if _is_api():
            raise ApiError(400, "Host not allowed")
        abort(400, "Host not allowed.")


def gate() -> None:
    """Every request: the route's permission, before anything else reads the request."""
    endpoint = request.endpoint
    if endpoint is None:  # no such route: the 404 or 405 answers
        return
    needed = permissions.ROUTES.get(endpoint)
    if needed == permissions.PUBLIC:
        return
    if principal() is None:
        _unauthenticated()
    workspace = (request.view_args or {}).get("workspace")
    if needed is None or not can(needed, workspace):
        if _is_api():
            raise ApiError(403, "Forbidden")
        abort(403, "You do not have permission to do that here.")


def _unauthenticated() -> None:
    """No one is signed in: 401 under /apis/, the sign-in page elsewhere."""
    if _is_api():
        detail = "Invalid or expired token" if g.get("bad_token") else "Unauthorized"
        raise ApiError(401, detail, {"WWW-Authenticate": "Bearer"})
    target = url_for("account.login") + "?" + urlencode({"next": _back_here()})
    if request.headers.get("HX-Request") == "true":  # the whole page goes, not a fragment
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        abort(response)
    abort(redirect(target, 302))


def _back_here() -> str:
    """Where to come back to after signing in: this page, or for htmx and form posts the page
    they were sent from (when it is on this site)."""
    if request.method == "GET" and request.headers.get("HX-Request") != "true":
        return request.full_path.rstrip("?")
    came_from = urlsplit(request.headers.get("HX-Current-URL") or request.referrer or "")
    if came_from.netloc == request.host and came_from.path.startswith("/"):
        return came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return "/"


@bp.get("/apis/auth/discovery", provide_automatic_options=False)
def discovery():
    """Whether this server asks for credentials (the SDK reads it when a client is made)."""
    return jsonify(auth_enabled=enabled())


def template_globals() -> dict[str, Any]:
    """What templates ask: who is signed in, and what they may do."""
    return {"principal": principal(), "can": can, "auth_enabled": enabled()}


def init_app(app: Flask) -> None:
    """Check the mode, and put the Host check and the gate before every request."""
    if isinstance(app.config["WEBUI_ALLOWED_HOSTS"], str):
        app.config["WEBUI_ALLOWED_HOSTS"] = config.allowed_hosts(app.config["WEBUI_ALLOWED_HOSTS"])
    mode = app.config["WEBUI_AUTH"]
    if mode not in MODES:
        raise SystemExit(f"WEBUI_AUTH must be one of: {', '.join(MODES)} (not {mode!r})")
    login_manager.init_app(app)
    app.before_request(check_host)
    app.before_request(gate)
    app.context_processor(template_globals)
    app.register_blueprint(bp)
