"""`check --deploy`: a production fleetadmin that keeps its e-mail in the outbox sends none."""

from django.conf import settings
from django.core import checks

from outbox.backends import OutboxEmailBackend

OUTBOX_BACKEND = f"{OutboxEmailBackend.__module__}.{OutboxEmailBackend.__qualname__}"


def mail_is_kept() -> bool:
    """True when the default mailer is the outbox: nothing leaves the building."""
    return settings.MAILERS.get("default", {}).get("BACKEND") == OUTBOX_BACKEND


@checks.register(checks.Tags.security, deploy=True)
def mail_leaves(app_configs, **kwargs):
    if not mail_is_kept():
        return []
    return [checks.Warning(
        "EMAIL_URL is the outbox: password links (and alerts) are kept on the Outbox page "
        "and never e-mailed.",
        hint="Set EMAIL_URL to your mail server, e.g. smtp+tls://user:password@mail:587.",
        id="outbox.W001",
    )]
