"""Keeps the three role groups and their permissions in the database; changes roles."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from accounts.access import (
    ROLE_ADMIN,
    ROLE_FLEET_MANAGER,
    ROLE_PERMISSIONS,
    ROLE_SUPPORT,
    ROLES,
    role_of,
)
from audit.recording import record


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups and give each exactly its permissions (post_migrate)."""
    for role, labels in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = Q(pk__in=[])
        for label in labels:
            app_label, codename = label.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))


def assign_role(user, role: str | None) -> None:
    """Make `role` the user's only role; None takes every role away."""
    if role is not None and role not in ROLE_PERMISSIONS:
        raise ValueError(f"Unknown role {role!r}")
    user.groups.remove(*Group.objects.filter(name__in=ROLE_PERMISSIONS))
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    # Django caches permissions on the instance; the new role must count at once.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def change_role(user, role: str | None, *, by, how: str = "") -> bool:
    """Give `user` the role `role` (None: no role) and record it (by `by`, None for the
    system); True if changed."""
    before = role_of(user)
    if before == role:
        return False
    with transaction.atomic():
        assign_role(user, role)
        record(
            user=by, action="role.change", target=user.get_username(),
            changes={"role": {"before": before, "after": role}}, message=how,
        )
    return True


def role_for_groups(groups, *, admin_groups, fleet_manager_groups, support_groups) -> str:
    """Return the most powerful role any of `groups` maps to; support when none does."""
    names = {str(name) for name in groups or ()}
    mapping = {
        ROLE_ADMIN: set(admin_groups),
        ROLE_FLEET_MANAGER: set(fleet_manager_groups),
        ROLE_SUPPORT: set(support_groups),
    }
    for role in ROLES:  # most powerful first
        if names & mapping[role]:
            return role
    # Never more than read-only for someone the identity provider did not place.
    return ROLE_SUPPORT
