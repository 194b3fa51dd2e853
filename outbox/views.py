"""The Outbox page: what fleetadmin would have e-mailed, newest first (administrators only)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from outbox.checks import mail_is_kept
from outbox.models import OutboxMessage

PAGE_SIZE = 25
# The permission of those who manage users (accounts.access.MANAGE_USERS_PERMISSION): the
# outbox holds password links. Named, not imported: accounts sends mail through this app.
READ_PERMISSION = "accounts.manage_users"


@login_required
def outbox(request):
    """List the kept messages; the page says whether mail really leaves (SMTP) or stays here."""
    if not request.user.has_perm(READ_PERMISSION):
        return render(request, "403.html", {"message": _("Only administrators read the outbox.")},
                      status=403)
    page = Paginator(OutboxMessage.objects.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outbox/outbox.html", {"page": page, "mail_is_kept": mail_is_kept()})
