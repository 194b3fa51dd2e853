"""Roles and the server-side checks that enforce them."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from audit.recording import VIEW_ALL_PERMISSION, can_view_all

ROLE_FLEET_MANAGER = "fleet manager"
ROLE_SUPPORT = "support"
ROLE_ADMIN = "admin"
ROLES = (ROLE_ADMIN, ROLE_FLEET_MANAGER, ROLE_SUPPORT)

# Declared on accounts.Access; the audit log's own on audit.AuditEntry.
WRITE_PERMISSION = "accounts.change_fleet"
MANAGE_USERS_PERMISSION = "accounts.manage_users"
VIEW_ALL_AUDIT_PERMISSION = VIEW_ALL_PERMISSION

# Which permissions ("app_label.codename") each role's group carries; kept in sync by
# accounts.roles.ensure_role_groups after every migrate.
ROLE_PERMISSIONS = {
    ROLE_ADMIN: (WRITE_PERMISSION, MANAGE_USERS_PERMISSION, VIEW_ALL_AUDIT_PERMISSION),
    ROLE_FLEET_MANAGER: (WRITE_PERMISSION,),
    ROLE_SUPPORT: (VIEW_ALL_AUDIT_PERMISSION,),
}


ROLE_LABELS = {
    ROLE_ADMIN: _("admin"),
    ROLE_FLEET_MANAGER: _("fleet manager"),
    ROLE_SUPPORT: _("support"),
}


def can_write(user) -> bool:
    """True when `user` may create, change or delete cars and events."""
    return user.is_authenticated and user.has_perm(WRITE_PERMISSION)


def can_manage_users(user) -> bool:
    """True when `user` may list users, set roles and set other users' flinkey credentials."""
    return user.is_authenticated and user.has_perm(MANAGE_USERS_PERMISSION)


# The audit log decides who reads everything; re-exported for the role checks' callers.
can_view_all_audit = can_view_all


def role_of(user) -> str | None:
    """Return the user's role (the most powerful if several groups are set), or None."""
    if not user.is_authenticated:
        return None
    names = {group.name for group in user.groups.all()}
    return next((role for role in ROLES if role in names), None)


def has_access(user) -> bool:
    """True when `user` is signed in with a role (or is a Django superuser, who sets roles)."""
    return user.is_authenticated and (user.is_superuser or role_of(user) is not None)


def request_role(request) -> str | None:
    """`role_of(request.user)`, looked up once per request.

    AccessMiddleware checks it before the view and the header shows it after: one query
    instead of two on every page. Remembered for this request's user object only, so a
    sign-in that replaces `request.user` looks again; like Django's own permission cache
    (on the user object), a role changed by the request itself shows from the next page on.
    """
    user = request.user
    remembered = getattr(request, "_fleetadmin_role", None)
    if remembered is not None and remembered[0] is user:
        return remembered[1]
    role = role_of(user)
    request._fleetadmin_role = (user, role)
    return role


def request_has_access(request) -> bool:
    """`has_access(request.user)`, its role looked up once per request (`request_role`)."""
    user = request.user
    return user.is_authenticated and (user.is_superuser or request_role(request) is not None)


def forbidden(request, message=None):
    """A 403 with a page, or for htmx a fragment that names what is not allowed."""
    message = message or _("Your role allows looking, not changing. Ask an administrator "
                           "if you need to make changes.")
    template = "403.html#forbidden" if request.htmx else "403.html"
    return render(request, template, {"message": message}, status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: our 403 page (Django's own has an inline style the CSP blocks)."""
    return forbidden(request, _("This form could not be accepted: it was open for too long, or "
                                "it did not come from fleetadmin. Reload the page and try again."))


def write_access_required(view):
    """Decorator for every view that changes data upstream: login plus the write permission."""

    @wraps(view)
    @login_required
    def guarded(request, *args, **kwargs):
        if not can_write(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    # Lets tests find every write endpoint in the URLconf and prove support gets a 403.
    guarded.requires_write_access = True
    return guarded


def manage_users_required(view):
    """Decorator for the admin-only user management views."""

    @wraps(view)
    @login_required
    def guarded(request, *args, **kwargs):
        if not can_manage_users(request.user):
            return forbidden(request, _("Only administrators manage users."))
        return view(request, *args, **kwargs)

    guarded.requires_manage_users = True
    return guarded


def access(request):
    """Template context processor: what the signed-in user may do."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    role = request_role(request) if signed_in else None
    return {
        "can_write": bool(signed_in and can_write(user)),
        "can_manage_users": bool(signed_in and can_manage_users(user)),
        # No role yet: the header shows no menu (AccessMiddleware shows "no access yet").
        "has_access": bool(signed_in and (user.is_superuser or role is not None)),
        # Shown beside the user's name in the header.
        "user_role_label": ROLE_LABELS.get(role, ""),
    }
