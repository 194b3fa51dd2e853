"""One URL decides the upstream: any server that follows the seed pages, or the embedded one."""

import subprocess
import sys

import pytest
from django.core.cache import cache
from django.urls import reverse

from config.testing import free_port, make_user, wait_for_port
from fleetadmin.upstream import embedded_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def separate_api_server():
    """A flinkey-compatible server in another process, known to the dashboard only by URL."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "flinkey_sandbox", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/v3"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_dashboard_works_against_any_server_at_flinkey_api_url(
    client, settings, separate_api_server
):
    settings.FLINKEY_API_URL = separate_api_server
    cache.clear()
    client.force_login(make_user("remote"))

    connection = client.post(reverse("test-connection"))
    assert connection.status_code == 200
    cars = client.get(reverse("cars:list"))
    assert cars.status_code == 200
    assert cars.context["listing"].page.items


def test_without_flinkey_api_url_nothing_is_served_but_advice(client, settings):
    settings.FLINKEY_API_URL = ""
    client.force_login(make_user("unconfigured"))
    response = client.get(reverse("cars:list"))
    assert response.status_code == 409
    assert "FLINKEY_API_URL" in response.content.decode()
    assert response.context["listing"].page is None


def test_flinkey_api_url_sandbox_serves_the_embedded_sandbox(client, settings, monkeypatch):
    port = free_port()
    settings.FLINKEY_API_URL = "sandbox"
    settings.FLINKEY_SANDBOX_PORT = port
    monkeypatch.setattr(embedded_sandbox, "_url", None)
    monkeypatch.setattr(embedded_sandbox, "_server", None)
    cache.clear()
    client.force_login(make_user("demo-like"))
    try:
        response = client.get(reverse("cars:list"))
        assert response.status_code == 200
        assert response.context["listing"].page.items
        assert embedded_sandbox.url() == f"http://127.0.0.1:{port}/v3"
    finally:
        if embedded_sandbox._server is not None:
            embedded_sandbox._server.stop()
