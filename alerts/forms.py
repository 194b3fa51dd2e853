"""The alerts' forms: a rule (its kind's fields), a webhook (secret write-only), a subscription."""

from django import forms
from django.utils.translation import gettext_lazy as _

from alerts import addresses
from alerts.hours import WEEKDAYS
from alerts.models import Rule, Subscription, Webhook
from fleetadmin.web.time_zones import time_zone_choices
from fleetadmin.web.widgets import LongSelect, SecretInput

WEEKDAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
                 _("Saturday"), _("Sunday")]
# The threshold's unit, per kind (None: the kind has no threshold).
THRESHOLD_LABELS = {
    Rule.Kind.LEFT_OPEN: _("Open for longer than (hours)"),
    Rule.Kind.SERVICE: _("Service ends within (days)"),
    Rule.Kind.SILENT: _("No position for (hours)"),
}
USES_HOURS = {Rule.Kind.OUTSIDE_HOURS, Rule.Kind.LEFT_OPEN}
# The fields a kind's form shows (besides the working hours), in order.
COMMON_FIELDS = ("name", "kind", "enabled")
KIND_FIELDS = {
    Rule.Kind.LEFT_OPEN: ("threshold", "only_outside_hours", "time_zone"),
    Rule.Kind.SERVICE: ("threshold",),
    Rule.Kind.SILENT: ("threshold",),
    Rule.Kind.OUTSIDE_HOURS: ("time_zone",),
    Rule.Kind.NOT_AT_DEPOT: ("depots_text", "check_time", "time_zone"),
}


class RuleForm(forms.ModelForm):
    """One rule; the working hours are a start and end per weekday, the depots typed lines."""

    time_zone = forms.ChoiceField(label=_("Time zone of the hours"), choices=time_zone_choices,
                                  widget=LongSelect)
    threshold = forms.IntegerField(label=_("Threshold"), min_value=1, max_value=10000,
                                   required=False)
    depots_text = forms.CharField(
        label=_("Depots"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One depot a line: name, latitude, longitude, radius in metres — e.g. "
                    "“Depot North, 52.5301, 13.3849, 250”."))
    check_time = forms.TimeField(label=_("Check at (time of day)"), required=False,
                                 widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    class Meta:
        model = Rule
        fields = ["name", "kind", "enabled", "threshold", "only_outside_hours", "time_zone",
                  "check_time"]
        labels = {"enabled": _("Switched on (raises alerts)"),
                  "only_outside_hours": _("Only outside working hours")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")
        self.fields["kind"].label = _("Kind")
        # Chosen by the link that opened the form (?kind=), never changed: the form's fields
        # are that kind's, and a rule's alerts stay of one kind.
        self.fields["kind"].disabled = True
        # Our own blank choice: Django's "- Select an option -" (BLANK_CHOICE_LABEL, new in
        # 6.1) has no German in Django's catalogue and showed on German pages.
        self.fields["kind"].choices = [("", _("Choose a kind")), *Rule.Kind.choices]
        hours = self.instance.working_hours or {}
        for day in WEEKDAYS:
            start, end = hours.get(str(day), ["", ""])
            for part, value, label in (("start", start, _("%(day)s from")),
                                       ("end", end, _("%(day)s until"))):
                self.fields[f"day{day}_{part}"] = forms.TimeField(
                    label=label % {"day": WEEKDAY_NAMES[day]}, required=False, initial=value,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
        if self.instance.depots:
            self.fields["depots_text"].initial = "\n".join(
                f"{d['name']}, {d['latitude']}, {d['longitude']}, {d['radius']}"
                for d in self.instance.depots)

    def shown_fields(self, kind: str):
        """The bound fields the form shows for `kind` (the working hours apart)."""
        if kind in THRESHOLD_LABELS:
            self.fields["threshold"].label = THRESHOLD_LABELS[kind]
        return [self[name] for name in COMMON_FIELDS + KIND_FIELDS.get(kind, ())]

    def day_fields(self):
        """[(start field, end field)] per weekday, for the template's table."""
        return [(self[f"day{day}_start"], self[f"day{day}_end"]) for day in WEEKDAYS]

    def clean_depots_text(self):
        depots = []
        for number, line in enumerate(self.cleaned_data["depots_text"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.rsplit(",", 3)]
            try:
                name, latitude, longitude, radius = parts
                latitude, longitude, radius = float(latitude), float(longitude), float(radius)
            except ValueError:
                raise forms.ValidationError(_(
                    "Line %(line)s is not “name, latitude, longitude, radius”.") % {
                    "line": number}) from None
            if not (name and -90 <= latitude <= 90 and -180 <= longitude <= 180
                    and 0 < radius <= 100_000):
                raise forms.ValidationError(_(
                    "Line %(line)s: a name, a latitude from -90 to 90, a longitude from -180 "
                    "to 180 and a radius from 1 to 100,000 metres.") % {"line": number})
            depots.append({"name": name, "latitude": latitude, "longitude": longitude,
                           "radius": radius})
        return depots

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind
        hours = {}
        for day in WEEKDAYS:
            start, end = cleaned.get(f"day{day}_start"), cleaned.get(f"day{day}_end")
            if bool(start) != bool(end):
                self.add_error(f"day{day}_end", _("Give both a start and an end, or neither."))
            elif start and end:
                if start == end:
                    self.add_error(f"day{day}_end", _("The end must differ from the start."))
                hours[str(day)] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
        cleaned["working_hours"] = hours
        if kind in THRESHOLD_LABELS and not cleaned.get("threshold"):
            self.add_error("threshold", _("Give a number from 1 up."))
        if kind == Rule.Kind.OUTSIDE_HOURS and not hours:
            self.add_error(None, _("Give the working hours of at least one weekday."))
        if kind == Rule.Kind.NOT_AT_DEPOT:
            if not cleaned.get("depots_text"):
                self.add_error("depots_text", _("Give at least one depot."))
            if not cleaned.get("check_time"):
                self.add_error("check_time", _("Give the time of day to check at."))
        return cleaned

    def save(self, commit=True):
        rule = super().save(commit=False)
        rule.working_hours = self.cleaned_data["working_hours"]
        rule.depots = self.cleaned_data.get("depots_text") or []
        rule.threshold = self.cleaned_data.get("threshold") or rule.threshold or 1
        if commit:
            rule.save()
        return rule


class WebhookForm(forms.ModelForm):
    """A webhook; the secret is typed once and never shown (blank on edit: kept)."""

    secret = forms.CharField(
        label=_("Signing secret"), required=False, strip=False, min_length=16,
        widget=SecretInput,
        help_text=_("At least 16 characters. It is never shown again; leave it empty to keep "
                    "the saved one."))

    class Meta:
        model = Webhook
        fields = ["name", "url", "enabled"]
        labels = {"name": _("Name"), "url": _("URL"), "enabled": _("Switched on")}

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            addresses.check(url)
        except addresses.Refused as refused:
            raise forms.ValidationError(str(refused)) from None
        return url

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret and not self.instance.pk:
            raise forms.ValidationError(_("Give a signing secret."))
        return secret

    def save(self, commit=True):
        hook = super().save(commit=False)
        if self.cleaned_data.get("secret"):
            hook.secret = self.cleaned_data["secret"]
        if commit:
            hook.save()
        return hook


class SubscriptionForm(forms.Form):
    mode = forms.ChoiceField(label=_("Alerts by e-mail"), choices=Subscription.Mode.choices,
                             widget=forms.RadioSelect)
