"""maps.route_shape and maps.route_store's plan: gaps, trips, the bracketing readings, and
where a stored route asks flinkey."""

from datetime import UTC, datetime, timedelta

from flinkey import Location
from maps import route_shape, route_store, services

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def at(minutes, lat=48.0, lon=11.0, odometer=None):
    moment = T0 + timedelta(minutes=minutes)
    return Location(lat, lon, moment, odometer, moment if odometer is not None else None)


def test_a_gap_splits_the_line_only_where_the_car_moved():
    moving = [at(0), at(10, 48.01), at(70, 48.2), at(80, 48.21)]
    parts = route_shape.split_at_gaps(moving, limit=timedelta(minutes=30))
    assert parts == [moving[:2], moving[2:]]
    assert route_shape.gaps_between(parts) == [route_shape.Gap(at(10).recorded_at,
                                                               at(70).recorded_at)]
    # Silent for an hour but in the same place: parked, one part.
    parked = [at(0), at(10, 48.01), at(70, 48.0101), at(80, 48.02)]
    assert len(route_shape.split_at_gaps(parked, limit=timedelta(minutes=30))) == 1
    # A coarse grid's step widens what counts as a gap.
    assert route_shape.gap_limit(timedelta(minutes=40)) == timedelta(minutes=80)
    assert route_shape.gap_limit(None) == route_shape.GAP_MIN


def test_trips_run_between_stops_and_count_the_odometer():
    points = [at(0, 48.00, odometer=100.0), at(10, 48.02, odometer=102.0),
              at(20, 48.04, odometer=104.0), at(40, 48.0401, odometer=104.0),
              at(50, 48.06, odometer=106.5), at(60, 48.08, odometer=109.0)]
    stops = route_shape.find_stops(points)
    assert [(s.start, s.end) for s in stops] == [(at(20).recorded_at, at(40).recorded_at)]
    trips = route_shape.find_trips(points, stops)
    assert [(t.start, t.end, t.km) for t in trips] == [
        (at(0).recorded_at, at(20).recorded_at, 4.0),
        (at(40).recorded_at, at(60).recorded_at, 5.0)]


def test_the_km_are_between_the_readings_that_bracket_the_period():
    readings = [at(-7, odometer=90.0), at(5, odometer=95.0), at(55, odometer=120.0),
                at(63, odometer=121.0)]
    first, last = route_shape.bracketing_readings(readings, start=T0,
                                                  end=T0 + timedelta(minutes=60))
    assert (first.odometer, last.odometer) == (90.0, 121.0)
    # Nothing before the start or after the end: the first and last readings inside.
    first, last = route_shape.bracketing_readings(readings[1:3], start=T0,
                                                  end=T0 + timedelta(minutes=60))
    assert (first.odometer, last.odometer) == (95.0, 120.0)
    assert route_shape.bracketing_readings(readings[:1], start=T0, end=T0) is None


def stored(samples, known_until=None):
    return route_store.StoredRoute(tuple(samples), True, timedelta(minutes=15), known_until)


def test_a_stored_route_asks_only_where_the_car_moved_and_where_the_store_has_nothing():
    samples = [at(-5, odometer=10.0), at(10, odometer=10.0), at(25, 48.1, odometer=14.0),
               at(40, 48.1, odometer=14.0), at(55, 48.1, odometer=14.0)]
    end = T0 + timedelta(minutes=60)
    moments = route_store.live_moments(stored(samples, known_until=end), start=T0, end=end,
                                       max_calls=300, plan=services.sample_plan)
    # Between 10 and 25 the odometer moved: a 5-minute grid there, nothing anywhere else.
    assert moments == [T0 + timedelta(minutes=15), T0 + timedelta(minutes=20)]
    # The store last asked 2 hours before the end: the rest of the period is asked live.
    later = end + timedelta(hours=2)
    moments = route_store.live_moments(stored(samples, known_until=end), start=T0, end=later,
                                       max_calls=300, plan=services.sample_plan)
    assert max(moments) >= later and min(m for m in moments if m > end) <= end + timedelta(
        minutes=5)
    # No sample at all: the live route's own plan.
    assert route_store.live_moments(stored([]), start=T0, end=end, max_calls=300,
                                    plan=services.sample_plan) == services.sample_plan(
        start=T0, end=end, max_calls=300)
