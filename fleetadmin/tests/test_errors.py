"""One table from a failure to what a person is told: status, plain words, advice, detail."""

import pytest

from fleetadmin.upstream.clients import ApiNotConfigured, CredentialsMissing, CustomerNotChosen
from fleetadmin.web.problems import SETUP_STATUS, is_missing, problem_of
from flinkey import (
    AuthenticationError,
    BadRequestError,
    FlinkeyError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    UnavailableError,
    UnsupportedMediaTypeError,
    UpstreamTimeout,
)

CAR_404 = "Unable to find a car for the given carId which is assigned to the given customerId"
MANAGER_404 = "Unable to find a manager for the given OAuth ID claim data."


@pytest.mark.parametrize("error", [CredentialsMissing(), CustomerNotChosen(), ApiNotConfigured()])
def test_every_setup_problem_answers_alike_and_points_to_settings(error):
    problem = problem_of(error)
    assert problem.status == SETUP_STATUS
    assert problem.setup_needed and problem.headline and problem.advice
    assert not problem.detail


def test_the_apis_sentence_is_a_detail_never_the_headline():
    problem = problem_of(NotFoundError(CAR_404, 404), not_found="This car does not exist.")
    assert problem.status == 404 and problem.missing
    assert problem.headline == "This car does not exist."
    assert problem.detail == CAR_404
    assert CAR_404 not in problem.message


@pytest.mark.parametrize(("error", "label"), [
    (NotFoundError(CAR_404, 404), "flinkey said:"),
    (ServerError("Internal server error.", 500), "flinkey said:"),
    # No answer at all: the client describes what happened, flinkey said nothing.
    (UpstreamTimeout("The flinkey API did not answer within 0.3 s."), "Details:"),
    (UnavailableError("The flinkey API could not be reached."), "Details:"),
    (UnavailableError("No answer.", write_outcome_unknown=True), "Details:"),
])
def test_the_detail_is_introduced_as_whose_words_they_are(error, label):
    problem = problem_of(error)
    assert problem.detail == error.message and problem.detail_label == label


def test_the_managers_404_is_a_setup_problem_not_a_missing_thing():
    error = NotFoundError(MANAGER_404, 404)
    problem = problem_of(error)
    assert problem.setup_needed and not problem.missing and problem.status == SETUP_STATUS
    assert not is_missing(error)
    assert is_missing(NotFoundError(CAR_404, 404))


@pytest.mark.parametrize(("error", "status", "words"), [
    (BadRequestError("Invalid date format.", 400), 422, "refused the input"),
    (ServerError("Internal server error.", 500), 502, "internal error"),
    (UnsupportedMediaTypeError("Unsupported", 415), 502, "did not understand each other"),
    (ProtocolError("not JSON", 200), 502, "did not understand each other"),
    (UpstreamTimeout("no answer within 15 s"), 504, "did not answer in time"),
    (UnavailableError("connection refused"), 503, "cannot be reached"),
    (RateLimitedError("Too many requests", 429), 503, "slow down"),
    (AuthenticationError("Access token is missing or invalid.", kind="token"), 502, "sign-in"),
    (FlinkeyError("Something new", 418), 502, "refused the request"),
])
def test_each_failure_has_its_status_and_plain_words(error, status, words):
    problem = problem_of(error)
    assert problem.status == status
    assert words in problem.headline
    assert problem.detail == error.message
    assert not problem.outcome_unknown


@pytest.mark.parametrize("kind", ["api_key", "credentials"])
def test_refused_credentials_are_fixed_on_the_settings_page(kind):
    problem = problem_of(AuthenticationError("Access denied", kind=kind))
    assert problem.setup_needed and problem.status == SETUP_STATUS
    assert "Settings page" in problem.advice


@pytest.mark.parametrize("error", [
    UpstreamTimeout("no answer", write_outcome_unknown=True),
    UnavailableError("broke after sending", write_outcome_unknown=True),
])
def test_a_write_without_an_answer_says_to_check_never_to_retry(error):
    problem = problem_of(error)
    assert problem.outcome_unknown
    assert problem.advice == "Check the current state before you try again."
    assert "Try again" not in problem.message


def test_a_refusal_goes_next_to_its_field_with_the_api_sentence_or_on_top():
    from django import forms

    from fleetadmin.web.problems import refuse_in_form

    class NameForm(forms.Form):
        name = forms.CharField()

    problem = problem_of(BadRequestError("Could not create car. No car name given.", 400))
    at_field = NameForm({"name": "x"})
    assert at_field.is_valid()
    assert refuse_in_form(at_field, problem, "name") == 422
    assert at_field.errors["name"] == [
        "flinkey refused the input. Correct it and try again. flinkey said: "
        "“Could not create car. No car name given.”"]
    on_top = NameForm({"name": "x"})
    assert on_top.is_valid()
    assert refuse_in_form(on_top, problem) == 422
    assert on_top.non_field_errors() == ["flinkey refused the input. Correct it and try again."]
