"""How the screen kit renders a form field: one field group per kind of field.

Every screen writes `{{ field.as_field_group }}` (or includes `includes/form_fields.html`);
Django renders the field with the template of its kind, chosen here. The project's
FORM_RENDERER is `FieldGroupRenderer`, so every form gets `FieldGroup` as its bound field.

The kinds, each one template under `templates/includes/fields/`:
- `field.html`: label, input, help text and errors (linked by aria-describedby), the
  required marker; every other kind builds on it or on `notes.html`;
- `date.html`: a date (and time) typed as the user's language writes it: `field.html` with
  the format shown, since a placeholder disappears once typing starts;
- `checkbox.html`: one box, its label after it;
- `choices.html`: radio buttons or a group of boxes, in a fieldset whose legend is the label.
"""

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

from fleetadmin.web.dates import LocalDateInput, LocalDateTimeInput

PLAIN = "includes/fields/field.html"
DATE = "includes/fields/date.html"
CHECKBOX = "includes/fields/checkbox.html"
CHOICES = "includes/fields/choices.html"


def template_for(widget: forms.Widget) -> str:
    """Return the field-group template of the kind of field `widget` is."""
    if isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
        return CHOICES
    if isinstance(widget, forms.CheckboxInput):
        return CHECKBOX
    if isinstance(widget, LocalDateInput | LocalDateTimeInput):
        return DATE
    return PLAIN


class FieldGroup(BoundField):
    """A bound field rendered with its kind's template; a typed date also names its format."""

    @property
    def template_name(self) -> str:
        # A template set on the field itself (Field(template_name=...)) still wins.
        return self.field.template_name or template_for(self.field.widget)

    @property
    def format_hint(self) -> str:
        """Return how to type this field's date ("TT.MM.JJJJ"), or "" for other fields."""
        widget = self.field.widget
        return widget.hint() if isinstance(widget, LocalDateInput | LocalDateTimeInput) else ""

    @property
    def aria_describedby(self):
        described_by = super().aria_describedby
        if described_by is not None and self.auto_id and self.format_hint:
            described_by = f"{self.auto_id}_format {described_by}".strip()
        return described_by


class FieldGroupRenderer(TemplatesSetting):
    """The project's form renderer: the project's templates, and `FieldGroup` for every field.

    TemplatesSetting renders with the project's template engine (its `templates/` folder and
    the apps' ones, where Django's own widget templates come from, through "django.forms").
    """

    field_template_name = PLAIN
    bound_field_class = FieldGroup
