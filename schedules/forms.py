"""The schedule form: which report, which period, which file, how often, when, to whom."""

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from schedules.content import report_choices
from schedules.models import Schedule
from schedules.sending import eligible_users


class RecipientChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        full = user.get_full_name()
        return f"{full} <{user.email}>" if full else f"{user.username} <{user.email}>"


class ScheduleForm(forms.ModelForm):
    report = forms.ChoiceField(label=_("Report"), choices=())
    weekday = forms.TypedChoiceField(label=_("Weekday (weekly)"), coerce=int, required=False,
                                     empty_value=None,
                                     choices=[("", "—"), *sorted(WEEKDAYS.items())])
    day_of_month = forms.IntegerField(label=_("Day of the month (monthly)"), min_value=1,
                                      max_value=31, required=False,
                                      help_text=_("A shorter month sends on its last day."))
    at_time = forms.TimeField(label=_("At (time of day)"),
                              widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    left_open_hours = forms.IntegerField(label=_("Left open: open for more than (hours)"),
                                         min_value=1, max_value=24 * 90)

    class Meta:
        model = Schedule
        fields = ["name", "report", "period", "format", "cadence", "weekday", "day_of_month",
                  "at_time", "left_open_hours", "recipients", "enabled"]

    def __init__(self, *args, fleet, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = report_choices()
        self.fields["period"].help_text = _(
            "Days before the day of the run, in the owner's time zone. Service ends and left "
            "open are as of the run.")
        self.fields["recipients"] = RecipientChoice(
            queryset=eligible_users(fleet).exclude(pk=owner.pk).order_by("username"),
            required=False, label=_("Also to"), widget=forms.CheckboxSelectMultiple,
            help_text=_("The owner always receives it. Only users of this fleet with an "
                        "e-mail address are listed."))

    def clean(self):
        cleaned = super().clean()
        cadence = cleaned.get("cadence")
        if cadence == Schedule.Cadence.WEEKLY and cleaned.get("weekday") is None:
            self.add_error("weekday", _("Choose the weekday of a weekly report."))
        if cadence == Schedule.Cadence.MONTHLY and not cleaned.get("day_of_month"):
            self.add_error("day_of_month", _("Choose the day of the month of a monthly "
                                             "report."))
        if cadence != Schedule.Cadence.WEEKLY:
            cleaned["weekday"] = None
        if cadence != Schedule.Cadence.MONTHLY:
            cleaned["day_of_month"] = None
        return cleaned
