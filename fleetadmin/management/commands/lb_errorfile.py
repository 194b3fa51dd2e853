"""`manage.py lb_errorfile PATH`: our page for the load balancer's own 503, as an HAProxy errorfile.

HAProxy answers 503 itself when no instance took a request in time (`timeout queue`) or none
is up; its default page says nothing a fleet manager can act on. An errorfile is a whole HTTP
response, sent as is: the page has to stand alone (no instance serves its CSS) and says it
in every language we have, since HAProxy cannot ask which one the user chose.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

TEMPLATE = "fleetadmin/lb_unavailable.html"
# HAProxy keeps an errorfile in one buffer (tune.bufsize, 16 KB by default, less its reserve).
MAX_BYTES = 15_000


def errorfile(retry_after: int) -> bytes:
    """Return the whole 503 response: status line, headers, and the page in every language."""
    languages = [settings.LANGUAGE_CODE] + [
        code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    sections, titles = [], []
    for code in languages:
        with translation.override(code):
            sections.append((code, mark_safe(render_to_string(  # noqa: S308 - our template
                f"{TEMPLATE}#message", {"code": code}))))
            titles.append(render_to_string(f"{TEMPLATE}#title").strip())
    page = render_to_string(TEMPLATE, {"sections": sections, "title": " / ".join(titles)})
    body = (page.strip() + "\n").encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        # Not an answer to keep: the next attempt may well succeed.
        "Cache-Control: no-store\r\n"
        f"Retry-After: {retry_after}\r\n"
        # The page loads nothing at all.
        "Content-Security-Policy: default-src 'none'\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "\r\n"
    ).encode()
    return head + body


class Command(BaseCommand):
    help = "Write the load balancer's 503 page (an HAProxy errorfile) to PATH."
    # Only a template is rendered: written before the instances (and their API) are set up.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--retry-after", type=int, default=10,
                            help="seconds the Retry-After header suggests (10)")

    def handle(self, *args, path: Path, retry_after: int, **options):
        response = errorfile(retry_after)
        if len(response) > MAX_BYTES:
            raise CommandError(f"the page is {len(response)} bytes; HAProxy takes {MAX_BYTES}")
        path.write_bytes(response)
