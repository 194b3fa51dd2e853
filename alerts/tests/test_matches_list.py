"""A rule's "Cars matching now": each car links to its page and says since when it matches
(named per kind); with no match, the page says what the rule looks for. In German too."""

from alerts.models import Rule
from alerts.tests.conftest import add_car

# Durations are written with no-break spaces ("20\xa0hours"): read as plain spaces.


def _rule(store, kind, **values):
    return Rule.objects.create(fleet=store, name="Try", kind=kind, time_zone="UTC", **values)


def test_each_match_links_to_its_car_and_says_since_when(manager_client, store):
    rule = _rule(store, "left_open", threshold=12)
    html = manager_client.get(f"/alerts/rules/{rule.pk}/").content.decode().replace("\xa0", " ")
    assert '<a href="/cars/9001/">Open Overnight</a>' in html
    assert '<th scope="col">Open since</th>' in html
    assert "(20 hours ago)" in html  # opened 20 h ago (fill_store)


def test_a_service_end_ahead_reads_ahead_and_a_silent_iq_that_never_reported_reads_never(
        manager_client, store):
    add_car(store, 9101, "Service Soon", service_ends_in_days=5)
    add_car(store, 9102, "Never Heard", has_iq=True)
    service = _rule(store, "service", threshold=30)
    html = manager_client.get(f"/alerts/rules/{service.pk}/").content.decode().replace("\xa0", " ")
    assert '<th scope="col">Service ends</th>' in html and "(in 4 days)" in html
    silent = _rule(store, "silent", threshold=24)
    html = manager_client.get(f"/alerts/rules/{silent.pk}/").content.decode().replace("\xa0", " ")
    assert '<a href="/cars/9102/">Never Heard</a>' in html
    assert "never reported a position" in html and "2000" not in html


def test_with_no_match_the_page_says_what_the_rule_looks_for(manager_client, store):
    expected = {
        _rule(store, "left_open", threshold=48, only_outside_hours=True):
            "No car matches now. It looks for cars open for longer than 48 hours. It only "
            "alerts outside the working hours.",
        _rule(store, "service", threshold=1):
            "It looks for devices whose service ends within 1 day, or has ended.",
        _rule(store, "silent", threshold=6):
            "It looks for cars with an IQ that have reported no position for 6 hours, or "
            "never.",
        _rule(store, "not_at_depot", check_time="18:30", depots=[
            {"name": "Yard", "latitude": 0, "longitude": 0, "radius": 5}]):
            "It looks for cars whose stored position is outside the depot; alerts are raised "
            "at 18:30.",
    }
    for rule, sentence in expected.items():
        html = manager_client.get(f"/alerts/rules/{rule.pk}/").content.decode().replace("\xa0", " ")
        assert 'id="no-matches"' in html and sentence in html, rule.kind


def test_the_list_and_its_empty_state_speak_german(manager, manager_client, store):
    from fleetadmin.models import UserPreferences

    UserPreferences.objects.update_or_create(user=manager, defaults={"language": "de"})
    found = _rule(store, "left_open", threshold=12)
    html = manager_client.get(f"/alerts/rules/{found.pk}/").content.decode().replace("\xa0", " ")
    assert "Geöffnet seit" in html and "(vor 20 Stunden)" in html
    none = _rule(store, "left_open", threshold=100)
    html = manager_client.get(f"/alerts/rules/{none.pk}/").content.decode().replace("\xa0", " ")
    assert ("Die Regel trifft jetzt auf kein Fahrzeug zu. Die Regel sucht Fahrzeuge, die "
            "länger als 100 Stunden geöffnet sind.") in html
