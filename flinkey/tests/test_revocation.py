"""flinkey revoking tokens often: one shared renewal per revoked token, then the call again.

The sandbox's revocation fault revokes the token of every Nth request that carries a valid
one (that request is answered 401, and so is every request still using the token). With
many threads sharing one token, one revocation refuses all of them at once, and the token
they renew to may be revoked again before their repeated call arrives.
"""

from __future__ import annotations

from collections import Counter

import pytest

from flinkey import AuthenticationError, Query, fan_out
from flinkey.client import MAX_FRUITLESS_RENEWALS
from flinkey_sandbox import DEMO

from .test_threads import run_together

NEWEST = (("utc_date_time", "desc"), ("id", "desc"))


def token_requests(sandbox) -> int:
    return sandbox.request_count(method="POST", path_prefix="/oauth2/token")


def refusals(sandbox) -> int:
    return sum(1 for record in sandbox.requests if record.status == 401)


def test_a_fan_out_succeeds_while_every_third_call_revokes_the_token(make_client, sandbox):
    client = make_client()
    cars = [car.id for car in client.list_cars()]
    sandbox.clear_requests()
    sandbox.faults.revoke_token_every = 3
    outcomes = fan_out(
        lambda car_id: client.list_events(car_id, Query(orderby=NEWEST, top=1)),
        cars,
        concurrency=8,
    )
    failed = {outcome.item: repr(outcome.error) for outcome in outcomes if not outcome.ok}
    assert failed == {}
    revoked = sandbox.faults.tokens_revoked
    assert revoked >= len(cars) // 3
    # One renewal per revoked token, however many threads it refused (no stampede).
    assert token_requests(sandbox) == revoked
    assert refusals(sandbox) >= revoked  # (the threads refused together count once each)
    # Refused calls are repeated before new ones start, so none waits long for its turn:
    # with 8 in flight and two accepted per new token, four rounds at most (without that
    # order, a call was refused up to 19 times).
    refused_per_car = Counter(r.path for r in sandbox.requests if r.status == 401)
    assert max(refused_per_car.values()) <= 5, refused_per_car.most_common(3)


def test_threads_refused_together_share_one_renewal_each_time(make_client, sandbox):
    client = make_client()
    client.list_cars()
    sandbox.clear_requests()
    sandbox.faults.revoke_token_every = 3
    sandbox.faults.latency = 0.02  # the threads' calls overlap
    assert run_together(lambda: client.get_car(DEMO.car_id), n=12) == []
    assert token_requests(sandbox) == sandbox.faults.tokens_revoked


def test_a_call_whose_repeat_is_refused_again_renews_again(make_client, sandbox):
    client = make_client()
    client.list_cars()
    # Refused twice whatever the token: the first renewal did not cure it, the second does.
    sandbox.faults.fail_next("/cars", status=401, count=2)
    sandbox.clear_requests()
    assert len(client.list_cars()) == 62
    assert [r.status for r in sandbox.requests if r.path == "/cars"] == [401, 401, 200]
    assert token_requests(sandbox) == 2


def test_a_token_refused_at_once_every_time_is_given_up_on(make_client, sandbox):
    client = make_client()
    # Every token dies at its first use: renewing cures nothing, so the call stops after a
    # few renewals instead of asking for tokens until its budget runs out.
    sandbox.faults.revoke_token_every = 1
    with pytest.raises(AuthenticationError) as caught:
        client.list_cars()
    assert caught.value.kind == "token"
    assert token_requests(sandbox) == 1 + MAX_FRUITLESS_RENEWALS
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 1 + MAX_FRUITLESS_RENEWALS


def test_a_refused_write_is_sent_again_until_accepted_and_executed_once(make_client, sandbox):
    client = make_client()
    before = len(client.list_cars())
    sandbox.faults.fail_next("/cars", status=401, count=2, method="PUT")
    sandbox.clear_requests()
    client.create_car(name="Nach zwei Ablehnungen")
    assert [r.status for r in sandbox.requests if r.method == "PUT"] == [401, 401, 201]
    assert len(client.list_cars()) == before + 1  # a refused PUT was not executed
