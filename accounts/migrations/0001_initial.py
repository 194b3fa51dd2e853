# Takes over fleetadmin's SSOIdentity (fleetadmin/0005 removed it from that app's state):
# the existing table is adopted, renamed to accounts_ssoidentity, and its content type is
# relabelled. The role permissions change_fleet and manage_users were declared on
# fleetadmin's AuditEntry; they now belong to accounts.Access (a model without a table).
# Their rows are moved to Access's content type rather than recreated, so every group
# (role) and user that held fleetadmin.change_fleet holds accounts.change_fleet.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ROLE_CODENAMES = ("change_fleet", "manage_users")


def _move_permission(Permission, permission, content_type):
    """Give `permission` the content type `content_type`, merging it into a twin there."""
    twin = Permission.objects.using(permission._state.db).filter(
        content_type=content_type, codename=permission.codename).first()
    if twin is None:
        permission.content_type = content_type
        permission.save(update_fields=["content_type"])
    else:
        twin.group_set.add(*permission.group_set.all())
        twin.user_set.add(*permission.user_set.all())
        permission.delete()


def _move_content_type(apps, db, *, model, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old = ContentType.objects.using(db).filter(app_label=old_label, model=model).first()
    if old is None:
        return
    new = ContentType.objects.using(db).filter(app_label=new_label, model=model).first()
    if new is None:
        old.app_label = new_label
        old.save(update_fields=["app_label"])
        return
    for permission in Permission.objects.using(db).filter(content_type=old):
        _move_permission(Permission, permission, new)
    old.delete()


def forwards(apps, schema_editor):
    db = schema_editor.connection.alias
    _move_content_type(apps, db, model="ssoidentity", old_label="fleetadmin",
                       new_label="accounts")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    # On the audit entry's content type: relabelled to "audit" by audit/0001 already.
    moving = Permission.objects.using(db).filter(
        content_type__app_label__in=("audit", "fleetadmin"),
        content_type__model="auditentry", codename__in=ROLE_CODENAMES,
    )
    if not moving.exists():
        return  # a new database: post_migrate creates them on Access
    access, _created = ContentType.objects.using(db).get_or_create(
        app_label="accounts", model="access")
    for permission in moving:
        _move_permission(Permission, permission, access)


def backwards(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    entry = ContentType.objects.using(db).filter(
        app_label__in=("audit", "fleetadmin"), model="auditentry").first()
    access = ContentType.objects.using(db).filter(app_label="accounts", model="access").first()
    if access is not None:
        if entry is not None:
            for permission in Permission.objects.using(db).filter(
                    content_type=access, codename__in=ROLE_CODENAMES):
                _move_permission(Permission, permission, entry)
        Permission.objects.using(db).filter(content_type=access).delete()
        access.delete()
    _move_content_type(apps, db, model="ssoidentity", old_label="accounts",
                       new_label="fleetadmin")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("fleetadmin", "0005_move_sso_identity_and_audit_entry"),
        # The role permissions are taken from the audit entry's content type, relabelled there.
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SSOIdentity",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("issuer", models.CharField(max_length=255, verbose_name="issuer")),
                        ("subject", models.CharField(max_length=255, verbose_name="subject")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="sso_identity", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "single sign-on identity",
                        "verbose_name_plural": "single sign-on identities",
                        "constraints": [models.UniqueConstraint(fields=("issuer", "subject"), name="sso_identity_unique_subject")],
                        "db_table": "fleetadmin_ssoidentity",
                    },
                ),
            ],
            database_operations=[],
        ),
        # None: the default name, accounts_ssoidentity.
        migrations.AlterModelTable(name="ssoidentity", table=None),
        migrations.CreateModel(
            name="Access",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
            options={
                "verbose_name": "access",
                "verbose_name_plural": "access",
                "permissions": [("change_fleet", "Can create, change and delete cars and events"), ("manage_users", "Can manage users, roles and their flinkey credentials")],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
