"""The car form: mirrors what the flinkey API accepts, warns where it only looks odd."""

import re
from collections.abc import Callable

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cars.services import EDITABLE_FIELDS
from fleetadmin.web.forms import FieldGroup

# 17 characters, digits and capitals without I, O and Q (ISO 3779). Older cars have other
# numbers, so this is a warning, never a refusal: the API itself accepts any text.
VIN_PATTERN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


class WarningBoundField(FieldGroup):
    """A field group that also carries the form's warnings for it (shown, never blocking)."""

    @property
    def warnings(self) -> list[str]:
        """Return the warnings for this field."""
        return self.form.warnings.get(self.name, [])

    @property
    def live_warnings(self) -> bool:
        """True when the warnings are checked while typing (a region the check refreshes)."""
        return self.name in self.form.live_warnings

    @property
    def aria_describedby(self):
        described_by = super().aria_describedby
        if self.auto_id and self.warnings:
            described_by = f"{described_by} {self.auto_id}_warning".strip()
        return described_by


# What a fleet needs, and no more: the API sets no limits, but a 1,000,000-character name
# would make every list page that shows it megabytes long for every user.
MAX_LENGTHS = {"name": 100, "license_plate": 20, "brand": 50, "model": 50, "vin": 30,
               "description": 1000}


class CarForm(forms.Form):
    """Name (required, not blank), licence plate, brand, model, VIN, description."""

    bound_field_class = WarningBoundField
    # Checked as it is typed (cars:vin-check answers the field's warnings region).
    live_warnings = ("vin",)

    name = forms.CharField(
        label=_("Name"),
        max_length=MAX_LENGTHS["name"],
        help_text=_("Up to 100 characters."),
        error_messages={"required": _("Enter a name: flinkey needs one, and blanks do not count.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    license_plate = forms.CharField(
        label=_("Licence plate"), required=False, max_length=MAX_LENGTHS["license_plate"],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    brand = forms.CharField(label=_("Brand"), required=False, max_length=MAX_LENGTHS["brand"],
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    model = forms.CharField(label=_("Model"), required=False, max_length=MAX_LENGTHS["model"],
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    vin = forms.CharField(
        label=_("VIN"), required=False, max_length=MAX_LENGTHS["vin"],
        help_text=_("17 characters for cars built since 1981; older numbers are accepted too."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "class": "mono"}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=MAX_LENGTHS["description"],
        help_text=_("Up to 1,000 characters."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, editing: bool = False,
                 duplicates: Callable[[str], list] | None = None, car_id: int | None = None,
                 **kwargs):
        """`duplicates(vin)` returns the customer's other cars with that VIN (for a warning)."""
        super().__init__(*args, **kwargs)
        self.warnings: dict[str, list[str]] = {}
        self._duplicates = duplicates
        self.car_id = car_id
        for field in self.fields.values():
            field.error_messages["max_length"] = _(
                "Keep it to %(limit_value)d characters or fewer (this has %(show_value)d).")
        # Warnings while typing: the VIN is checked as it is typed (cars:vin-check).
        vin_check = reverse("cars:vin-check")
        if car_id is not None:
            vin_check += f"?car={int(car_id)}"
        self.fields["vin"].widget.attrs.update({
            "hx-get": vin_check, "hx-trigger": "input changed delay:400ms",
            "hx-target": "#id_vin_warnings", "hx-swap": "outerHTML", "hx-sync": "this:replace",
            # Not the form's own (inherited) saving indicator and disabled submit button.
            "hx-indicator": "unset", "hx-disabled-elt": "unset",
        })
        if editing:
            # The values the form showed travel along as hidden "initial-…" inputs, so
            # `changed_data` names exactly the fields the person changed (see services).
            for name in EDITABLE_FIELDS:
                self.fields[name].show_hidden_initial = True

    def clean_vin(self) -> str:
        vin = self.cleaned_data["vin"]
        if vin and not VIN_PATTERN.fullmatch(vin.upper()):
            self.warnings.setdefault("vin", []).append(
                _("This does not look like a 17-character VIN (letters I, O and Q are not "
                  "used). It is saved as typed; check it if the car is newer than 1981.")
            )
        others = self._duplicates(vin) if vin and self._duplicates else []
        if others:
            names = ", ".join(f"“{car.name}”" for car in others)
            self.warnings.setdefault("vin", []).append(
                _("Another car of this customer already has this VIN: %(cars)s. It is saved "
                  "anyway; check that this is not the same car.") % {"cars": names}
            )
        return vin

    def values(self) -> dict[str, str]:
        """Return the cleaned values of every editable field ("" for empty)."""
        return {name: self.cleaned_data.get(name) or "" for name in EDITABLE_FIELDS}

    def seen(self) -> dict[str, str]:
        """Return the values the edit form showed when it was opened (its hidden initials)."""
        return {
            name: str(self.data.get(self[name].html_initial_name) or "").strip()
            for name in EDITABLE_FIELDS
        }
