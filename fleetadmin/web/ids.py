"""Every flinkey id fleetadmin reads, checked once: URL paths, form fields, query parameters.

flinkey's ids are 32-bit (`flinkey.ids`). A number outside that range names nothing
upstream, and passed on it broke things of ours: a car id of 2**63 overflowed the audit
log's write-ahead entry (a 64-bit column) and answered 500. So an id is range-checked where
it is parsed, here, and nowhere else: an out-of-range id in a URL is a 404 (the path
converter `flinkey_id` does not match), in a form field an error next to the field, in a
query parameter "no id" (`parse_id` returns None).
"""

from django import forms
from django.urls import register_converter
from django.utils.functional import lazy
from django.utils.translation import gettext

from flinkey.ids import ID_MAX, ID_MIN, is_id

__all__ = ["ID_MAX", "ID_MIN", "FlinkeyIdConverter", "FlinkeyIdField", "is_id", "parse_id"]

# Longer than any id in range; a cap so that int() never sees a 3,000-digit string.
_MAX_DIGITS = len(str(ID_MAX))


def parse_id(text: object, *, minimum: int = ID_MIN) -> int | None:
    """Return the flinkey id in `text` (ASCII digits, surrounding blanks ignored), or None.

    `minimum` 0 for a bound rather than an id (the timeline cursor's "before id 0").
    """
    text = str(text if text is not None else "").strip()
    # ASCII only: str.isdigit() also accepts "²" and "１２３", which are no ids in a URL.
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > _MAX_DIGITS:
        return None
    number = int(text)
    return number if minimum <= number <= ID_MAX else None


class FlinkeyIdConverter:
    """`<flinkey_id:car_id>`: digits naming a possible flinkey id; anything else is a 404."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # Django: this pattern does not match
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(FlinkeyIdConverter, "flinkey_id")


def _id_message() -> str:
    return gettext("Enter a flinkey id: a whole number from %(min)s to %(max)s.") % {
        "min": ID_MIN, "max": ID_MAX}


# In the reader's language when shown, not in the one active when the form class was built.
id_message = lazy(_id_message, str)


class FlinkeyIdField(forms.IntegerField):
    """A form field for a flinkey id (a user, a car, a customer): 1 … 2**31 - 1, said so."""

    def __init__(self, **kwargs):
        message = id_message()
        kwargs.setdefault("min_value", ID_MIN)
        kwargs.setdefault("max_value", ID_MAX)
        error_messages = {"min_value": message, "max_value": message, "invalid": message,
                          **kwargs.pop("error_messages", {})}
        super().__init__(error_messages=error_messages, **kwargs)
