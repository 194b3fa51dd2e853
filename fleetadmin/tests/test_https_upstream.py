"""flinkey over HTTPS: FLINKEY_CA_BUNDLE decides which certificates are trusted."""

import pytest

from flinkey import close_sessions
from flinkey_sandbox import DEMO, Sandbox
from flinkey_sandbox.tls import make_certificates

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A throwaway CA and a certificate for 127.0.0.1, made for this module only."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_sandbox(tls_files):
    with Sandbox(tls=(tls_files.cert, tls_files.key)) as server:
        yield server


@pytest.fixture
def https_api(settings, https_sandbox):
    from django.core.cache import cache

    https_sandbox.reset()
    settings.FLINKEY_API_URL = https_sandbox.url
    cache.clear()
    yield https_sandbox
    close_sessions()


@pytest.fixture
def https_client(client, https_api):
    from config.testing import make_user

    client.force_login(make_user("tls-manager"))
    return client


def test_the_sandbox_serves_https(https_sandbox):
    assert https_sandbox.url.startswith("https://127.0.0.1:")


def test_the_car_list_works_with_the_ca_bundle(https_client, https_api, settings, tls_files):
    settings.FLINKEY_CA_BUNDLE = str(tls_files.ca)
    response = https_client.get("/cars/")
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="car-row-') == 25
    assert https_api.request_count(method="GET", path_prefix="/cars") == 1


def test_without_the_bundle_the_certificate_is_refused_with_a_problem_page(
    https_client, https_api, settings
):
    settings.FLINKEY_CA_BUNDLE = ""  # the system's CAs do not know our test CA
    response = https_client.get("/cars/")
    assert response.status_code == 503  # no answer from flinkey: the TLS handshake failed
    html = response.content.decode()
    assert 'class="alert error" role="alert"' in html  # includes/problem.html
    assert 'id="car-table"' in html  # the page with its menu and search, not an error page
    assert "certificate could not be verified" in html  # what happened, as a detail
    assert "Details: <q>" in html and "flinkey said" not in html  # not flinkey's words
    assert "Traceback" not in html and "SSLError" not in html
    # Refused before anything was sent: the sandbox never saw a request.
    assert https_api.request_count() == 0


def test_a_bundle_changed_at_run_time_takes_effect(https_client, https_api, settings, tls_files):
    settings.FLINKEY_CA_BUNDLE = ""
    assert https_client.get("/cars/").status_code == 503
    settings.FLINKEY_CA_BUNDLE = str(tls_files.ca)
    assert https_client.get("/cars/").status_code == 200


def test_the_command_line_takes_a_certificate_and_key(tls_files):
    from flinkey_sandbox.__main__ import main

    with pytest.raises(SystemExit):
        main(["--tls-cert", str(tls_files.cert)])  # the key is missing


def test_demo_credentials_are_unchanged_over_https(https_api, tls_files):
    from flinkey import FlinkeyClient

    client = FlinkeyClient(https_api.url, api_key=DEMO.api_key, username=DEMO.username,
                           password=DEMO.password, customer_id=DEMO.customer_id,
                           verify=str(tls_files.ca))
    assert client.get_car(DEMO.car_id).id == DEMO.car_id


def test_a_missing_bundle_is_a_system_check_error(settings, tmp_path):
    from fleetadmin.upstream.checks import flinkey_ca_bundle_exists

    settings.FLINKEY_CA_BUNDLE = str(tmp_path / "nope.pem")
    (error,) = flinkey_ca_bundle_exists(None)
    assert error.id == "fleetadmin.E010"
    settings.FLINKEY_CA_BUNDLE = ""
    assert flinkey_ca_bundle_exists(None) == []
