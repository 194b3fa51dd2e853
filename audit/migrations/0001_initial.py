# Takes over fleetadmin's AuditEntry (fleetadmin/0005 removed it from that app's state):
# the existing table is adopted, renamed to audit_auditentry, and its content type is
# relabelled, so every entry and every permission granted on it (view_all_audit, and
# Django's add/change/delete/view) keeps its row and its groups. On a new database the
# same steps run: fleetadmin/0002 created the table a moment earlier, and no content type
# exists yet to relabel.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, *, model, old_label, new_label):
    """Relabel the content type (old_label, model) as new_label, keeping its permissions."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    types = ContentType.objects.using(schema_editor.connection.alias)
    old = types.filter(app_label=old_label, model=model).first()
    if old is None:
        return
    new = types.filter(app_label=new_label, model=model).first()
    if new is None:
        old.app_label = new_label
        old.save(update_fields=["app_label"])
        return
    # Both exist (a post_migrate ran in between): carry the permissions over, then drop old.
    for permission in Permission.objects.using(old._state.db).filter(content_type=old):
        twin = Permission.objects.using(old._state.db).filter(
            content_type=new, codename=permission.codename).first()
        if twin is None:
            permission.content_type = new
            permission.save(update_fields=["content_type"])
        else:
            twin.group_set.add(*permission.group_set.all())
            twin.user_set.add(*permission.user_set.all())
            permission.delete()
    old.delete()


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, model="auditentry",
                       old_label="fleetadmin", new_label="audit")


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, model="auditentry",
                       old_label="audit", new_label="fleetadmin")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("fleetadmin", "0005_move_sso_identity_and_audit_entry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="when")),
                        ("username", models.CharField(blank=True, max_length=150, verbose_name="user")),
                        ("sso_subject", models.CharField(blank=True, max_length=255, verbose_name="SSO subject")),
                        ("target", models.CharField(blank=True, max_length=150, verbose_name="affected user")),
                        ("action", models.CharField(db_index=True, max_length=64, verbose_name="action")),
                        ("customer_id", models.BigIntegerField(blank=True, null=True, verbose_name="customer ID")),
                        ("car_id", models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name="car ID")),
                        ("event_id", models.BigIntegerField(blank=True, null=True, verbose_name="event ID")),
                        ("changes", models.JSONField(blank=True, default=dict, verbose_name="changes")),
                        ("outcome", models.CharField(choices=[("success", "success"), ("failure", "failure"), ("unknown", "unknown")], max_length=16, verbose_name="outcome")),
                        ("upstream_status", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="upstream status")),
                        ("message", models.TextField(blank=True, verbose_name="message")),
                        ("user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="audit_entries", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit entries",
                        "ordering": ["-created_at", "-id"],
                        "permissions": [("view_all_audit", "Can read everyone's audit entries")],
                        "db_table": "fleetadmin_auditentry",
                    },
                ),
            ],
            database_operations=[],
        ),
        # None: the default name, audit_auditentry.
        migrations.AlterModelTable(name="auditentry", table=None),
        migrations.RunPython(forwards, backwards),
    ]
