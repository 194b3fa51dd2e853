"""maps.services: sampling plan, dedupe, stops, distances, moments; against the sandbox."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from flinkey import Location
from flinkey_sandbox import DEMO
from maps import services

T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def at(minutes, lat=48.0, lon=11.0, odometer=None):
    moment = T0 + timedelta(minutes=minutes)
    return Location(lat, lon, moment, odometer, moment)


def test_the_sampling_plan_fits_the_cap_and_lies_on_a_grid():
    cases = ((timedelta(hours=24), 300), (timedelta(days=7), 300), (timedelta(days=31), 300),
             (timedelta(hours=24), 50))
    for span, cap in cases:
        start = T0 + timedelta(seconds=17)
        plan = services.sample_plan(start=start, end=start + span, max_calls=cap)
        assert len(plan) <= cap
        assert plan[0] <= start and plan[-1] >= start + span
        step = plan[1] - plan[0]
        assert all(b - a == step for a, b in zip(plan, plan[1:], strict=False))
        assert all(int(m.timestamp()) % int(step.total_seconds()) == 0 for m in plan)
    day = services.sample_plan(start=T0, end=T0 + timedelta(hours=24), max_calls=300)
    assert day[1] - day[0] == timedelta(minutes=5)  # never denser than the IQ samples
    week = services.sample_plan(start=T0, end=T0 + timedelta(days=7), max_calls=300)
    assert week[1] - week[0] == timedelta(minutes=40) and len(week) == 253
    # A reload minutes later asks the same moments (cache hits), but the newest.
    later = services.sample_plan(start=T0 + timedelta(minutes=3),
                                 end=T0 + timedelta(days=7, minutes=3), max_calls=300)
    assert len(set(later) - set(week)) == 1
    assert services.sample_plan(start=T0, end=T0) == []


def test_dedupe_keeps_one_of_each_sample_in_time_order():
    a, b = at(0), at(12)
    nowhere = Location(None, None, None, None, None)
    assert services.dedupe([b, a, b, a, nowhere, b]) == [a, b]


def test_stops_need_fifteen_minutes_at_one_place():
    points = [at(0), at(5, 48.01), at(10, 48.02), at(25, 48.0201), at(40, 48.0202),
              at(50, 48.05), at(60, 48.0501)]
    stops = services.find_stops(points)
    assert len(stops) == 1
    assert stops[0].start == T0 + timedelta(minutes=10)
    assert stops[0].end == T0 + timedelta(minutes=40)
    assert stops[0].duration == timedelta(minutes=30)


def test_distances():
    points = [at(0, odometer=1000.0), at(10, 48.009), at(20, 48.018, odometer=1002.5)]
    assert services.odometer_distance(points) == 2.5
    assert services.odometer_distance(points[:1]) is None
    assert services.meters_between(points[0], points[1]) == pytest.approx(1000.8, abs=1)


def test_moments_in_the_users_zone_and_in_utc():
    timezone.activate("Europe/Berlin")
    try:
        assert services.parse_moment("2025-03-04T16:00") == datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
        assert services.parse_moment("2025-07-04T16:00") == datetime(2025, 7, 4, 14, 0, tzinfo=UTC)
        assert services.parse_moment("2025-03-04T15:00:00Z") == datetime(2025, 3, 4, 15, 0,
                                                                         tzinfo=UTC)
        assert services.parse_moment("yesterday") is None and services.parse_moment("") is None
        with translation.override("en"):  # whatever an earlier test left active
            assert services.local_input(datetime(2025, 3, 4, 15, 0, tzinfo=UTC)) \
                == "2025-03-04 16:00"
        with translation.override("de"):  # typed the German way, written the German way
            assert services.parse_moment("04.03.2025 16:00") == datetime(2025, 3, 4, 15, 0,
                                                                         tzinfo=UTC)
            assert services.parse_moment("2025-03-04T16:00") == datetime(2025, 3, 4, 15, 0,
                                                                         tzinfo=UTC)
            assert services.local_input(datetime(2025, 3, 4, 15, 0, tzinfo=UTC)) \
                == "04.03.2025 16:00"
            assert services.parse_moment("31.02.2025 16:00") is None
        assert services.utc_param(datetime(2025, 3, 4, 16, 0, 9, 500,
                                           tzinfo=timezone.get_current_timezone())) \
            == "2025-03-04T15:00:09Z"
    finally:
        timezone.deactivate()


def test_the_nearest_sample_and_its_distance_in_time(manager, flinkey_api):
    # A parked car reports every few hours: 7 minutes before its latest sample, that
    # sample is the nearest one, 7 minutes after the moment asked for.
    latest = services.car_position(user=manager, car_id=DEMO.stationary_car_id)
    asked = latest.location.recorded_at - timedelta(minutes=7)
    position = services.car_position(user=manager, car_id=DEMO.stationary_car_id, at=asked)
    assert position.state == services.LOCATED
    assert position.location.recorded_at == latest.location.recorded_at
    assert position.offset == timedelta(minutes=7)


@pytest.mark.django_db
def test_period_presets_and_custom_ranges():
    now = T0
    assert services.period_of(preset="24h", now=now) == (now - timedelta(days=1), now)
    assert services.period_of(preset="7d", now=now) == (now - timedelta(days=7), now)
    start = now - timedelta(days=40)
    assert services.period_of(start=start, end=now, now=now) == (now - timedelta(days=31), now)
    assert services.period_of(start=now, end=now - timedelta(hours=1), now=now) is None
    assert services.period_of(now=now) is None


def test_the_map_options_come_from_folium_and_the_settings(settings):
    settings.FLEETADMIN_TILE_URL = "https://tiles.example.com/{z}/{x}/{y}.png"
    settings.FLEETADMIN_TILE_ATTRIBUTION = "© Example"
    config = services.map_config(center=(48.1, 11.5), zoom=9)
    assert config["tiles"]["url"] == "https://tiles.example.com/{z}/{x}/{y}.png"
    assert config["tiles"]["options"]["attribution"] == "© Example"
    assert config["tiles"]["options"]["maxZoom"] == 19
    assert config["map"]["zoom"] == 9 and config["center"] == [48.1, 11.5]


def test_csp_img_src_allows_exactly_the_tile_host():
    from django.conf import settings

    from config.settings import _tile_origin

    assert "https://tile.openstreetmap.org" in settings.SECURE_CSP["img-src"]
    assert _tile_origin("https://tiles.example.com:8443/osm/{z}/{x}/{y}.png") == \
        "https://tiles.example.com:8443"
    assert _tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == \
        "https://*.tile.example.org"
    assert _tile_origin("/tiles/{z}/{x}/{y}.png") == ""  # our own host: 'self' covers it
