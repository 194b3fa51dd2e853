"""Form widgets of the screen kit: a password box that never shows what is stored, a long select."""

import html

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


class SecretInput(forms.PasswordInput):
    """A password box that never renders the stored value back into the page."""

    def __init__(self, attrs=None):
        attrs = {"autocomplete": "new-password", **(attrs or {})}
        super().__init__(attrs=attrs, render_value=False)


class LongSelect(forms.Select):
    """A select of hundreds of options (the time zones) with Django's markup, built in Python.

    Django's Select renders one template per option (and one for its attributes): ~600
    time zones took 30 ms on every page with the picker, the settings page's largest
    cost. The options here are joined in Python into the same markup; the select itself
    keeps Django's template for its own attributes.
    """

    template_name = "fleetadmin/widgets/long_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["options_html"] = mark_safe("".join(  # noqa: S308 - parts escaped
            self._group_html(group_name, options)
            for group_name, options, _index in context["widget"]["optgroups"]
        ))
        return context

    @staticmethod
    def _group_html(group_name, options) -> str:
        # Escaped part by part and joined with f-strings: format_html per option (a format,
        # an escape per argument and a SafeString each) was most of the widget's time
        # (13 of 15 ms for the ~600 zones, on every page with the picker).
        inner = "".join(f'\n  <option value="{_escape(option["value"])}"'
                        f'{_attrs_html(option["attrs"])}>{_escape(option["label"])}</option>\n'
                        for option in options)
        if not group_name:
            return inner
        return f'\n  <optgroup label="{conditional_escape(group_name)}">{inner}\n  </optgroup>'


def _attrs_html(attrs: dict) -> str:
    """Django's widgets/attrs.html in Python: ` name="value"`, a True value bare, False left out."""
    if not attrs:
        return ""  # most options: none (only the selected one has one)
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{_escape(value)}"'
        for name, value in attrs.items() if value is not False
    )


def _escape(value) -> str:
    """conditional_escape, with a plain str escaped directly (no lazy wrapper, no SafeString)."""
    return html.escape(value) if type(value) is str else conditional_escape(value)
