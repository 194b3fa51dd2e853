from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from fleetadmin.upstream.clients import api_base_url, credentials_of
from fleetadmin.upstream.reach import Fleet
from fleetstore import services
from flinkey_sandbox import DEMO


class Command(BaseCommand):
    help = ("Turn fleet sync on for the demo login's customer, with the sandbox's demo "
            "manager as sync credential, and ask for a first sync (for the demo's worker).")

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.get(username=username)
        credentials = credentials_of(user)
        fleet = Fleet(api_url=api_base_url(), customer_id=credentials.customer_id)
        existing = services.enabled_sync(fleet)
        if existing is not None:
            services.request_refresh(user=user, fleet_sync=existing, audited=False)
            self.stdout.write("Fleet sync is on for the demo customer; a sync was asked for.")
            return
        try:
            services.turn_on(user=user, fleet=fleet, customer_name=credentials.customer_name,
                             api_key=DEMO.api_key, username=DEMO.username,
                             password=DEMO.password)
        except services.CredentialRefused as refused:
            self.stderr.write(f"Fleet sync not turned on: the demo credential was refused "
                              f"({refused.reason}).")
            return
        self.stdout.write("Fleet sync turned on for the demo customer; the first sync is queued.")
