"""Form widgets of the screen kit: a password box that never shows what is stored, a long select."""

from django import forms
from django.utils.html import format_html
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
        inner = "".join(format_html('\n  <option value="{}"{}>{}</option>\n', str(option["value"]),
                                    _attrs_html(option["attrs"]), option["label"])
                        for option in options)
        if not group_name:
            return inner
        return format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name,
                           mark_safe(inner))  # noqa: S308 - escaped above


def _attrs_html(attrs: dict) -> str:
    """Django's widgets/attrs.html in Python: ` name="value"`, a True value bare, False left out."""
    return mark_safe("".join(  # noqa: S308 - each part escaped by format_html
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items() if value is not False
    ))
