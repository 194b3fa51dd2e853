"""Admin-only user management: accounts, roles, and other users' flinkey credentials."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import IntegrityError, OperationalError, connection, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.access import (
    ROLE_ADMIN,
    ROLE_LABELS,
    ROLE_SUPPORT,
    ROLES,
    manage_users_required,
    role_of,
)
from accounts.roles import change_role
from accounts.throttle import is_locked_out, unlock
from accounts.user_admin import (
    LastAdministrator,
    MailNotSent,
    create_user,
    is_last_admin,
    set_active,
    start_password_reset,
)
from audit.recording import record
from fleetadmin.upstream.clients import SetupNeeded, credentials_of
from fleetadmin.web.problems import problem_of
from flinkey import FlinkeyError
from outbox.checks import mail_is_kept
from preferences import services
from preferences.forms import CredentialsForm

DETAIL_TEMPLATE = "accounts/user_detail.html"


ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in ROLES] + [
    ("", gettext_lazy("no role (no access)"))]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLE_CHOICES, required=False)


class NewUserForm(forms.Form):
    """A local account: its name, an address for the password link, and its role."""

    username = forms.CharField(
        label=gettext_lazy("Username"), max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=gettext_lazy("Letters, digits and @ . + - _ only."))
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"), required=False,
        help_text=gettext_lazy("Where the link to set a password goes."))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLE_CHOICES, required=False,
                             initial=ROLE_SUPPORT)
    send_password_link = forms.BooleanField(
        label=gettext_lazy("E-mail a link to set a password now"), required=False, initial=True)

    def clean_username(self):
        username = self.cleaned_data["username"]
        # Case-insensitively unique: "Ada" and "ada" would be one person to a reader.
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("An account with this username exists already."))
        return username

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("send_password_link") and not cleaned.get("email"):
            self.add_error("email", _("Enter an address to send the password link to, or "
                                      "untick sending it."))
        return cleaned


class CustomerForm(forms.Form):
    customer = forms.TypedChoiceField(label=gettext_lazy("Customer"), coerce=int)

    def __init__(self, *args, customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(c.id, f"{c.name} ({c.id})") for c in customers]


def role_managed_by_sso(user) -> bool:
    """True when the identity provider's groups set this user's role at every sign-in."""
    return bool(
        settings.OIDC_ENABLED and settings.OIDC_SYNC_ROLES
        and getattr(user, "sso_identity", None) is not None
    )


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
    role = form.cleaned_data["role"] or None
    if role_managed_by_sso(target):
        messages.error(request, _("This user's role comes from the identity provider's groups "
                                  "at every sign-in; change the groups there."))
        return _detail(request, target, status=409)
    try:
        # The check and the change in one transaction that holds the lock it counts under.
        with transaction.atomic():
            if role != ROLE_ADMIN and is_last_admin(target):
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
    if changed and role is None:
        messages.success(request, _("%(user)s has no role now, and no access.")
                         % {"user": target.get_username()})
    elif changed:
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


@manage_users_required
def user_create(request):
    """A new local account with a role; optionally e-mails it a link to set its password."""
    form = NewUserForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "accounts/user_create.html", {"form": form}, status=status)
    data = form.cleaned_data
    try:
        target = create_user(by=request.user, username=data["username"], email=data["email"],
                             role=data["role"] or None)
    except IntegrityError:
        # Another admin created the same username a moment ago (after our form's check).
        form.add_error("username", _("An account with this username exists already."))
        return render(request, "accounts/user_create.html", {"form": form}, status=409)
    messages.success(request, _("The account %(user)s was created.")
                     % {"user": target.get_username()})
    if data["send_password_link"]:
        _send_password_link(request, target)
    return redirect("user", user_id=target.pk)


@manage_users_required
@require_POST
def set_account_active(request, user_id):
    """Deactivate (ending its sessions at once) or reactivate the account (recorded)."""
    target = _target(user_id)
    active = request.POST.get("active") == "1"
    if not active and target.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account."))
        return _detail(request, target, status=409)
    if not active and request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the deactivation; nothing was "
                                  "changed."))
        return _detail(request, target, status=400)
    try:
        changed = set_active(by=request.user, target=target, active=active)
    except LastAdministrator:
        messages.error(request, _("This is the only active administrator; make someone else "
                                  "an administrator first."))
        return _detail(request, target, status=409)
    except OperationalError as error:
        if not _is_sqlite_busy(error):
            raise
        messages.error(request, _("Another change of accounts was being saved at the same "
                                  "moment; nothing was changed. Check and try again."))
        return _detail(request, _target(user_id), status=409)
    name = target.get_username()
    if not changed:
        messages.info(request, _("Nothing changed."))
    elif active:
        messages.success(request, _("%(user)s can sign in again.") % {"user": name})
    else:
        messages.success(request, _("%(user)s is deactivated and was signed out everywhere.")
                         % {"user": name})
    return redirect("user", user_id=target.pk)


@manage_users_required
@require_POST
def reset_password(request, user_id):
    """E-mail the account a link to set a new password (recorded)."""
    target = _target(user_id)
    if not target.email:
        messages.error(request, _("%(user)s has no e-mail address to send the link to.")
                       % {"user": target.get_username()})
        return _detail(request, target, status=409)
    if not _send_password_link(request, target):
        return _detail(request, target, status=502)
    return redirect("user", user_id=target.pk)


def _send_password_link(request, target) -> bool:
    """Send the link and say so in a message; False (with the reason) when it failed."""
    try:
        start_password_reset(by=request.user, target=target, request=request)
    except MailNotSent:
        messages.error(request, _("The e-mail with the password link could not be sent: the "
                                  "mail server did not accept it. Try again later, or ask "
                                  "whoever runs fleetadmin to check EMAIL_URL."))
        return False
    if mail_is_kept():
        messages.success(request, _("The password link for %(user)s is in the Outbox (this "
                                    "fleetadmin sends no e-mail).")
                         % {"user": target.get_username()})
    else:
        messages.success(request, _("A link to set a password was sent to %(email)s.")
                         % {"email": target.email})
    return True


@manage_users_required
def set_customer(request, user_id):
    """Choose, among those the account's flinkey credentials reach, its customer."""
    target = _target(user_id)
    credentials = credentials_of(target)
    if credentials is None or not credentials.is_complete:
        messages.error(request, _("Set %(user)s's flinkey credentials first: the customers "
                                  "to choose from are those they reach.")
                       % {"user": target.get_username()})
        return redirect("user", user_id=target.pk)
    try:
        customers = services.list_customers(user=target)
    except (SetupNeeded, FlinkeyError) as error:
        problem = problem_of(error)
        return render(request, "accounts/user_customer.html",
                      {"target": target, "problem": problem}, status=problem.status)
    form = CustomerForm(request.POST or None, customers=customers,
                        initial={"customer": credentials.customer_id})
    if request.method != "POST" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "accounts/user_customer.html",
                      {"target": target, "form": form}, status=status)
    try:
        chosen = services.choose_customer(user=target, customer_id=form.cleaned_data["customer"],
                                          by=request.user)
    except services.CustomerUnreachable:
        form.add_error("customer", _("The credentials no longer reach this customer."))
        return render(request, "accounts/user_customer.html",
                      {"target": target, "form": form}, status=409)
    except (SetupNeeded, FlinkeyError) as error:
        problem = problem_of(error)
        return render(request, "accounts/user_customer.html",
                      {"target": target, "form": form, "problem": problem}, status=problem.status)
    messages.success(request, _("%(user)s now works with %(customer)s.")
                     % {"user": target.get_username(), "customer": chosen.name})
    return redirect("user", user_id=target.pk)
