"""The Fleet sync page's form: the sync credential, write-only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fleetadmin.web.widgets import SecretInput
from flinkey import credential_problem


class SyncCredentialForm(forms.Form):
    """A flinkey API manager login of its own for the background sync; never shown again."""

    api_key = forms.CharField(label=_("API key"), widget=SecretInput, strip=True)
    username = forms.CharField(
        label=_("API manager username"), max_length=254, strip=True,
        widget=SecretInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(label=_("API manager password"), widget=SecretInput,
                               strip=False)

    def clean(self):
        cleaned = super().clean()
        for name in ("api_key", "username", "password"):
            value = cleaned.get(name) or ""
            if value and credential_problem(name, value.strip() or value):
                self.add_error(name, _(
                    "This contains a character that cannot be sent to flinkey, often an "
                    "invisible one pasted along with it. Type or paste it again."))
        return cleaned
