"""Retiring cars: what a car still carries, and the typed confirmations before deleting.

Deleting a car is permanent, and a car that still carries a flinkey Box or IQ is usually a
mistake (the device should be removed or moved first). So the confirmation names those
devices, and the person types the car's name (one car) or the number of cars (several)
before Delete is accepted. The check is the server's: the page's script only keeps the
button disabled until the text matches.
"""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fleetadmin.upstream.clients import SetupNeeded, client_for
from fleetadmin.web.problems import Problem, car_problem
from flinkey import FlinkeyError, Product

# The devices that matter when a car goes: the ones that keep and press its key, and record it.
CARRIED_TYPES = (Product.BOX, Product.IQ)


@dataclass(frozen=True)
class Carried:
    """What a car still carries, as far as flinkey told; `problem` says why it could not tell."""

    devices: tuple[Product, ...] = ()
    problem: Problem | None = None

    @property
    def checked(self) -> bool:
        """True when flinkey answered (the devices, if any, are known)."""
        return self.problem is None

    @property
    def warn(self) -> bool:
        """True when the confirmation must warn: devices found, or they could not be checked."""
        return bool(self.devices) or not self.checked


def carried_of(products) -> Carried:
    """Return the Box and IQ among `products`, Box first."""
    order = {kind: index for index, kind in enumerate(CARRIED_TYPES)}
    devices = sorted((p for p in products if p.type in order),
                     key=lambda p: (order[p.type], p.id))
    return Carried(devices=tuple(devices))


def unchecked(error: Exception) -> Carried:
    """Return the Carried of a products call that failed with `error`, saying what happened."""
    return Carried(problem=car_problem(error))


def carried_by(*, user, car_id: int) -> Carried:
    """One products call: the Box/IQ the car carries, or why flinkey could not tell."""
    try:
        return carried_of(client_for(user).list_products(car_id))
    except (SetupNeeded, FlinkeyError) as error:
        # Only a warning: when it cannot be checked, deleting must still be possible.
        return unchecked(error)


def same_text(typed: str | None, expected: str | None) -> bool:
    """True when `typed` is `expected`, both without surrounding blanks, nothing else forgiven."""
    return (typed or "").strip() == (expected or "").strip()


class NameConfirmation(forms.Form):
    """The car's name, typed to confirm deleting it."""

    confirm_name = forms.CharField(label=_("Type the car's name to confirm"), required=False,
                                   strip=False, max_length=1000,
                                   widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                 "spellcheck": "false"}))

    def __init__(self, *args, expected: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected
        field = self.fields["confirm_name"]
        field.label = _("Type the car's name, “%(name)s”, to delete it") % {"name": expected}
        field.widget.attrs["data-confirm-expected"] = expected.strip()

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data.get("confirm_name", "")
        if not same_text(typed, self.expected):
            raise forms.ValidationError(
                _("Type the car's name exactly as shown to delete it. Nothing was deleted."),
                code="mismatch")
        return typed


class CountConfirmation(forms.Form):
    """The number of cars, typed to confirm deleting all of them."""

    confirm_count = forms.CharField(label=_("Type the number of cars to confirm"),
                                    required=False, strip=False, max_length=20,
                                    widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                  "inputmode": "numeric"}))

    def __init__(self, *args, count: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.count = count
        field = self.fields["confirm_count"]
        field.label = ngettext("Type the number of cars, %(counter)s, to delete it",
                               "Type the number of cars, %(counter)s, to delete them",
                               count) % {"counter": count}
        field.widget.attrs["data-confirm-expected"] = str(count)

    def clean_confirm_count(self) -> str:
        typed = self.cleaned_data.get("confirm_count", "")
        if not same_text(typed, str(self.count)):
            raise forms.ValidationError(
                _("Type the number of cars shown (%(count)s) to delete them. Nothing was "
                  "deleted.") % {"count": self.count}, code="mismatch")
        return typed
