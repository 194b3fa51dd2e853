"""Webhooks: https only (http in the demo), no private addresses unless allowed, the signing
secret write-only and encrypted at rest, every change audited."""

from django.db import connection

from alerts.addresses import is_public
from alerts.models import Webhook
from audit.models import AuditEntry

SECRET = "a-secret-that-nobody-reads-again"


def form(url, **extra):
    return {"name": "ops", "url": url, "enabled": "on", "secret": SECRET, **extra}


def test_a_webhook_is_saved_with_its_secret_encrypted_and_never_shown(manager_client, store,
                                                                      settings):
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = ["localhost"]
    settings.ALERTS_WEBHOOK_ALLOW_HTTP = False

    response = manager_client.post("/alerts/webhooks/new/", form("https://localhost/hook"))

    assert response.status_code == 302
    hook = Webhook.objects.get()
    assert (hook.fleet, hook.url, hook.secret) == (store, "https://localhost/hook", SECRET)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM alerts_webhook")
        (raw,) = cursor.fetchone()
    assert SECRET not in raw
    page = manager_client.get(f"/alerts/webhooks/{hook.pk}/").content.decode()
    assert SECRET not in page
    entry = AuditEntry.objects.get(action="webhook.create")
    assert SECRET not in str(entry.changes) and entry.changes["changed"] == "signing_secret"

    # Saved again without a secret: the secret stays.
    manager_client.post(f"/alerts/webhooks/{hook.pk}/", form("https://localhost/other",
                                                             secret=""))
    hook.refresh_from_db()
    assert (hook.url, hook.secret) == ("https://localhost/other", SECRET)
    changed = AuditEntry.objects.get(action="webhook.update").changes
    assert changed["url"]["after"] == "https://localhost/other" and "changed" not in changed


def test_plain_http_is_refused_outside_the_demo(manager_client, store, settings):
    settings.ALERTS_WEBHOOK_ALLOW_HTTP = False
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = ["localhost"]
    response = manager_client.post("/alerts/webhooks/new/", form("http://localhost/hook"))
    assert response.status_code == 422
    assert "must start with https://" in response.content.decode()
    assert not Webhook.objects.exists()


def test_private_loopback_and_link_local_hosts_are_refused_unless_allowed(manager_client,
                                                                          store, settings):
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = []
    for url in ("https://127.0.0.1/x", "https://localhost/x", "https://10.1.2.3/x",
                "https://169.254.169.254/latest/meta-data", "https://[::1]/x",
                "https://192.168.0.10/x", "https://[::ffff:127.0.0.1]/x"):
        response = manager_client.post("/alerts/webhooks/new/", form(url))
        assert response.status_code == 422, url
        assert "private, loopback or link-local" in response.content.decode(), url
    assert not Webhook.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="webhook").exists()


def test_public_addresses_are_public():
    assert is_public("93.184.216.34") and is_public("2606:2800:220:1:248:1893:25c8:1946")
    assert not is_public("172.16.0.1") and not is_public("fe80::1%eth0")
    assert not is_public("100.64.0.1") and not is_public("0.0.0.0")  # noqa: S104 - not bound, checked


def test_support_sees_the_webhooks_but_not_their_secrets_nor_the_forms(
        manager_client, support_client, store, settings):
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = ["localhost"]
    manager_client.post("/alerts/webhooks/new/", form("https://localhost/hook"))
    hook = Webhook.objects.get()
    page = support_client.get("/alerts/webhooks/").content.decode()
    assert "https://localhost/hook" in page and SECRET not in page
    assert 'id="webhook-new"' not in page
    assert support_client.get(f"/alerts/webhooks/{hook.pk}/").status_code == 403
    assert support_client.post(f"/alerts/webhooks/{hook.pk}/delete/").status_code == 403
    assert Webhook.objects.filter(pk=hook.pk).exists()


def test_the_readmes_verification_snippet_accepts_our_signature_and_refuses_a_change():
    import re
    import time
    from pathlib import Path

    from alerts import signing

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = re.search(r"Verifying in Python:\n\n```python\n(.*?)```", readme, re.S).group(1)
    scope = {}
    exec(snippet, scope)  # noqa: S102 - our own README
    body, now = b'{"id":"x"}', int(time.time())
    headers = {"X-Fleetadmin-Timestamp": str(now),
               "X-Fleetadmin-Signature": signing.signature(SECRET, now, body)}
    assert scope["verify"](SECRET.encode(), headers, body)
    assert not scope["verify"](SECRET.encode(), headers, body + b" ")
    old = {**headers, "X-Fleetadmin-Timestamp": str(now - 3600)}
    assert not scope["verify"](SECRET.encode(), old, body)
