from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("accounts")

    def ready(self):
        from accounts.roles import ensure_role_groups

        # After the permissions exist: auth creates them post_migrate too, app by app in
        # INSTALLED_APPS order, which is why "audit" (view_all_audit) comes before "accounts".
        post_migrate.connect(ensure_role_groups, sender=self)
