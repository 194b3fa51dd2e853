from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("accounts")

    def ready(self):
        from axes.models import AccessAttempt
        from axes.signals import user_locked_out
        from django.db.models.signals import post_delete

        from accounts.lockouts import end_episode, record_lockout
        from accounts.roles import ensure_role_groups

        # A lock-out goes into the audit log once per episode (accounts.lockouts).
        user_locked_out.connect(record_lockout, dispatch_uid="accounts.lockout")
        post_delete.connect(end_episode, sender=AccessAttempt,
                            dispatch_uid="accounts.lockout_end")

        # After the permissions exist: auth creates them post_migrate too, app by app in
        # INSTALLED_APPS order, which is why "audit" (view_all_audit) comes before "accounts".
        post_migrate.connect(ensure_role_groups, sender=self)
