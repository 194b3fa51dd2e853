"""What a person is told when flinkey says no: the API's own sentence plus what to do."""

from django.utils.translation import gettext as _

from fleetadmin.flinkey import CredentialsMissing, CustomerNotChosen
from flinkey import (
    AuthenticationError,
    BadRequestError,
    FlinkeyError,
    NotFoundError,
    ServerError,
    UnavailableError,
    UnsupportedMediaTypeError,
    UpstreamTimeout,
)

_MANAGER_NOT_FOUND = "Unable to find a manager for the given OAuth ID claim data."


def is_manager_missing(error: Exception) -> bool:
    """True for flinkey's 404 meaning the API manager cannot reach the customer (set-up fault)."""
    return isinstance(error, NotFoundError) and error.message.strip() == _MANAGER_NOT_FOUND


def _advice(error: Exception) -> str:
    if isinstance(error, UnavailableError):
        # A write that timed out, or whose connection broke after it was sent, may have
        # been carried out: "try again" could create a car twice.
        if error.write_outcome_unknown:
            return _(
                "fleetadmin cannot tell whether the change was saved. "
                "Check the list before you try again."
            )
        if isinstance(error, UpstreamTimeout):
            return _("flinkey did not answer in time. Try again in a moment.")
        return _("flinkey cannot be reached right now. Try again in a moment.")
    if isinstance(error, AuthenticationError):
        if error.kind == "api_key":
            return _("Check the API key on the Settings page.")
        if error.kind == "credentials":
            return _("Check the username and password on the Settings page.")
        return _("Try again; if this persists, test the connection on the Settings page.")
    if is_manager_missing(error):
        return _("Your API manager cannot reach this customer. Choose one on the Settings page.")
    if isinstance(error, NotFoundError):
        return _("It may have been deleted by someone else. Reload to see the current state.")
    if isinstance(error, BadRequestError):
        return _("Correct the input and try again.")
    if isinstance(error, UnsupportedMediaTypeError):
        return _("This is a fault in fleetadmin; please report it to your administrator.")
    if isinstance(error, ServerError):
        return _("This is a fault at flinkey. Try again in a moment.")
    return _("Try again; if this persists, tell your administrator.")


def user_message(error: Exception) -> str:
    """Return the sentence shown to a user for a flinkey (or credentials) error."""
    if isinstance(error, CredentialsMissing | CustomerNotChosen):
        return str(error.message)
    if isinstance(error, FlinkeyError):
        reason = error.message.strip() or _("flinkey refused the request.")
        return _("%(reason)s %(advice)s") % {"reason": reason, "advice": _advice(error)}
    return _advice(error)
