"""Forms of the Settings screen: flinkey credentials, the customer, preferences."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fleetadmin.models import FlinkeyCredentials, UserPreferences
from fleetadmin.web.ids import FlinkeyIdField
from fleetadmin.web.languages import language_choices
from fleetadmin.web.problems import refuse_unsendable_credentials
from fleetadmin.web.time_zones import ZONE_PICKER_ATTRS, time_zone_choices
from fleetadmin.web.widgets import LongSelect, SecretInput


class CredentialsForm(forms.Form):
    """API key, API-manager username and password; secrets are write-only."""

    api_key = forms.CharField(label=_("API key"), required=False, widget=SecretInput, strip=True)
    username = forms.CharField(
        label=_("API manager username"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("API manager password"), required=False, widget=SecretInput, strip=False
    )

    def __init__(self, *args, stored: FlinkeyCredentials | None = None, **kwargs):
        initial = kwargs.pop("initial", {}) or {}
        if stored is not None:
            initial.setdefault("username", stored.username)
        super().__init__(*args, initial=initial, **kwargs)
        for name in ("api_key", "password"):
            if stored is not None and getattr(stored, name):
                self.fields[name].help_text = _("A value is stored. Leave empty to keep it.")
            else:
                # Nothing stored to keep: required as a field (not only as the input's
                # attribute), so its field group shows the marker and the form says so.
                self.fields[name].required = True

    def clean(self):
        cleaned = super().clean()
        refuse_unsendable_credentials(self, cleaned)
        return cleaned


class PreferencesForm(forms.ModelForm):
    """The user's display preferences."""

    # Grouped by region; static/js/zone_picker.js adds a filter and the browser's zone.
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices,
                                  widget=LongSelect(attrs=ZONE_PICKER_ATTRS))
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=lambda: [("", _("As the browser says")), *language_choices()],
        help_text=_("Also switched with DE | EN at the top of every page."),
    )

    class Meta:
        model = UserPreferences
        fields = ["time_zone", "language", "flinkey_user_id"]
        help_texts = {
            "flinkey_user_id": _("Your own user id at flinkey: events you record are "
                                 "attributed to it unless you enter another."),
        }


class CustomerChoiceForm(forms.Form):
    """One of the customers the API manager reaches."""

    customer_id = FlinkeyIdField(widget=forms.HiddenInput)
