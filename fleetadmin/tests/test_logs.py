"""One structured log line per request: id, method, path (no query), status, user, upstream."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fleetadmin.ops.logs import JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[2]


def request_lines(caplog):
    return [record for record in caplog.records if record.name == "fleetadmin.request"]


def as_json(record):
    RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_a_page_logs_one_line_with_user_upstream_calls_and_times(manager_client, caplog):
    caplog.set_level(logging.INFO, logger="fleetadmin.request")
    response = manager_client.get("/cars/?q=M-AB%201234")
    assert response.status_code == 200
    [record] = request_lines(caplog)
    entry = as_json(record)
    assert entry["request_id"] == response["X-Request-ID"]
    assert entry["method"] == "GET" and entry["status"] == 200
    assert entry["path"] == "/cars/"  # never the query string: search terms are personal data
    assert "M-AB" not in json.dumps(entry)
    assert entry["user"] == "manager"
    assert entry["upstream_calls"] >= 2  # the token and the car list
    assert 0 < entry["upstream_seconds"] <= entry["duration_seconds"]
    assert entry["level"] == "INFO" and entry["logger"] == "fleetadmin.request"


def test_every_line_during_a_request_carries_its_id(manager_client, caplog):
    caplog.set_level(logging.INFO, logger="fleetadmin.request")
    caplog.set_level(logging.DEBUG, logger="flinkey")  # last: sets the capture's level too
    response = manager_client.get("/cars/", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response["X-Request-ID"] == "lb-7f3a.42"
    client_lines = [r for r in caplog.records if r.name == "flinkey"]
    assert client_lines
    assert {as_json(r)["request_id"] for r in client_lines + request_lines(caplog)} == {
        "lb-7f3a.42"
    }


@pytest.mark.parametrize("offered", ["", "a b", "x" * 129, "id\nforged line", "<script>"])
def test_a_malformed_request_id_is_replaced(client, offered, caplog):
    response = client.get("/login/", headers={"X-Request-ID": offered})
    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32


def test_request_ids_from_outside_can_be_ignored(client, settings):
    settings.FLEETADMIN_TRUST_REQUEST_ID = False
    response = client.get("/healthz", headers={"X-Request-ID": "from-the-client"})
    assert response["X-Request-ID"] != "from-the-client"


def test_the_instance_names_itself_only_when_configured(client, settings):
    assert "X-Fleetadmin-Instance" not in client.get("/healthz")
    settings.FLEETADMIN_INSTANCE_NAME = "web-2"
    assert client.get("/healthz")["X-Fleetadmin-Instance"] == "web-2"


def test_health_checks_are_not_logged(client, caplog, db):
    caplog.set_level(logging.INFO, logger="fleetadmin.request")
    client.get("/healthz")
    client.get("/readyz")
    assert request_lines(caplog) == []


def test_json_lines_keep_exceptions_and_drop_the_request_object():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/cars/",),
            sys.exc_info(), extra={"request": object(), "status_code": 500},
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Internal Server Error: /cars/"
    assert entry["status_code"] == 500 and "request" not in entry
    assert "ValueError: boom" in entry["exception"]


@pytest.mark.parametrize(("environment", "expected"), [
    ({"DJANGO_DEBUG": "false"}, "json"),
    ({"DJANGO_DEBUG": "true"}, "plain"),
    ({"DJANGO_DEBUG": "false", "DJANGO_LOG_FORMAT": "plain"}, "plain"),
])
def test_json_is_the_default_without_debug(environment, expected):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_DEBUG", "DJANGO_LOG_FORMAT")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    found = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c",
         "from django.conf import settings; print(settings.LOGGING['handlers']['console']"
         "['formatter'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    assert found.stdout.strip() == expected
