"""The context processor that brings a failing fleet sync to the admins' attention."""

from django.utils.functional import SimpleLazyObject


def sync_problem(request):
    """`sync_problem`: for an admin, their customer's fleet sync while its last run failed.

    Lazy: only a page that shows it (base.html, for admins) runs the one query. No reach
    check: it tells that the sync failed, nothing of the fleet's data.
    """
    def find():
        from accounts.access import can_manage_users
        from fleetadmin.models import FlinkeyCredentials
        from fleetadmin.upstream.clients import ApiNotConfigured, api_base_url
        from fleetstore.models import FleetSync

        user = getattr(request, "user", None)
        if user is None or not can_manage_users(user):
            return None
        # The row a fleet page's view read moments ago (credentials_of keeps it on the user):
        # not read and decrypted a second time. Other pages read it here.
        try:
            credentials = user.flinkey_credentials
        except FlinkeyCredentials.DoesNotExist:
            return None
        if credentials.customer_id is None:
            return None
        try:
            api_url = api_base_url()
        except ApiNotConfigured:
            return None
        return (FleetSync.objects.filter(api_url=api_url, customer_id=credentials.customer_id,
                                         enabled=True).exclude(last_error="").first())

    return {"sync_problem": SimpleLazyObject(find)}
