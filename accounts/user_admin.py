"""What administrators do to accounts: create, deactivate, reactivate, start a password reset.

Each change is one transaction with its audit entry. Deactivating ends the account's
sessions at once (every sign-in method: password, single sign-on and portal share Django's
sessions), and the last active administrator can neither be deactivated nor lose the role —
checked under the same lock as role changes (`lock_admins`), so two admins acting at once
cannot both succeed.
"""

import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.access import ROLE_ADMIN
from accounts.roles import change_role
from audit.models import AuditEntry
from audit.recording import new_entry, record


class LastAdministrator(Exception):
    """The change would leave no active administrator."""


def lock_admins():
    """Lock the admin group and its memberships until the transaction ends; return the group.

    Role changes and (de)activations take this lock first, so they run one after the other
    and each counts the administrators the previous one left.
    """
    group = Group.objects.select_for_update().get(name=ROLE_ADMIN)
    memberships = get_user_model().groups.through.objects.filter(group=group)
    # Evaluated for the lock (FOR UPDATE needs the rows fetched), not for the values.
    list(memberships.select_for_update().values_list("pk", flat=True))
    return group


def is_last_admin(user) -> bool:
    """True when `user` is the only active administrator; call inside a transaction."""
    admins = lock_admins().user_set.filter(is_active=True)
    return admins.filter(pk=user.pk).exists() and admins.count() == 1


def create_user(*, by, username: str, email: str = "", role: str | None = None):
    """Create a local account (no usable password yet) with `role`; return it (recorded)."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, email=email)
        # The role is recorded by change_role, as every role change is.
        record(user=by, action="user.create", target=username, changes={"email": email})
        if role:
            change_role(user, role, by=by, how="set when the account was created")
    return user


def set_active(*, by, target, active: bool) -> bool:
    """Deactivate or reactivate `target`; True if it changed (recorded).

    Deactivating ends every session of the account at once. Raises LastAdministrator
    rather than deactivate the only active administrator.
    """
    with transaction.atomic():
        if not active and is_last_admin(target):
            raise LastAdministrator
        return _switch_active(by, target, active)


def _switch_active(by, target, active: bool) -> bool:
    target = get_user_model().objects.select_for_update().get(pk=target.pk)
    if target.is_active == active:
        return False
    target.is_active = active
    target.save(update_fields=["is_active"])
    ended = 0 if active else end_sessions(target)
    record(user=by, action="user.reactivate" if active else "user.deactivate",
           target=target.get_username(), changes={"sessions_ended": ended})
    return True


def end_sessions(user) -> int:
    """Delete every stored session of `user`; return how many there were.

    Sessions are stored signed and encoded, not by user: each live one is decoded. An
    administrator's click costs that; no page view does. (`ActiveUserMiddleware` also
    signs out an inactive account on its next request, whatever the session store.)
    """
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


class MailNotSent(Exception):
    """The mail server could not be reached or refused the message."""


def start_password_reset(*, by, target, request) -> None:
    """E-mail `target` a link to set a new password (recorded; the link never is).

    The link works once and for PASSWORD_RESET_TIMEOUT seconds (Django's token generator:
    it stops working when the password or the last sign-in changes). Raises ValueError when
    the account has no e-mail address, MailNotSent when the mail server fails.
    """
    if not target.email:
        raise ValueError("no e-mail address")
    path = reverse("password-reset-confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(target.pk)),
        "token": default_token_generator.make_token(target),
    })
    context = {"username": target.get_username(), "link": request.build_absolute_uri(path),
               "hours": settings.PASSWORD_RESET_TIMEOUT // 3600, "by": by.get_username()}
    with translation.override(_language_of(target)):
        subject = render_to_string("accounts/password_reset_subject.txt", context).strip()
        body = render_to_string("accounts/password_reset_email.txt", context)
    # Stored before the mail leaves, as "unknown", then settled: a worker killed while the
    # mail server works leaves "unknown" in the log, never nothing.
    entry = new_entry(user=by, action="user.password_reset", target=target.get_username(),
                      changes={"email": target.email}, outcome=AuditEntry.Outcome.UNKNOWN)
    entry.save()
    try:
        send_mail(subject, body, None, [target.email])
    except (OSError, smtplib.SMTPException) as error:
        # Only the type: a mail server's answer can echo anything back.
        entry.settle(outcome=AuditEntry.Outcome.FAILURE,
                     message=f"mail server: {type(error).__name__}")
        raise MailNotSent from None
    entry.settle(outcome=AuditEntry.Outcome.SUCCESS)


def _language_of(user) -> str:
    """The account's chosen language, else the site's."""
    preferences = getattr(user, "preferences", None)
    return (getattr(preferences, "language", "") or settings.LANGUAGE_CODE)
