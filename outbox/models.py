"""E-mail that fleetadmin would have sent, kept instead of sending (the demo's outbox)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One e-mail as it would have left: recipients, subject and plain-text body."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    from_email = models.CharField(_("from"), max_length=254)
    # Comma-separated, as in a mail header; the page shows them as written.
    to = models.TextField(_("to"))
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")

    def __str__(self) -> str:
        return self.subject
