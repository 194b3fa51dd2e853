"""Form widgets of the screen kit: a password box that never shows what is stored."""

from django import forms
from django.utils.translation import gettext_lazy as _
from fleetadmin.ids import FlinkeyIdField
from fleetadmin.web.languages import language_choices
from fleetadmin.models import FlinkeyCredentials, UserPreferences
from fleetadmin.time_zones import ZONE_PICKER_ATTRS, time_zone_choices
from flinkey import credential_problem


class SecretInput(forms.PasswordInput):
    """A password box that never renders the stored value back into the page."""

    def __init__(self, attrs=None):
        attrs = {"autocomplete": "new-password", **(attrs or {})}
        super().__init__(attrs=attrs, render_value=False)
