from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("audit log")

    def ready(self):
        from django.contrib.auth.signals import (
            user_logged_in,
            user_logged_out,
            user_login_failed,
        )

        from audit import signals

        # Signing in and out are recorded by listening: Django's auth does not know the audit
        # log. (The Settings screen, preferences, writes its entries itself.)
        user_logged_in.connect(signals.record_login, dispatch_uid="audit.login")
        user_logged_out.connect(signals.record_logout, dispatch_uid="audit.logout")
        user_login_failed.connect(signals.record_login_failed, dispatch_uid="audit.login_failed")
