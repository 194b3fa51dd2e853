"""The shared htmx plumbing: page or region, Vary, messages in the one status region."""

import pytest
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import RequestFactory
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxMiddleware

from config.testing import hx
from fleetadmin.web.htmx import HtmxMessagesMiddleware, render_screen, screen, updates

pytestmark = pytest.mark.django_db


def run(view, *, headers=None):
    """Run `view` behind the session, messages, htmx and our messages middleware."""
    from django.contrib.messages.middleware import MessageMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware

    request = RequestFactory().get("/x/", headers=headers or {})
    chain = HtmxMiddleware(HtmxMessagesMiddleware(view))
    chain = SessionMiddleware(MessageMiddleware(chain))
    return chain(request)


HX = hx("dialog")


def test_an_htmx_answer_carries_its_messages_out_of_band():
    def view(request):
        messages.success(request, "Saved <b>it</b>.")
        return HttpResponse("<p>fragment</p>")

    html = run(view, headers=HX).content.decode()
    assert html.startswith("<p>fragment</p>")
    assert '<div id="status" class="status" role="status" aria-live="polite" ' \
           'hx-swap-oob="innerHTML">' in html
    assert '<p class="alert success">Saved &lt;b&gt;it&lt;/b&gt;.</p>' in html


@pytest.mark.parametrize("navigate", [
    lambda: redirect("/elsewhere/"),
    lambda: HttpResponseClientRedirect("/elsewhere/"),
])
def test_messages_wait_for_the_next_page_when_the_browser_navigates(navigate):
    def view(request):
        messages.info(request, "Deleted.")
        return navigate()

    response = run(view, headers=HX)
    assert b"Deleted." not in response.content
    # Still stored (messages' cookie storage) for the next page.
    assert response.cookies["messages"].value


def test_a_plain_page_is_left_to_base_html():
    def view(request):
        messages.info(request, "Hello.")
        return HttpResponse("<html>page</html>")

    assert b"Hello." not in run(view).content


def test_no_messages_no_status_region():
    html = run(lambda request: HttpResponse("<p>x</p>"), headers=HX).content.decode()
    assert html == "<p>x</p>"


def test_a_screen_varies_on_the_htmx_headers():
    response = run(screen(lambda request: HttpResponse("x")))
    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]


def test_render_screen_answers_the_region_htmx_asked_for(rf):
    from django_htmx.middleware import HtmxDetails

    request = rf.get("/", headers=hx("status"))
    request.htmx = HtmxDetails(request)
    region = render_screen(request, "includes/status.html", {"messages": []},
                           regions=["status"]).content.decode()
    assert region.startswith('<div id="status"')
    other = rf.get("/", headers=hx("elsewhere"))
    other.htmx = HtmxDetails(other)
    page = render_screen(other, "404.html", {}, regions=["status"], status=404)
    assert page.status_code == 404 and b"<html" in page.content


def test_updates_close_the_dialog_and_swap_nothing_into_the_target(rf):
    response = updates(rf.get("/"), "<div id='a' hx-swap-oob='true'></div>")
    html = response.content.decode()
    assert html.startswith('<dialog id="dialog" class="dialog" hx-swap-oob="true"></dialog>')
    assert response["HX-Reswap"] == "none"
