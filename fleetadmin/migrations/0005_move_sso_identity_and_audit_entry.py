# SSOIdentity moved to the accounts app and AuditEntry to the audit app. Only the state
# changes here: their tables stay, and accounts/0001 and audit/0001 (which depend on this
# migration) take them over, rename them and relabel their content types and permissions.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("fleetadmin", "0004_audit_outcome_unknown"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SSOIdentity"),
                migrations.DeleteModel(name="AuditEntry"),
            ],
            database_operations=[],
        ),
    ]
