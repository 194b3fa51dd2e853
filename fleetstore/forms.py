"""The Fleet sync page's form: the sync credential, write-only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fleetadmin.web.problems import refuse_unsendable_credentials
from fleetadmin.web.widgets import SecretInput


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
        refuse_unsendable_credentials(self, cleaned)
        return cleaned
