"""A car's URL by name and id, without a URL resolver walk per car.

Lists and maps write one link per car, hundreds or thousands of times a page: a car's URLs
differ only in its id, so each name is reversed once (per script prefix and URLconf) and
the id put in between.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

# Stands in for the car id in the one reversed URL per name; digits, so <int:...> accepts it.
_PLACEHOLDER = "918273645"


@lru_cache(maxsize=64)
def url_parts(name: str, prefix: str, urlconf: object) -> tuple[str, str]:
    """(head, tail) around the id in the URL `name` reverses to, for one prefix and URLconf."""
    url = reverse(name, args=[int(_PLACEHOLDER)], urlconf=urlconf)
    head, found, tail = url.partition(_PLACEHOLDER)
    if not found or _PLACEHOLDER in tail:
        raise ValueError(f"cannot template the URL of {name!r}")
    return head, tail


def car_url(car_id, name: str) -> str:
    """The same as `reverse(name, args=[car_id])`."""
    head, tail = url_parts(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(car_id)}{tail}"
