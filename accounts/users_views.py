"""Admin-only user management: roles, and other users' flinkey credentials (write-only)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import OperationalError, connection, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.access import (
    ROLE_ADMIN,
    ROLE_LABELS,
    ROLES,
    manage_users_required,
    role_of,
)
from accounts.roles import change_role
from accounts.throttle import is_locked_out, unlock
from audit.recording import record
from fleetadmin import services
from fleetadmin.flinkey import credentials_of
from fleetadmin.forms import CredentialsForm

DETAIL_TEMPLATE = "accounts/user_detail.html"


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=[(role, ROLE_LABELS[role]) for role in ROLES]
    )


def role_managed_by_sso(user) -> bool:
    """True when the identity provider's groups set this user's role at every sign-in."""
    return bool(
        settings.OIDC_ENABLED and settings.OIDC_SYNC_ROLES
        and getattr(user, "sso_identity", None) is not None
    )


def _is_last_admin(user) -> bool:
    """True when `user` is the only active administrator; call inside a transaction.

    Locks the admin group's row and its membership rows until the transaction ends, so
    two role changes (two admins demoting each other, one admin in two tabs) run one after
    the other: the second counts what the first left.
    """
    group = Group.objects.select_for_update().get(name=ROLE_ADMIN)
    memberships = get_user_model().groups.through.objects.filter(group=group)
    # Evaluated for the lock (FOR UPDATE needs the rows fetched), not for the values.
    list(memberships.select_for_update().values_list("pk", flat=True))
    admins = group.user_set.filter(is_active=True)
    return admins.filter(pk=user.pk).exists() and admins.count() == 1


def _is_sqlite_busy(error: OperationalError) -> bool:
    return connection.vendor == "sqlite" and "locked" in str(error)


def _detail(request, target, *, status=200, **overrides):
    role = role_of(target)
    context = {
        "target": target,
        "role": role,
        "role_label": ROLE_LABELS.get(role, _("none")),
        "role_form": RoleForm(initial={"role": role}),
        "role_managed_by_sso": role_managed_by_sso(target),
        "credentials": credentials_of(target),
        "credentials_form": CredentialsForm(stored=credentials_of(target)),
        "locked_out": is_locked_out(target.get_username()),
    }
    context.update(overrides)
    return render(request, DETAIL_TEMPLATE, context, status=status)


def _target(user_id):
    return get_object_or_404(
        get_user_model().objects.select_related("sso_identity", "flinkey_credentials"), pk=user_id
    )


@manage_users_required
def user_list(request):
    """Every account with its role, sign-in method and whether flinkey credentials are set."""
    users = (
        get_user_model().objects.order_by("username")
        .select_related("sso_identity", "flinkey_credentials").prefetch_related("groups")
    )
    rows = []
    for user in users:
        role = role_of(user)
        credentials = getattr(user, "flinkey_credentials", None)
        rows.append({
            "user": user,
            "role_label": ROLE_LABELS.get(role, _("none")),
            "sso": getattr(user, "sso_identity", None),
            "credentials_complete": bool(credentials and credentials.is_complete),
            "customer_name": credentials.customer_name if credentials else "",
        })
    return render(request, "accounts/users.html", {"rows": rows})


@manage_users_required
def user_detail(request, user_id):
    """One account: its role and its flinkey credentials (secrets never shown)."""
    return _detail(request, _target(user_id))


@manage_users_required
@require_POST
def set_role(request, user_id):
    """Give the account another role (recorded as role.change)."""
    target = _target(user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _detail(request, target, role_form=form, status=400)
    role = form.cleaned_data["role"]
    if role_managed_by_sso(target):
        messages.error(request, _("This user's role comes from the identity provider's groups "
                                  "at every sign-in; change the groups there."))
        return _detail(request, target, status=409)
    try:
        # The check and the change in one transaction that holds the lock it counts under.
        with transaction.atomic():
            if role != ROLE_ADMIN and _is_last_admin(target):
                messages.error(request, _("This is the only administrator; make someone else "
                                          "an administrator first."))
                return _detail(request, target, status=409)
            changed = change_role(target, role, by=request.user, how="set by an administrator")
    except OperationalError as error:
        # SQLite has no row locks: a second writer at the same instant is refused with
        # "database is locked" instead of waiting. Nothing was changed; say so.
        if not _is_sqlite_busy(error):
            raise
        messages.error(request, _("Another change of roles was being saved at the same moment; "
                                  "nothing was changed. Check the roles and try again."))
        return _detail(request, _target(user_id), status=409)
    if changed:
        messages.success(request, _("%(user)s is now %(role)s.")
                         % {"user": target.get_username(), "role": ROLE_LABELS[role]})
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("user", user_id=target.pk)


@manage_users_required
@require_POST
@sensitive_post_parameters("api_key", "username", "password")
def set_credentials(request, user_id):
    """Set the account's flinkey credentials; the secrets are write-only, as on Settings."""
    target = _target(user_id)
    form = CredentialsForm(request.POST, stored=credentials_of(target))
    if not form.is_valid():
        return _detail(request, target, credentials_form=form, status=400)
    changed = services.save_credentials(user=target, values=form.cleaned_data, by=request.user)
    if changed:
        messages.success(request, _("The flinkey credentials of %(user)s were saved.")
                         % {"user": target.get_username()})
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("user", user_id=target.pk)


@manage_users_required
@require_POST
def unlock_sign_in(request, user_id):
    """Forget the account's failed password sign-ins, ending a lock-out (recorded)."""
    target = _target(user_id)
    removed = unlock(target.get_username())
    record(user=request.user, action="auth.unlock", target=target.get_username(),
           changes={"attempt_records": removed})
    messages.success(request, _("%(user)s can sign in again.") % {"user": target.get_username()})
    return redirect("user", user_id=target.pk)
