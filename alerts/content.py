"""What an alert says: the e-mail in the recipient's language and zone, the webhook's JSON."""

import json
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from alerts.models import Alert, Delivery, Rule


def car_link(car_id: int) -> str:
    """The car's page, as an absolute link (FLEETADMIN_BASE_URL)."""
    return settings.FLEETADMIN_BASE_URL.rstrip("/") + reverse("cars:detail", args=[car_id])


def alerts_link() -> str:
    return settings.FLEETADMIN_BASE_URL.rstrip("/") + reverse("alerts:index")


def _locale_of(user) -> tuple[str, str]:
    preferences = getattr(user, "preferences", None) if user is not None else None
    language = (getattr(preferences, "language", "") or settings.LANGUAGE_CODE)
    zone = getattr(preferences, "time_zone", "") or settings.FLEETADMIN_DEFAULT_TIME_ZONE
    return language, zone


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def email_text(delivery: Delivery, alerts: list[Alert]) -> tuple[str, str]:
    """(subject, body) of an alert's e-mail or a digest, in the recipient's language and zone."""
    language, zone = _locale_of(delivery.user)
    items = [{"alert": alert, "rule": alert.rule, "kind": Rule.Kind(alert.rule.kind).label,
              "link": car_link(alert.car_id),
              "opened_at": _moment(alert.detail.get("opened_at")),
              "service_ends_at": _moment(alert.detail.get("service_ends_at")),
              "last_position_at": _moment(alert.detail.get("last_position_at"))}
             for alert in alerts]
    context = {"items": items, "digest": delivery.channel == Delivery.Channel.DIGEST,
               "day": delivery.digest_day, "alerts_link": alerts_link(), "zone": zone}
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        subject = render_to_string("alerts/email_subject.txt", context)
        body = render_to_string("alerts/email_body.txt", context)
    return " ".join(subject.split()), body


def webhook_body(delivery: Delivery) -> bytes:
    """The JSON the webhook receives (README "Webhook format")."""
    alert = delivery.alert
    rule = alert.rule
    payload = {
        "id": str(delivery.key),
        "type": "alert",
        "alert": {
            "id": alert.pk,
            "raised_at": alert.raised_at.isoformat(),
            "since": alert.episode_start.isoformat(),
            "rule": {"id": rule.pk, "name": rule.name, "kind": rule.kind},
            "car": {"id": alert.car_id, "name": alert.car_name, "url": car_link(alert.car_id)},
            "detail": alert.detail,
        },
        "fleet": {"customer_id": delivery.fleet.customer_id},
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
