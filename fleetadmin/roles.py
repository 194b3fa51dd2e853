"""Keeps the three role groups and their permissions in the database."""

from django.contrib.auth.models import Group, Permission

from fleetadmin.access import ROLE_PERMISSIONS


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups and give each exactly its permissions (post_migrate)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label="fleetadmin", codename__in=codenames
        )
        group.permissions.set(permissions)


def assign_role(user, role: str) -> None:
    """Make `role` the user's only role."""
    user.groups.remove(*Group.objects.filter(name__in=ROLE_PERMISSIONS))
    user.groups.add(Group.objects.get(name=role))
