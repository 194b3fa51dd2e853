"""The person form and the CSV import form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from people.models import MAX_USER_ID, Person


class PersonForm(forms.ModelForm):
    """A person of one fleet; the user id is fixed once the person exists."""

    class Meta:
        model = Person
        fields = ["flinkey_user_id", "name", "email", "department"]
        widgets = {
            "flinkey_user_id": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1,
                                                        "max": MAX_USER_ID}),
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
        }
        help_texts = {
            "flinkey_user_id": _("The number flinkey shows for this person in events."),
        }

    def __init__(self, *args, directory, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = directory
        if self.instance.pk:
            self.fields["flinkey_user_id"].disabled = True

    def clean_flinkey_user_id(self):
        user_id = self.cleaned_data["flinkey_user_id"]
        other = self.directory.get(user_id)
        if other is not None and other.pk != self.instance.pk:
            raise forms.ValidationError(
                _("%(name)s already has this flinkey user id. Edit that entry instead.")
                % {"name": other.name})
        return user_id


class ImportForm(forms.Form):
    """The file to import (first step: preview)."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, separated by “,” or “;”. First line: "
                    "flinkey_user_id,name,email,department"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
