"""The one HTTP request of ours outside the flinkey client: an OpenID provider's discovery document.

The banned-api rule (pyproject.toml) keeps HTTP inside flinkey/; this module is exempt
because discovery is a single anonymous GET to the identity provider, not a flinkey call.
mozilla-django-oidc makes its own token, key and user-info requests (with requests).
"""

import json
import urllib.request

# A discovery document is a few kilobytes; never read an endless answer.
MAX_BYTES = 1_000_000


def fetch_json(url: str, *, timeout: float):
    """Return the JSON document at the http(s) `url`; raise OSError or ValueError."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - scheme checked
        return json.loads(answer.read(MAX_BYTES))
