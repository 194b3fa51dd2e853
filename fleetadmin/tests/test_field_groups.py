"""The screen kit's field groups (fleetadmin.web.forms): one template per kind of field, and no
screen writes a field's label, help and errors out itself."""

import re
from pathlib import Path

from django import forms
from django.conf import settings
from django.utils import translation

from fleetadmin.web.dates import DayField

TEMPLATES = Path(settings.BASE_DIR) / "templates"
FIELD_TEMPLATES = TEMPLATES / "includes" / "fields"


class Sample(forms.Form):
    name = forms.CharField(label="Name", help_text="What the car is called.", max_length=5)
    note = forms.CharField(label="Note", required=False)
    enabled = forms.BooleanField(label="Switched on", required=False)
    kind = forms.ChoiceField(label="What happened", widget=forms.RadioSelect,
                             choices=[("opened", "Opened"), ("closed", "Closed")])
    since = DayField(label="From", required=False)


def rejected():
    form = Sample(data={"name": "much too long", "kind": "nonsense", "since": "yesterday"})
    assert not form.is_valid()
    return form


def test_a_plain_field_links_its_help_and_errors_and_marks_required():
    html = str(rejected()["name"].as_field_group())
    assert '<div class="field invalid">' in html
    assert ('<label for="id_name">Name</label> <span class="required" aria-hidden="true">*</span>'
            in html)
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html and 'value="much too long"' in html
    assert '<small class="help" id="id_name_helptext">What the car is called.</small>' in html
    assert '<small class="error" id="id_name_error">Ensure this value has at most 5' in html
    optional = str(rejected()["note"].as_field_group())
    assert 'class="required"' not in optional and "aria-describedby" not in optional


def test_a_checkbox_has_its_label_after_the_box():
    html = str(Sample()["enabled"].as_field_group())
    assert re.search(r'<input type="checkbox" name="enabled" id="id_enabled">\s*'
                     r'<label for="id_enabled">Switched on</label>', html)


def test_choices_are_a_fieldset_described_by_their_errors():
    html = str(rejected()["kind"].as_field_group())
    assert html.lstrip().startswith('<fieldset class="field choice-group invalid" '
                                    'aria-describedby="id_kind_error">')
    assert '<legend>What happened <span class="required" aria-hidden="true">*</span>' in html
    assert '<label class="choice" for="id_kind_0"><input type="radio"' in html
    assert '<small class="error" id="id_kind_error">' in html
    # The fieldset is described, not each radio button again.
    assert html.count("aria-describedby") == 1


def test_a_typed_date_shows_its_format_in_the_users_language():
    with translation.override("de"):
        html = str(rejected()["since"].as_field_group())
    assert '<small class="help" id="id_since_format">Geschrieben als TT.MM.JJJJ</small>' in html
    assert 'aria-describedby="id_since_format id_since_error"' in html
    assert 'value="yesterday"' in html


def test_no_screen_writes_a_fields_markup_itself():
    """Label, help and errors of a field are written in includes/fields/ only."""
    hand_written = re.compile(r'<label for="\{\{ *(field|form\.\w+)\.(auto_id|id_for_label)'
                              r'|\{\{ *field\.auto_id *\}\}_(error|helptext)')
    found = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
             if FIELD_TEMPLATES not in path.parents and hand_written.search(path.read_text())]
    assert found == []
