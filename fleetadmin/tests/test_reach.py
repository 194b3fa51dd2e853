"""fleetadmin.upstream.reach against the sandbox: which fleet a user's own credentials reach now."""

import pytest

from config.testing import make_user
from fleetadmin.upstream.clients import CredentialsMissing, CustomerNotChosen, SetupNeeded
from fleetadmin.upstream.reach import CustomerOutOfReach, Fleet, forget_proof, proven_fleet
from flinkey import AuthenticationError, ServerError
from flinkey_sandbox import DEMO
from preferences import services

pytestmark = pytest.mark.django_db

WRONG = "not-the-" + DEMO.password


def customers_calls(sandbox) -> int:
    return sandbox.request_count(path_prefix="/customers")


def set_password(user, password):
    user.flinkey_credentials.password = password
    user.flinkey_credentials.save()


def test_the_fleet_of_the_users_own_credentials(manager, flinkey_api):
    fleet = proven_fleet(manager)
    assert fleet == Fleet(flinkey_api.url, DEMO.customer_id)
    assert flinkey_api.request_count(path_prefix="/oauth2/token") == 1
    assert customers_calls(flinkey_api) == 1
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_a_fleet_key_is_short_stable_and_tells_nothing():
    munich = Fleet("https://api.example/v3", DEMO.customer_id)
    assert munich.key == Fleet("https://api.example/v3", DEMO.customer_id).key
    assert len(munich.key) == 32 and munich.key.isalnum()
    assert "example" not in munich.key and str(DEMO.customer_id) not in munich.key
    assert munich.key != Fleet("https://api.example/v3", DEMO.other_customer_id).key
    assert munich.key != Fleet("https://other.example/v3", DEMO.customer_id).key


def test_a_proof_is_remembered_briefly(manager, flinkey_api, settings):
    proven_fleet(manager)
    flinkey_api.clear_requests()
    proven_fleet(manager)
    proven_fleet(make_user("colleague"))  # the same account and customer
    assert flinkey_api.request_count() == 0
    settings.FLEETADMIN_REACH_RECHECK_SECONDS = 0  # not remembered at all
    forget_proof(manager)
    proven_fleet(manager)
    proven_fleet(manager)
    assert customers_calls(flinkey_api) == 2


def test_a_wrong_password_is_refused_even_right_after_the_right_one(manager, flinkey_api):
    proven_fleet(manager)
    intruder = make_user("intruder")
    set_password(intruder, WRONG)
    with pytest.raises(AuthenticationError) as refused:
        proven_fleet(intruder)
    assert refused.value.kind == "credentials"
    # Refused again next time: a refusal is never remembered as a proof.
    with pytest.raises(AuthenticationError):
        proven_fleet(intruder)


def test_a_customer_the_account_does_not_reach(manager, flinkey_api):
    creds = manager.flinkey_credentials
    creds.customer_id = DEMO.hidden_customer_id
    creds.save()
    with pytest.raises(CustomerOutOfReach) as out_of_reach:
        proven_fleet(manager)
    assert isinstance(out_of_reach.value, SetupNeeded)
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_not_set_up(db, flinkey_api):
    with pytest.raises(CredentialsMissing):
        proven_fleet(make_user("nobody", with_credentials=False))
    with pytest.raises(CustomerNotChosen):
        proven_fleet(make_user("undecided", customer=False))
    assert flinkey_api.request_count() == 0


def test_when_flinkey_cannot_be_asked_nothing_is_proven(manager, flinkey_api):
    flinkey_api.faults.fail_next("/customers", status=500, count=3)  # a GET is tried 3 times
    with pytest.raises(ServerError):
        proven_fleet(manager)
    assert proven_fleet(manager).customer_id == DEMO.customer_id  # asked again, not remembered


def test_changed_credentials_are_checked_at_once(manager, flinkey_api):
    colleague = make_user("colleague")
    proven_fleet(manager)
    proven_fleet(colleague)
    # The manager saves a new password (here a wrong one): checked at once, by itself, as
    # the proof's key holds the password ...
    services.save_credentials(user=manager, values={"password": WRONG})
    with pytest.raises(AuthenticationError):
        proven_fleet(manager)
    # ... and the old account's proof is forgotten (a rotation at flinkey is usually why
    # credentials are saved): the colleague, still on the old password, is checked again.
    flinkey_api.clear_requests()
    proven_fleet(colleague)
    assert customers_calls(flinkey_api) == 1


def test_forget_proof(manager, flinkey_api):
    proven_fleet(manager)
    forget_proof(manager)
    forget_proof(make_user("nobody", with_credentials=False))  # nothing to forget: no error
    flinkey_api.clear_requests()
    proven_fleet(manager)
    assert customers_calls(flinkey_api) == 1
