"""A form field for "who": a person of the fleet's directory by name, or a raw flinkey user id.

The screens (the timeline's filter, recording an event) use it; it cleans to the user id.
Its input offers the fleet's people as a datalist: picking one puts the name in the field.
"""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from fleetadmin.web.ids import id_message, parse_id
from people.directory import Ambiguous, Directory


class PersonInput(forms.TextInput):
    """A text input with a datalist of the fleet's people (names; an id where names repeat)."""

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.directory = Directory(None)

    def format_value(self, value):
        # An id of a person with a unique name is shown as that name.
        person = self.directory.get(value) if str(value or "").strip().isdigit() else None
        if person is not None and self.directory.name_is_unique(person.name):
            return person.name
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.directory:
            widget_attrs = context["widget"]["attrs"]
            widget_attrs["list"] = f"{widget_attrs.get('id', name)}-people"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.directory:
            return html
        list_id = f"{(attrs or {}).get('id') or self.attrs.get('id') or name}-people"
        options = format_html_join(
            "", '<option value="{}">{}</option>',
            ((person.name if self.directory.name_is_unique(person.name)
              else person.flinkey_user_id,
              _label(person)) for person in self.directory.by_name()))
        return format_html('{}<datalist id="{}">{}</datalist>', html, list_id, options)


def _label(person) -> str:
    extra = f" · {person.department}" if person.department else ""
    return f"{person.flinkey_user_id}{extra}"


class PersonField(forms.Field):
    """Cleans a name of the directory or a number to a flinkey user id (an int) or None."""

    widget = PersonInput
    default_error_messages = {
        "unknown": _("Nobody in your fleet's people is called “%(name)s”. Enter a name from "
                     "the list or a flinkey user id."),
        "ambiguous": _("Several people are called “%(name)s”. Enter the flinkey user id."),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.directory = Directory(None)

    @property
    def directory(self) -> Directory:
        return self._directory

    @directory.setter
    def directory(self, value: Directory) -> None:
        self._directory = value if value is not None else Directory(None)
        self.widget.directory = self._directory

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.directory = self._directory  # shared, read-only
        return result

    def to_python(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        if text.lstrip("+-").isdigit():
            # Every id through fleetadmin.web.ids: flinkey's range, and no int() of 5,000 digits.
            number = parse_id(text)
            if number is None:
                raise forms.ValidationError(id_message(), code="range")
            return number
        if len(text) > 200:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown",
                                        params={"name": text[:40] + "…"})
        try:
            found = self.directory.user_id_named(text)
        except Ambiguous:
            raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous",
                                        params={"name": text}) from None
        if found is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown",
                                        params={"name": text})
        return found
