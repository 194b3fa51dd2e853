"""The one HTTP request of ours outside the flinkey client: an OpenID provider's discovery document.

The banned-api rule (pyproject.toml) keeps HTTP inside flinkey/; this module is exempt
because discovery is a single anonymous GET to the identity provider, not a flinkey call.
mozilla-django-oidc makes its own token, key and user-info requests (with requests); this
module also tells which of their errors mean the provider is down.
"""

import json
import urllib.request

import requests

# Answers that say the provider is down, not that the request was wrong (a 400
# invalid_grant is about the code sent: anyone can cause one).
_DOWN_STATUSES = frozenset({502, 503, 504})

# A discovery document is a few kilobytes; never read an endless answer.
MAX_BYTES = 1_000_000


def fetch_json(url: str, *, timeout: float):
    """Return the JSON document at the http(s) `url`; raise OSError or ValueError."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - scheme checked
        return json.loads(answer.read(MAX_BYTES))


def provider_is_down(error: Exception) -> bool:
    """True when a request of mozilla-django-oidc's failed because the provider did not answer.

    A timeout, a refused or broken connection, or a gateway's 502/503/504; not a refusal
    of what was sent.
    """
    if isinstance(error, requests.Timeout | requests.ConnectionError):
        return True
    if isinstance(error, requests.HTTPError):
        return getattr(error.response, "status_code", None) in _DOWN_STATUSES
    return False
