"""How every screen answers: the whole page, or the one region htmx asked for.

The conventions every screen follows (see docs/architecture.md):
- a region htmx refreshes is a `{% partialdef %}` in the page's template; its name is also
  its element id and the `hx-target` of the requests that refresh it;
- the same URL serves the page and its fragments, so it varies on the htmx headers;
- what an action did is said with Django's messages; they appear in the one status region
  of `base.html` (after a redirect) or are swapped into it out of band (htmx);
- forms and confirmations open in the one dialog (`includes/dialog.html`), driven by
  `static/js/app.js`.
"""

from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.vary import vary_on_headers

# The same URL answers a page or a fragment depending on these: caches (the browser's own,
# used by the back button) must keep them apart, or "back" shows a bare fragment.
FRAGMENT_HEADERS = ("HX-Request", "HX-Target")
DIALOG_TEMPLATE = "includes/dialog.html#dialog"
STATUS_TEMPLATE = "includes/status.html#status"
# Answers after which the browser goes elsewhere: the next page shows the messages.
_NAVIGATING_HEADERS = ("HX-Redirect", "HX-Location", "HX-Refresh")


def screen(view):
    """Decorate a view that answers a page or, for htmx, a fragment (adds the Vary header)."""
    return vary_on_headers(*FRAGMENT_HEADERS)(view)


def wants_fragment(request, region: str) -> bool:
    """Return True for an htmx request aimed at the element `region` (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request and htmx.target == region)


def render_screen(request, template: str, context: dict, *, regions: Iterable[str] = (),
                  status: int = 200) -> HttpResponse:
    """Render `template`, or just `template#region` when htmx aims at one of `regions`."""
    for region in regions:
        if wants_fragment(request, region):
            return render(request, f"{template}#{region}", context, status=status)
    return render(request, template, context, status=status)


def oob(request, region: str, context: dict | None = None) -> str:
    """Return `template#region` rendered to be swapped out of band (the partial honours `oob`)."""
    return render_to_string(region, {**(context or {}), "oob": True}, request=request)


def render_dialog(request, *, body: str, title: str, context: dict, status: int = 200,
                  alert: bool = False, described_by: str = "", extra: str = "") -> HttpResponse:
    """Answer with the dialog, opened, showing the partial `body` under `title`.

    `alert` makes it an alertdialog (confirmations); `extra` is out-of-band HTML to send along.
    """
    html = render_to_string(DIALOG_TEMPLATE, {
        **context, "dialog_body": body, "dialog_title": title, "dialog_alert": alert,
        "dialog_described_by": described_by,
    }, request=request)
    return HttpResponse(html + extra, status=status)


def render_form(request, template: str, *, region: str, title: str, context: dict,
                status: int = 200, **dialog) -> HttpResponse:
    """Answer a form or confirmation: in the dialog for htmx, else as the page `template`.

    The dialog shows the partial `template#region` under `title`; `dialog` goes on to
    `render_dialog` (`alert`, `described_by`, `extra`). The page gets `title` in its context.
    """
    if wants_fragment(request, "dialog"):
        return render_dialog(request, body=f"{template}#{region}", title=title,
                             context=context, status=status, **dialog)
    return render(request, template, {**context, "title": title}, status=status)


def closed_dialog(request) -> str:
    """Return the empty, closed dialog, swapped out of band: the action is done."""
    return oob(request, DIALOG_TEMPLATE)


def updates(request, *parts: str, close_dialog: bool = True, status: int = 200) -> HttpResponse:
    """Answer an htmx action with out-of-band updates only (and, by default, close the dialog)."""
    html = (closed_dialog(request) if close_dialog else "") + "".join(parts)
    response = HttpResponse(html, status=status)
    # Nothing to swap into the request's own target: everything travels out of band.
    response["HX-Reswap"] = "none"
    return response


class HtmxMessagesMiddleware:
    """Puts the messages of an htmx answer into the status region, out of band.

    A full page shows them in `base.html`; an answer that makes the browser navigate
    (a redirect, HX-Redirect) leaves them for the next page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.streaming:
            return response
        if 300 <= response.status_code < 400 or any(h in response for h in _NAVIGATING_HEADERS):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        storage = messages.get_messages(request)
        if not len(storage):
            return response
        response.content += render_to_string(
            STATUS_TEMPLATE, {"messages": storage, "oob": True}, request=request
        ).encode()
        return response
