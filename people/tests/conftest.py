"""The events tests' car with no events, for the screens that show names."""

from events.tests.conftest import clean_car  # noqa: F401 - a fixture
