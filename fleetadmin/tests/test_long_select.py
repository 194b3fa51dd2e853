"""LongSelect: Django's Select markup for the time zones, without a template per option."""

from django import forms
from django.test.signals import template_rendered

from fleetadmin.web.time_zones import ZONE_PICKER_ATTRS, time_zone_choices
from fleetadmin.web.widgets import LongSelect
from preferences.forms import PreferencesForm


def _form(widget_class):
    class ZoneForm(forms.Form):
        time_zone = forms.ChoiceField(choices=time_zone_choices,
                                      widget=widget_class(attrs=ZONE_PICKER_ATTRS))
        flat = forms.ChoiceField(choices=[("1", "a<b"), ("2", "Ü & \"x\"")], widget=widget_class)
    return ZoneForm(initial={"time_zone": "Europe/Berlin", "flat": "2"})


def test_the_markup_is_djangos():
    ours, djangos = _form(LongSelect), _form(forms.Select)
    for name in ("time_zone", "flat"):
        assert str(ours[name]) == str(djangos[name])
    assert '<option value="Europe/Berlin" selected>Berlin</option>' in str(ours["time_zone"])


def test_the_settings_time_zones_render_without_a_template_per_option():
    rendered = []

    def count(sender, **kwargs):
        rendered.append(sender.origin.template_name)

    template_rendered.connect(count)
    try:
        html = str(PreferencesForm()["time_zone"])
    finally:
        template_rendered.disconnect(count)
    assert html.count("<option") > 400
    assert len(rendered) < 10, rendered[:5]
