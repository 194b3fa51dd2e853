"""Upgrading a database made before fleetadmin/ was split into accounts/ and audit/.

A database of that time has fleetadmin's migrations 0001-0004: SSOIdentity and AuditEntry
in fleetadmin's tables, their content types labelled "fleetadmin", and the role groups
holding fleetadmin.change_fleet, fleetadmin.manage_users and fleetadmin.view_all_audit.
`migrate` must carry every row and every granted permission across, without relying on
post_migrate (which only re-syncs the role groups afterwards).
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import SSOIdentity
from audit.models import AuditEntry
from fleetadmin.models import FlinkeyCredentials, UserPreferences

pytestmark = pytest.mark.django_db(transaction=True)

# The state of a database before the split: fleetadmin at 0004, the contrib apps as they are.
BEFORE_SPLIT = [
    ("fleetadmin", "0004_audit_outcome_unknown"),
    ("audit", None),
    ("accounts", None),
]

OLD_PERMISSIONS = {
    "auditentry": [
        ("add_auditentry", "Can add audit entry"),
        ("change_auditentry", "Can change audit entry"),
        ("delete_auditentry", "Can delete audit entry"),
        ("view_auditentry", "Can view audit entry"),
        ("change_fleet", "Can create, change and delete cars and events"),
        ("manage_users", "Can manage users, roles and their flinkey credentials"),
        ("view_all_audit", "Can read everyone's audit entries"),
    ],
    "ssoidentity": [
        ("add_ssoidentity", "Can add single sign-on identity"),
        ("view_ssoidentity", "Can view single sign-on identity"),
    ],
    "flinkeycredentials": [("view_flinkeycredentials", "Can view flinkey credentials")],
    "userpreferences": [("view_userpreferences", "Can view user preferences")],
}
OLD_ROLES = {
    "admin": ("change_fleet", "manage_users", "view_all_audit"),
    "fleet manager": ("change_fleet",),
    "support": ("view_all_audit",),
}
NEW_ROLES = {
    "admin": {"accounts.change_fleet", "accounts.manage_users", "audit.view_all_audit"},
    "fleet manager": {"accounts.change_fleet"},
    "support": {"audit.view_all_audit"},
}


def migrate(targets):
    """Migrate the test database to `targets`; return the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    loader = MigrationExecutor(connection).loader
    named = {app for app, _name in targets}
    nodes = [node for node in targets if node[1] is not None]
    nodes += [node for node in loader.graph.leaf_nodes() if node[0] not in named]
    return loader.project_state(nodes).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_split():
    """The database as the code before the split left it; the latest state again afterwards."""
    try:
        yield migrate(BEFORE_SPLIT)
    finally:
        migrate(latest())
        ContentType.objects.clear_cache()


def labels(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def old_content_types_and_roles(apps, *, new_twins=False):
    """What the old code's post_migrate had made: content types, permissions, role groups.

    With `new_twins`, content types and permissions under the new labels exist too, as if
    a post_migrate of the new code had run before the data migrations.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    ContentType.objects.filter(app_label__in=("fleetadmin", "audit", "accounts")).delete()
    Group.objects.all().delete()
    ids = {}
    for model, permissions in OLD_PERMISSIONS.items():
        content_type = ContentType.objects.create(app_label="fleetadmin", model=model)
        ids[model] = content_type.pk
        for codename, name in permissions:
            Permission.objects.create(content_type=content_type, codename=codename, name=name)
    for role, codenames in OLD_ROLES.items():
        group = Group.objects.create(name=role)
        group.permissions.set(Permission.objects.filter(
            content_type__app_label="fleetadmin", codename__in=codenames))
    if new_twins:
        audit_type = ContentType.objects.create(app_label="audit", model="auditentry")
        Permission.objects.create(content_type=audit_type, codename="view_all_audit",
                                  name="Can read everyone's audit entries")
        access = ContentType.objects.create(app_label="accounts", model="access")
        Permission.objects.create(content_type=access, codename="change_fleet", name="x")
    return ids


@pytest.mark.parametrize("new_twins", [False, True], ids=["old-database", "half-synced"])
def test_an_old_database_keeps_every_row_and_every_granted_permission(before_split, new_twins):
    apps = before_split
    tables = set(connection.introspection.table_names())
    assert {"fleetadmin_auditentry", "fleetadmin_ssoidentity"} <= tables
    assert not {"audit_auditentry", "accounts_ssoidentity"} & tables
    content_type_ids = old_content_types_and_roles(apps, new_twins=new_twins)

    User = apps.get_model("auth", "User")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ada = User.objects.create(username="ada")
    ada.groups.add(Group.objects.get(name="admin"))
    max_ = User.objects.create(username="max")
    max_.groups.add(Group.objects.get(name="fleet manager"))
    sue = User.objects.create(username="sue")
    sue.groups.add(Group.objects.get(name="support"))
    # A permission granted to a user directly, not through a role.
    sue.user_permissions.add(Permission.objects.get(codename="manage_users"))
    apps.get_model("fleetadmin", "FlinkeyCredentials").objects.create(
        user=ada, api_key="key-0123456789", username="manager@example.com",
        password="secret-password-1", customer_id=1001, customer_name="Munich fleet")
    apps.get_model("fleetadmin", "UserPreferences").objects.create(
        user=ada, time_zone="Asia/Tokyo")
    apps.get_model("fleetadmin", "SSOIdentity").objects.create(
        user=ada, issuer="https://idp.example", subject="sub-42")
    old_entry = apps.get_model("fleetadmin", "AuditEntry")
    old_entry.objects.create(user=ada, username="ada", sso_subject="sub-42",
                             action="auth.login", outcome="success",
                             changes={"method": "sso"})
    old_entry.objects.create(user=max_, username="max", action="car.update",
                             customer_id=1001, car_id=7, outcome="unknown",
                             changes={"name": {"before": "A", "after": "B"}})
    old_entry.objects.create(user=None, username="ada", target="max", action="role.change",
                             outcome="failure", upstream_status=400, message="refused")
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key, password FROM fleetadmin_flinkeycredentials")
        stored = cursor.fetchone()
    assert "0123456789" not in stored[0] and "secret-password-1" not in stored[1]

    migrate(latest())

    tables = set(connection.introspection.table_names())
    assert {"audit_auditentry", "accounts_ssoidentity"} <= tables
    assert not {"fleetadmin_auditentry", "fleetadmin_ssoidentity"} & tables

    credentials = FlinkeyCredentials.objects.get(user__username="ada")
    assert (credentials.api_key, credentials.username, credentials.password) == (
        "key-0123456789", "manager@example.com", "secret-password-1")
    assert (credentials.customer_id, credentials.customer_name) == (1001, "Munich fleet")
    assert UserPreferences.objects.get(user__username="ada").time_zone == "Asia/Tokyo"
    identity = SSOIdentity.objects.get(issuer="https://idp.example", subject="sub-42")
    assert identity.user.username == "ada"

    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.username, e.action, e.outcome) for e in entries] == [
        ("ada", "auth.login", "success"), ("max", "car.update", "unknown"),
        ("ada", "role.change", "failure")]
    assert entries[0].user.username == "ada" and entries[0].sso_subject == "sub-42"
    assert entries[1].changes == {"name": {"before": "A", "after": "B"}}
    assert (entries[1].customer_id, entries[1].car_id) == (1001, 7)
    assert (entries[2].target, entries[2].upstream_status, entries[2].message) == (
        "max", 400, "refused")
    # New entries continue the old table's numbering.
    newest = AuditEntry.objects.create(username="ada", action="auth.logout", outcome="success")
    assert newest.pk > entries[-1].pk

    # The content types were relabelled, not recreated: anything pointing at them holds.
    # (Half-synced, the new label's content type existed already and took the permissions.)
    assert ContentType.objects.get_for_model(SSOIdentity).pk == content_type_ids["ssoidentity"]
    if not new_twins:
        assert ContentType.objects.get_for_model(AuditEntry).pk == content_type_ids["auditentry"]
    assert not ContentType.objects.filter(
        app_label="fleetadmin", model__in=("auditentry", "ssoidentity")).exists()

    for role, expected in NEW_ROLES.items():
        assert labels(Group.objects.get(name=role).permissions.all()) == expected, role
    ada, max_, sue = (get_user_model().objects.get(username=name) for name in ("ada", "max", "sue"))
    assert ada.has_perm("accounts.change_fleet") and ada.has_perm("accounts.manage_users")
    assert ada.has_perm("audit.view_all_audit")
    assert max_.has_perm("accounts.change_fleet") and not max_.has_perm("audit.view_all_audit")
    assert sue.has_perm("audit.view_all_audit") and not sue.has_perm("accounts.change_fleet")
    assert sue.has_perm("accounts.manage_users")  # the directly granted one
    assert not any(user.has_perm(f"fleetadmin.{codename}") for user in (ada, max_, sue)
                   for codename in ("change_fleet", "manage_users", "view_all_audit"))


def test_migrating_back_returns_the_permissions_to_fleetadmin():
    # The database as the test run made it: migrated, post_migrate has synced the roles.
    admin = Group.objects.get(name="admin")
    assert labels(admin.permissions.all()) == NEW_ROLES["admin"]
    try:
        apps = migrate(BEFORE_SPLIT)
        old_group = apps.get_model("auth", "Group").objects.get(name="admin")
        assert labels(old_group.permissions.all()) == {
            "fleetadmin.change_fleet", "fleetadmin.manage_users", "fleetadmin.view_all_audit"}
        assert "fleetadmin_auditentry" in connection.introspection.table_names()
    finally:
        migrate(latest())
    assert labels(Group.objects.get(name="admin").permissions.all()) == NEW_ROLES["admin"]
