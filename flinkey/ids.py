"""flinkey's ids: 32-bit signed integers, and only the positive ones name anything.

The API's ids (cars, events, users, customers) are .NET `int`: a number beyond 2**31 - 1
can name nothing there, and the gateway refuses a Customer-ID outside int32 outright.
"""

ID_MIN = 1
ID_MAX = 2**31 - 1


def is_id(value: object) -> bool:
    """True for an int (not a bool) that can be a flinkey id."""
    return isinstance(value, int) and not isinstance(value, bool) and ID_MIN <= value <= ID_MAX
