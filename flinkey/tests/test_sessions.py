"""One shared HTTP session per process and API: pooled keep-alive connections, no account data."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading

import pytest

import flinkey
from flinkey import FlinkeyClient, UnavailableError
from flinkey.sessions import POOL_MAXSIZE, session_for
from flinkey_sandbox import DEMO

from .conftest import FAST, TOKEN_BODY, Recorder, json_answer, routes


def demo_client(base_url: str, **overrides) -> FlinkeyClient:
    kwargs = {
        "api_key": DEMO.api_key,
        "username": DEMO.username,
        "password": DEMO.password,
        "customer_id": DEMO.customer_id,
        **FAST,
        **overrides,
    }
    return FlinkeyClient(base_url, **kwargs)


def test_many_calls_through_several_clients_open_one_connection(counting_proxy, sandbox):
    clients = [
        demo_client(counting_proxy.url),
        demo_client(counting_proxy.url, customer_id=DEMO.other_customer_id),
        demo_client(counting_proxy.url),
    ]
    for client in clients:
        client.list_cars()
        client.list_customers()
        client.page_cars(page=2)
        client.close()  # no longer closes anything shared
    # Three token requests and nine resource calls, one TCP connection.
    assert sandbox.request_count() == 3 + 9
    assert counting_proxy.connections == 1


def test_a_concurrent_fan_out_reuses_its_pooled_connections(counting_proxy, sandbox):
    client = demo_client(counting_proxy.url)
    client.authenticate()
    sandbox.faults.latency = 0.05  # keep all 16 calls in flight together
    barrier = threading.Barrier(16)
    failures: list[BaseException] = []

    def call() -> None:
        try:
            barrier.wait()
            client.get_location(DEMO.car_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    def round_of_16() -> None:
        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    round_of_16()
    opened = counting_proxy.connections
    assert 1 < opened <= 16
    round_of_16()
    # The pool kept every connection of the first round (its size exceeds 16).
    assert counting_proxy.connections == opened
    assert failures == []
    assert POOL_MAXSIZE >= 16


def test_the_shared_session_carries_no_account_data(client, make_client, sandbox):
    client.list_cars()
    make_client(api_key=DEMO.api_key, customer_id=DEMO.other_customer_id).list_cars()
    session = session_for(sandbox.url)
    assert session is session_for(sandbox.url + "/")
    names = {name.lower() for name in session.headers}
    assert names.isdisjoint({"flinkey-api-key", "authorization", "customer-id", "cookie"})
    assert session.auth is None and len(session.cookies) == 0


def test_a_cookie_from_one_account_never_reaches_another(recorder_client):
    answer = json_answer([{"id": 1, "name": "Golf"}])
    with_cookie = (answer[0], {**answer[1], "Set-Cookie": "affinity=account-a; Path=/"}, answer[2])
    client, server = recorder_client(
        routes(
            {
                ("POST", "/v3/oauth2/token"): json_answer(TOKEN_BODY),
                ("GET", "/v3/cars"): with_cookie,
            }
        )
    )
    client.list_cars()
    other = FlinkeyClient(
        server.url, api_key="other-key", username="other", password="pw", customer_id=8, **FAST
    )
    other.list_cars()
    assert all("cookie" not in request.headers for request in server.records)


def test_close_sessions_closes_the_pool_and_later_calls_reconnect(counting_proxy):
    client = demo_client(counting_proxy.url)
    client.list_cars()
    before = session_for(counting_proxy.url)
    flinkey.close_sessions()
    assert session_for(counting_proxy.url) is not before
    client.list_cars()
    assert counting_proxy.connections == 2


def test_the_tls_setting_keys_the_session(sandbox, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not used over plain HTTP")
    verified, unverified, own_ca = (
        session_for(sandbox.url, True),
        session_for(sandbox.url, False),
        session_for(sandbox.url, str(bundle)),
    )
    assert len({id(verified), id(unverified), id(own_ca)}) == 3
    assert (verified.verify, unverified.verify, own_ca.verify) == (True, False, str(bundle))


@pytest.mark.parametrize("verify", ["/nonexistent/ca.pem", "", 1, None])
def test_verify_must_be_a_bool_or_an_existing_bundle(sandbox, verify):
    with pytest.raises(ValueError, match="verify"):
        demo_client(sandbox.url, verify=verify)


# --- HTTPS with the sandbox's own CA --------------------------------------------------------


@pytest.fixture(scope="module")
def own_ca(tmp_path_factory):
    """Return (CA bundle path, server certificate path, server key path) for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)

    def certificate(subject, issuer, key, signer, *, ca: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            # urllib3 verifies strictly (VERIFY_X509_STRICT): key identifiers are required.
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
            )
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_cert = certificate("test CA", "test CA", ca_key, ca_key, ca=True)
    server_cert = certificate("127.0.0.1", "test CA", server_key, ca_key, ca=False)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tuple(str(path) for path in paths)


@pytest.fixture
def https_recorder(own_ca):
    """A Recorder speaking HTTPS with a certificate from `own_ca`; yields (https URL, it)."""
    _, cert, key = own_ca
    server = Recorder(
        routes(
            {
                ("POST", "/v3/oauth2/token"): json_answer(TOKEN_BODY),
                ("GET", "/v3/cars"): json_answer([{"id": 1, "name": "Golf"}]),
            }
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    with server:
        yield server.url.replace("http://", "https://"), server


def test_https_with_an_own_ca_is_trusted_when_given_its_bundle(own_ca, https_recorder):
    url, server = https_recorder
    kwargs = {"api_key": "recorder-api-key", "username": "m", "password": "p", "customer_id": 7}
    untrusting = FlinkeyClient(url, **kwargs, **FAST)
    with pytest.raises(UnavailableError) as caught:
        untrusting.list_cars()
    assert "certificate" in caught.value.message
    assert server.records == []  # the API key was never sent to an unverified host

    trusting = FlinkeyClient(url, **kwargs, verify=own_ca[0], **FAST)
    assert [car.name for car in trusting.list_cars()] == ["Golf"]
