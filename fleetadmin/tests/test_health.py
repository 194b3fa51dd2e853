"""/healthz and /readyz: cheap, anonymous, outside the HTTPS redirect, never calling flinkey."""

import socket

import pytest


@pytest.fixture
def production_like(settings):
    # What the load balancer meets in production: HTTPS redirect on, strict hosts.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["fleetadmin.example.com"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_answers_without_database_login_or_https(client, production_like):
    # No django_db mark: any database access would fail the test.
    response = client.get("/healthz", headers={"host": "10.0.0.7:8000"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_readyz_checks_database_and_cache(client, production_like, sandbox, settings):
    settings.FLINKEY_API_URL = sandbox.url
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert sandbox.requests == []  # flinkey is not part of readiness


@pytest.mark.django_db
def test_readyz_names_the_cache_when_it_is_unreachable(client, settings):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5},
    }}
    response = client.get("/readyz")
    # Degraded, not failed: pages work without the cache (test_cache_outage.py), and every
    # instance shares it, so failing would take them all out of the load balancer.
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "degraded": ["cache"]}


def test_readyz_names_the_database_when_it_is_unreachable(client, monkeypatch):
    from fleetadmin.ops import health

    class Broken:
        def cursor(self):
            raise RuntimeError("connection refused")

    monkeypatch.setattr(health, "connection", Broken())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
