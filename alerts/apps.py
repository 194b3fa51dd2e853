from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from alerts import checks  # noqa: F401  (registers the deployment check)
        from alerts.changes import RULE_FIELDS
        from alerts.models import Rule, Subscription, Webhook
        from audit.recording import describe_fields

        # The audit log writes what alerts record as their forms do (and the ids by kind).
        describe_fields(Rule, RULE_FIELDS, labels={
            "rule": _("alert rule"), "webhook": _("webhook"), "alert": _("alert id")})
        describe_fields(Webhook, ["url"])
        describe_fields(Subscription, ["mode"])
