from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.access import ROLE_ADMIN
from accounts.roles import assign_role
from fleetadmin.models import FlinkeyCredentials
from flinkey_sandbox import DEMO


class Command(BaseCommand):
    help = "Create or refresh the demo login, with flinkey credentials for the sandbox."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="flinkey-demo")

    def handle(self, *args, username, password, **options):
        user, _created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        assign_role(user, ROLE_ADMIN)
        FlinkeyCredentials.objects.update_or_create(
            user=user,
            defaults={
                "api_key": DEMO.api_key,
                "username": DEMO.username,
                "password": DEMO.password,
                "customer_id": DEMO.customer_id,
                "customer_name": DEMO.customer_name,
            },
        )
        self.stdout.write(f"Demo login: {username} / {password}")
