"""What an error is about, told without its wording: `NotFoundError.kind`, `BadRequestError.field`.

Callers outside `flinkey/` decide on these attributes and never on the vendor's sentences.
The bodies below are the documented ones (the vendor's API notes and its cars and events
pages: 400 and 404 answer plain text); the sandbox's real answers are checked in
test_endpoints.py.
"""

from __future__ import annotations

import copy
import pickle

import pytest

from flinkey import BadRequestError, NotFoundError
from flinkey.errors import error_for_response

DOCUMENTED_404 = [
    ("Unable to find a manager for the given OAuth ID claim data.", "manager"),
    ("Unable to find a car for the given carId which is assigned to the given customerId.",
     "car"),
    ("Unable to find an event for the given eventId which is assigned to the given customerId.",
     "event"),
    ("No products are assigned to this car.", "no_products"),
    ("Couldn't create event. Unable to find a car for the given carId which is assigned to "
     "the given customerId.", "car"),
    ("Couldn't create event. Unable to find an user for the given userId which is assigned "
     "to the given customerId.", "user"),
    ("No car can be found for this carId that is assigned to this customerId.", "car"),
    ("Something else entirely.", "other"),
]

DOCUMENTED_400 = [
    ("Could not update car. The car name must not be null, empty or white space.", "name"),
    ("Could not create car. No car name given.", "name"),
    ("Couldn't create event. No valid type provided.", "type"),
    ("Couldn't create event. No valid dateTime provided.", "date_time"),
    ("Couldn't create event. No valid utcDateTime provided.", "utc_date_time"),
    ("Couldn't create event. No valid userAgent provided.", "user_agent"),
    ("Could not create car. The field licensePlate must be a string or null.", "license_plate"),
    ("Invalid date format.", None),
]


@pytest.mark.parametrize(("sentence", "kind"), DOCUMENTED_404)
def test_a_404_tells_what_was_not_found(sentence, kind):
    error = error_for_response(404, sentence.encode(), "text/plain; charset=utf-8")
    assert isinstance(error, NotFoundError)
    assert (error.message, error.kind) == (sentence, kind)


@pytest.mark.parametrize(("sentence", "field"), DOCUMENTED_400)
def test_a_400_names_the_refused_field(sentence, field):
    error = error_for_response(400, sentence.encode(), "text/plain")
    assert isinstance(error, BadRequestError)
    assert (error.message, error.field) == (sentence, field)


def test_a_404_without_a_readable_sentence_is_of_no_known_kind():
    error = error_for_response(404, b"<html>Not Found</html>", "text/html")
    assert isinstance(error, NotFoundError)
    assert error.kind == "other"


def test_the_meaning_survives_copy_and_pickle():
    # The client re-raises copies of a remembered token failure; caches pickle values.
    missing = NotFoundError("No products are assigned to this car.", 404)
    refused = BadRequestError("Couldn't create event. No valid type provided.", 400)
    for error in (copy.copy(missing), pickle.loads(pickle.dumps(missing))):  # noqa: S301
        assert error.kind == "no_products"
    for error in (copy.copy(refused), pickle.loads(pickle.dumps(refused))):  # noqa: S301
        assert error.field == "type"


def test_a_given_kind_or_field_wins_and_a_wrong_kind_is_refused():
    assert NotFoundError("whatever", kind="car").kind == "car"
    assert BadRequestError("whatever", field="vin").field == "vin"
    with pytest.raises(ValueError, match="kind"):
        NotFoundError("whatever", kind="garage")
