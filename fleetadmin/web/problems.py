"""What a person is told when something between fleetadmin and flinkey fails.

One table for every screen: the HTTP status our answer gets, a headline in plain words,
what to do next, the API's own sentence as a detail (never the headline: "Unable to find a
car for the given carId which is assigned to the given customerId" is not a sentence for a
fleet manager), and how the audit log records a write that ended this way.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fleetadmin.upstream.call_budget import CallBudgetSpent
from fleetadmin.upstream.clients import SetupNeeded
from flinkey import (
    AuthenticationError,
    BadRequestError,
    FlinkeyError,
    InvalidCredentialsFormat,
    NotFoundError,
    ProtocolError,
    ServerError,
    UnavailableError,
    UnsupportedMediaTypeError,
    UpstreamTimeout,
    credential_problem,
)

# Set-up problems (no credentials, no customer, refused credentials) all answer 409: the
# request is fine, the account's state is not; the page says what to set up where.
SETUP_STATUS = 409


@dataclass(frozen=True)
class Problem:
    """A failure as a person sees it."""

    status: int  # the HTTP status of our answer (htmx swaps 4xx/5xx in place)
    headline: str  # what happened, in plain words
    advice: str  # what to do next
    detail: str = ""  # the API's own sentence (or, with no answer, the client's), or ""
    setup_needed: bool = False  # fixed on the Settings page
    missing: bool = False  # the thing asked for does not exist (for this customer)
    outcome_unknown: bool = False  # a write that may or may not have been carried out
    # flinkey gave no answer (unreachable, too slow, no trusted certificate): the detail is
    # fleetadmin's own description, and must not be shown as flinkey's words.
    detail_is_ours: bool = False

    @property
    def detail_label(self) -> str:
        """What the detail is introduced with: whose words they are."""
        return _("Details:") if self.detail_is_ours else _("flinkey said:")

    @property
    def message(self) -> str:
        """Return headline and advice as one sentence pair (for form errors and notes)."""
        return f"{self.headline} {self.advice}".strip()


def is_manager_missing(error: Exception) -> bool:
    """True for flinkey's 404 meaning the API manager cannot reach the customer (set-up fault)."""
    return isinstance(error, NotFoundError) and error.kind == "manager"


def is_missing(error: Exception) -> bool:
    """True for a 404 about the thing asked for (not the manager's 404, a set-up fault)."""
    return isinstance(error, NotFoundError) and not is_manager_missing(error)


def problem_of(error: Exception, *, not_found: str | None = None) -> Problem:
    """Return what a person is told about `error` (a FlinkeyError or SetupNeeded).

    `not_found` is the headline for a 404 about the thing asked for, in the screen's words
    ("This car does not exist or belongs to another customer.").
    """
    if isinstance(error, SetupNeeded):
        return Problem(SETUP_STATUS, str(error.headline), str(error.advice), setup_needed=True)
    if isinstance(error, CallBudgetSpent):
        # Ours, not flinkey's: nothing was sent (no "flinkey said"), a write included.
        if error.scope == "user":
            headline = _("You have made too many requests to flinkey in the last minute.")
        else:
            headline = _("Your team has made too many requests to flinkey for this customer "
                         "in the last minute.")
        advice = ngettext(
            "Nothing was sent or changed. Try again in %(seconds)d second. The limit keeps "
            "flinkey working for everyone who shares this flinkey account.",
            "Nothing was sent or changed. Try again in %(seconds)d seconds. The limit keeps "
            "flinkey working for everyone who shares this flinkey account.",
            error.retry_after) % {"seconds": error.retry_after}
        return Problem(429, headline, advice)
    detail = error.message.strip() if isinstance(error, FlinkeyError) else ""
    if isinstance(error, UnavailableError):
        if error.write_outcome_unknown:
            # Sent, but no answer: "try again" could create a car twice.
            return Problem(
                504 if isinstance(error, UpstreamTimeout) else 503,
                _("flinkey did not confirm the change, so fleetadmin cannot tell whether it "
                  "was saved."),
                _("Check the current state before you try again."),
                detail, outcome_unknown=True, detail_is_ours=True,
            )
        if isinstance(error, UpstreamTimeout):
            return Problem(504, _("flinkey did not answer in time."),
                           _("Try again in a moment."), detail, detail_is_ours=True)
        return Problem(503, _("flinkey cannot be reached right now."),
                       _("Try again in a moment."), detail, detail_is_ours=True)
    if isinstance(error, InvalidCredentialsFormat):
        # Stored before the settings form checked for it (a pasted invisible character).
        return Problem(SETUP_STATUS, _("Your stored flinkey credentials contain a character "
                                       "that cannot be sent to flinkey."),
                       _("Enter them again on the Settings page."), setup_needed=True)
    if isinstance(error, AuthenticationError):
        if error.kind == "api_key":
            return Problem(SETUP_STATUS, _("flinkey refused your API key."),
                           _("Check the API key on the Settings page."), detail,
                           setup_needed=True)
        if error.kind == "credentials":
            return Problem(SETUP_STATUS, _("flinkey refused your API manager's username or "
                                           "password."),
                           _("Check them on the Settings page."), detail, setup_needed=True)
        return Problem(502, _("flinkey did not accept fleetadmin's sign-in."),
                       _("Try again; if this persists, test the connection on the Settings "
                         "page."), detail)
    if is_manager_missing(error):
        return Problem(SETUP_STATUS, _("Your API manager cannot reach this customer."),
                       _("Choose a customer on the Settings page."), detail, setup_needed=True)
    if isinstance(error, NotFoundError):
        return Problem(404, not_found or _("flinkey does not know this for your customer."),
                       _("It may have been deleted by someone else. Go back to the list to "
                         "see the current state."), detail, missing=True)
    if isinstance(error, BadRequestError):
        return Problem(422, _("flinkey refused the input."),
                       _("Correct it and try again."), detail)
    if isinstance(error, UnsupportedMediaTypeError | ProtocolError):
        return Problem(502, _("fleetadmin and flinkey did not understand each other."),
                       _("This is a fault in fleetadmin; please tell your administrator."),
                       detail)
    if isinstance(error, ServerError):
        return Problem(502, _("flinkey had an internal error."), _("Try again in a moment."),
                       detail)
    if isinstance(error, FlinkeyError) and error.status == 429:
        return Problem(503, _("flinkey asks fleetadmin to slow down."),
                       _("Try again in a minute."), detail)
    return Problem(502, _("flinkey refused the request."),
                   _("Try again; if this persists, tell your administrator."), detail)


# What a screen's call to flinkey can fail with: set-up missing here, or flinkey's refusal or
# silence. Every screen catches exactly these and shows their Problem.
UPSTREAM_ERRORS = (SetupNeeded, FlinkeyError)


def car_problem(error: Exception) -> Problem:
    """Return the Problem of a failed call about a car, its 404 said in the car screens' words."""
    return problem_of(error, not_found=_("This car does not exist or belongs to another "
                                         "customer."))


def refuse_in_form(form, problem: Problem, field: str | None = None) -> int:
    """Put flinkey's refusal next to `field` (or on top of the form); return our status.

    Next to a field the API's own sentence is the useful part, so it goes along; on top the
    plain sentence pair is enough (the page shows the detail with the problem).
    """
    if field:
        form.add_error(field, _("%(message)s %(label)s “%(detail)s”") % {
            "message": problem.message, "label": problem.detail_label,
            "detail": problem.detail})
    else:
        form.add_error(None, problem.message)
    return problem.status


def refuse_unsendable_credentials(form, cleaned: dict) -> None:
    """Put "cannot be sent to flinkey" next to each credential field (api_key, username,
    password) whose value flinkey's client would refuse to put in a header (often an
    invisible character pasted along): the Settings page and the Fleet sync page's form."""
    for name in ("api_key", "username", "password"):
        value = cleaned.get(name) or ""
        # Surrounding blanks: stripped from key and username by the fields; a password may
        # really contain them, and the client sends it unchanged.
        if value and credential_problem(name, value.strip() or value):
            form.add_error(name, _(
                "This contains a character that cannot be sent to flinkey, often an "
                "invisible one pasted along with it. Type or paste it again."))
