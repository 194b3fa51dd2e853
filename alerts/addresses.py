"""Where a webhook may point: https (http only in the demo), and never a host inside our own
network unless an administrator allowed that host in the environment (against server-side
request forgery). Checked when the webhook is saved and again before every call, when the
address the call then connects to is the one checked (no second look-up to rebind).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class Refused(Exception):
    """The URL may not be called; the text says why, for the form and the delivery log."""


def allows_http() -> bool:
    """Plain http only in the demo (DEBUG or the embedded sandbox), or when configured."""
    return bool(settings.ALERTS_WEBHOOK_ALLOW_HTTP)


def check(url: str) -> tuple[str, int, list[str]]:
    """Return (host, port, addresses to connect to) for `url`, or raise Refused."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and allows_http()):
        raise Refused(_("A webhook URL must start with https://."))
    host = parts.hostname
    if not host:
        raise Refused(_("A webhook URL must name a host."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused(_("The port of this webhook URL is not a number from 1 to 65535.")) from None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(_("The host %(host)s could not be found.") % {"host": host}) from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise Refused(_("The host %(host)s could not be found.") % {"host": host})
    if host.lower() not in {name.lower() for name in settings.ALERTS_WEBHOOK_PRIVATE_HOSTS}:
        for address in addresses:
            if not is_public(address):
                raise Refused(_(
                    "The host %(host)s is in a private, loopback or link-local network "
                    "(%(address)s). An administrator can allow it with "
                    "ALERTS_WEBHOOK_PRIVATE_HOSTS.") % {"host": host, "address": address})
    return host, port, addresses


def is_public(address: str) -> bool:
    """True for an address on the public internet (not private, loopback, link-local…)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
