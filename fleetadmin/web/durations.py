"""How long ago, and for how long: whole phrases per unit, so German gets its own grammar.

Django's timesince writes a bare "2 Tage"; wrapped into "%(age)s ago" that gives German the
wrong case ("vor 2 Tage" needs the dative: "vor 2 Tagen", "seit 1 Tag"). So each phrase is
one message per unit with singular and plural, and the translator writes it whole.
Only the largest unit is said ("3 days ago", not "3 days, 4 hours ago").
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import npgettext_lazy

# "2 days ago" / "vor 2 Tagen".
AGO = {
    "year": npgettext_lazy("time ago", "%(num)d year ago", "%(num)d years ago", "num"),
    "month": npgettext_lazy("time ago", "%(num)d month ago", "%(num)d months ago", "num"),
    "week": npgettext_lazy("time ago", "%(num)d week ago", "%(num)d weeks ago", "num"),
    "day": npgettext_lazy("time ago", "%(num)d day ago", "%(num)d days ago", "num"),
    "hour": npgettext_lazy("time ago", "%(num)d hour ago", "%(num)d hours ago", "num"),
    "minute": npgettext_lazy("time ago", "%(num)d minute ago", "%(num)d minutes ago", "num"),
}

# How long something has been in a state, under a heading "Open for":
# "2 days" / "seit 2 Tagen".
FOR = {
    "year": npgettext_lazy("open for", "%(num)d year", "%(num)d years", "num"),
    "month": npgettext_lazy("open for", "%(num)d month", "%(num)d months", "num"),
    "week": npgettext_lazy("open for", "%(num)d week", "%(num)d weeks", "num"),
    "day": npgettext_lazy("open for", "%(num)d day", "%(num)d days", "num"),
    "hour": npgettext_lazy("open for", "%(num)d hour", "%(num)d hours", "num"),
    "minute": npgettext_lazy("open for", "%(num)d minute", "%(num)d minutes", "num"),
}

_MINUTE = timedelta(minutes=1)


def ago_text(moment, now=None) -> str:
    """Return how long ago `moment` was: "2 days ago", German "vor 2 Tagen"."""
    now = now or timezone.now()
    if now - moment < _MINUTE:
        return _("just now")
    return timesince(moment, now, time_strings=AGO, depth=1)


def for_text(moment, now=None) -> str:
    """Return how long it has been since `moment`: "2 days", German "seit 2 Tagen"."""
    now = now or timezone.now()
    if now - moment < _MINUTE:
        return _("just now")
    return timesince(moment, now, time_strings=FOR, depth=1)


# "in 2 days" / "in 2 Tagen" (a moment ahead).
IN = {
    "year": npgettext_lazy("time ahead", "in %(num)d year", "in %(num)d years", "num"),
    "month": npgettext_lazy("time ahead", "in %(num)d month", "in %(num)d months", "num"),
    "week": npgettext_lazy("time ahead", "in %(num)d week", "in %(num)d weeks", "num"),
    "day": npgettext_lazy("time ahead", "in %(num)d day", "in %(num)d days", "num"),
    "hour": npgettext_lazy("time ahead", "in %(num)d hour", "in %(num)d hours", "num"),
    "minute": npgettext_lazy("time ahead", "in %(num)d minute", "in %(num)d minutes", "num"),
}


def in_text(moment, now=None) -> str:
    """Return how far ahead `moment` is: "in 2 days", German "in 2 Tagen"."""
    now = now or timezone.now()
    if moment - now < _MINUTE:
        return _("just now")
    return timesince(now, moment, time_strings=IN, depth=1)
