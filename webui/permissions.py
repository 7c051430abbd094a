"""Who may do what: the one permission table, read by the API, the pages and the templates.

Each route names one permission; each role grants a set of them. A person's roles in a
workspace are their own and those of ``*`` (every signed-in user); a platform admin may do
everything, and with sign-in off so may everyone. Nothing here types a role check inline:
ask :func:`can`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import rules

# --- permissions and the roles that grant them ------------------------------------------------

VIEWER = frozenset({"workspace.read", "members.read", "adapters.read"})
EDITOR = VIEWER | {"adapters.write"}
ADMIN = EDITOR | {"workspace.update", "workspace.delete", "members.write"}
ROLE_PERMISSIONS = {"Viewer": VIEWER, "Editor": EDITOR, "Admin": ADMIN}
assert tuple(ROLE_PERMISSIONS) == rules.ROLES

# Route rules that are not a workspace's permission.
PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed-in"  # any signed-in person
WORKSPACES_CREATE = "workspaces.create"  # any signed-in person, but not a read-only token

# Every route of the app → what it needs; a route missing here is refused to everyone.
ROUTES: dict[str, str] = {
    # the adapters API (routes 1-8)
    "api.create_adapter": "adapters.write",
    "api.list_adapters": "adapters.read",
    "api.retrieve_adapter": "adapters.read",
    "api.patch_adapter": "adapters.write",
    "api.delete_adapter": "adapters.write",
    "api.create_model_adapter": "adapters.write",
    "api.patch_model_adapter": "adapters.write",
    "api.delete_model_adapter": "adapters.write",
    # the workspaces and members API
    "entities.create_workspace": WORKSPACES_CREATE,
    "entities.list_workspaces": SIGNED_IN,
    "entities.retrieve_workspace": "workspace.read",
    "entities.update_workspace": "workspace.update",
    "entities.delete_workspace": "workspace.delete",
    "entities.list_members": "members.read",
    "entities.add_member": "members.write",
    "entities.update_member": "members.write",
    "entities.remove_member": "members.write",
    # the activity history (a Viewer may read it)
    "activity_api.workspace_activity": "workspace.read",
    "activity_api.adapter_activity": "workspace.read",
    # pages
    "pages.index": SIGNED_IN,
    "pages.adapters": "adapters.read",
    "pages.new_adapter": "adapters.write",
    "pages.validate_field": "adapters.write",
    "pages.adapter": "adapters.read",
    "pages.set_enabled": "adapters.write",
    "pages.set_description": "adapters.write",
    "pages.delete_adapter": "adapters.write",
    "models.model": SIGNED_IN,  # it shows only the workspaces one may read
    "search_pages.search_page": SIGNED_IN,  # it searches only the workspaces one may read
    "workspace_pages.new_workspace": WORKSPACES_CREATE,
    "workspace_pages.members": "members.read",
    "workspace_pages.activity_page": "workspace.read",
    "workspace_pages.add_member": "members.write",
    "workspace_pages.change_member": "members.write",
    "workspace_pages.remove_member": "members.write",
    "account.tokens": SIGNED_IN,
    "account.create_token": SIGNED_IN,
    "account.revoke_token": SIGNED_IN,
    "account.logout": SIGNED_IN,
    # open to everyone
    "account.login": PUBLIC,
    "auth.discovery": PUBLIC,
    "openapi.openapi_document": PUBLIC,
    "openapi.api_docs": PUBLIC,
    "health.healthz": PUBLIC,
    "favicon.favicon": PUBLIC,
    "static": PUBLIC,
}


@dataclass
class Principal:
    """Who is asking: a signed-in person, a token's owner, or ``local`` with sign-in off."""

    username: str
    platform_admin: bool = False
    read_only: bool = False  # a read-only token: Viewer's permissions at most
    user_id: int | None = None
    roles: dict[str, frozenset[str]] = field(default_factory=dict)  # per workspace, once read


LOCAL = Principal(rules.LOCAL, platform_admin=True)


def granted(roles: frozenset[str] | set[str]) -> frozenset[str]:
    """Every permission some role of ``roles`` grants."""
    return frozenset().union(*(ROLE_PERMISSIONS[role] for role in roles if role in
                               ROLE_PERMISSIONS))


def allows(principal: Principal, permission: str, roles: frozenset[str]) -> bool:
    """Whether ``principal``, holding ``roles`` in a workspace, has ``permission`` there."""
    if principal.read_only and permission not in VIEWER:
        return False
    return principal.platform_admin or permission in granted(roles)


def writes(permission: str) -> bool:
    """Whether a permission changes anything (a read-only token never has it)."""
    return permission == WORKSPACES_CREATE or (
        permission not in (PUBLIC, SIGNED_IN) and permission not in VIEWER)
