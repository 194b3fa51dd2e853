"""Form widgets of the screen kit: a password box that never shows what is stored."""

from django import forms


class SecretInput(forms.PasswordInput):
    """A password box that never renders the stored value back into the page."""

    def __init__(self, attrs=None):
        attrs = {"autocomplete": "new-password", **(attrs or {})}
        super().__init__(attrs=attrs, render_value=False)
