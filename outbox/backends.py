"""A Django e-mail backend that keeps every message in the outbox instead of sending it.

`EMAIL_URL=outbox` (the demo's default) selects it: an administrator reads on the Outbox
page what would have gone out, e.g. a password-reset link, without any mail server.
"""

from django.core.mail.backends.base import BaseEmailBackend

from outbox.models import OutboxMessage


class OutboxEmailBackend(BaseEmailBackend):
    """Stores each message as an OutboxMessage; returns how many were stored."""

    def send_messages(self, email_messages):
        stored = 0
        for message in email_messages or ():
            OutboxMessage.objects.create(
                from_email=message.from_email or "",
                to=", ".join(message.recipients()),
                subject=message.subject,
                body=message.body,
            )
            stored += 1
        return stored
