"""What a rule checks and what its matches' "since" is, in words, for the rule's page.

The empty state of "Cars matching now" says what was looked for (so "no car" reads as an
answer, not as a rule that does nothing), and the list's time column is named per kind:
the episode start is an opening, a last position, a service end or a check time.
"""

from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alerts.models import Rule


def what_it_checks(rule: Rule) -> str:
    """One or two sentences: what the rule looks for, with its threshold."""
    count = rule.threshold
    if rule.kind == Rule.Kind.LEFT_OPEN:
        text = ngettext("It looks for cars open for longer than %(count)s hour.",
                        "It looks for cars open for longer than %(count)s hours.",
                        count) % {"count": count}
        if rule.only_outside_hours:
            text += " " + _("It only alerts outside the working hours.")
        return text
    if rule.kind == Rule.Kind.SERVICE:
        return ngettext("It looks for devices whose service ends within %(count)s day, or has "
                        "ended.",
                        "It looks for devices whose service ends within %(count)s days, or has "
                        "ended.", count) % {"count": count}
    if rule.kind == Rule.Kind.SILENT:
        return ngettext("It looks for cars with an IQ that have reported no position for "
                        "%(count)s hour, or never.",
                        "It looks for cars with an IQ that have reported no position for "
                        "%(count)s hours, or never.", count) % {"count": count}
    if rule.kind == Rule.Kind.OUTSIDE_HOURS:
        return _("It looks for openings in the last 24 hours outside the working hours.")
    checked_at = time_format(rule.check_time, "TIME_FORMAT") if rule.check_time else "—"
    return ngettext("It looks for cars whose stored position is outside the depot; alerts "
                    "are raised at %(time)s.",
                    "It looks for cars whose stored position is in none of the %(count)s "
                    "depots; alerts are raised at %(time)s.",
                    len(rule.depots)) % {"count": len(rule.depots), "time": checked_at}


def since_heading(kind: str) -> str:
    """The heading of the matches' time column: what the episode start is, for `kind`."""
    return {
        Rule.Kind.LEFT_OPEN: _("Open since"),
        Rule.Kind.SERVICE: _("Service ends"),
        Rule.Kind.SILENT: _("Last position"),
        Rule.Kind.OUTSIDE_HOURS: _("Opened at"),
        Rule.Kind.NOT_AT_DEPOT: _("Checked at"),
    }.get(kind, _("Since"))
