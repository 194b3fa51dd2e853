from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("fleetadmin", "0003_sso_identity_audit_target"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="outcome",
            field=models.CharField(
                choices=[("success", "success"), ("failure", "failure"), ("unknown", "unknown")],
                max_length=16, verbose_name="outcome",
            ),
        ),
    ]
