"""A fleet store with a few cars made for the rules, a real SMTP server, a real webhook
receiver that checks signatures."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from alerts import signing
from config.testing import free_port
from fleetstore.tests.conftest import make_fleet
from flinkey import Event

SECRET = "a-webhook-secret-of-the-tests"


def add_car(fleet, car_id, name, *, opened_hours_ago=None, closed_hours_ago=None,
            has_iq=False, fix_hours_ago=None, latitude=None, longitude=None,
            service_ends_in_days=None, plate=""):
    """A stored car; its last event an opening or closing that long ago, if given."""
    from fleetstore.models import StoredCar, StoredEvent, StoredProduct

    now = timezone.now()
    fix_at = now - timedelta(hours=fix_hours_ago) if fix_hours_ago is not None else None
    car = StoredCar.objects.create(fleet=fleet, car_id=car_id, name=name, learnt_at=now,
                                   license_plate=plate, has_iq=has_iq, fix_at=fix_at,
                                   latitude=latitude, longitude=longitude)
    for number, (hours, kind) in enumerate(((opened_hours_ago, Event.OPENED),
                                            (closed_hours_ago, Event.CLOSED))):
        if hours is not None:
            event = StoredEvent.objects.create(
                fleet=fleet, car=car, event_id=car_id * 10 + number, type=kind,
                utc_date_time=now - timedelta(hours=hours), learnt_at=now, user_id=7)
            car.last_event = event
            car.save()
    if service_ends_in_days is not None:
        StoredProduct.objects.create(car=car, product_id=car_id * 100, type="Box",
                                     service_ends_at=now + timedelta(days=service_ends_in_days),
                                     learnt_at=now)
    return car


def fill_store(fleet):
    """Car 1 open for 20 h, car 2 closed, car 3 opened an hour ago."""
    add_car(fleet, 9001, "Open Overnight", opened_hours_ago=20, plate="B-AL 1")
    add_car(fleet, 9002, "Closed Properly", opened_hours_ago=22, closed_hours_ago=21)
    add_car(fleet, 9003, "Just Opened", opened_hours_ago=1)


@pytest.fixture
def store(db, flinkey_api):
    """The demo customer's store, synced, sync on, holding the cars of `fill_store`."""
    fleet = make_fleet(flinkey_api.url, synced_at=timezone.now())
    fill_store(fleet)
    return fleet


class Receiver:
    """A real HTTP server that checks each call's signature and keeps what it was sent.

    `answers` is the list of statuses to give, in order (then 200).
    """

    def __init__(self, secret=SECRET):
        self.secret = secret
        self.calls = []  # (idempotency key, signature valid, JSON body, status answered)
        self.arrivals = []  # idempotency keys, as each call arrives (before any delay)
        self.answers = []
        self.delays = []  # seconds to wait before answering, call by call (then none)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrivals.append(self.headers[signing.KEY_HEADER])
                if receiver.delays:
                    time.sleep(receiver.delays.pop(0))
                valid = signing.verify(receiver.secret, self.headers[signing.TIMESTAMP_HEADER],
                                       body, self.headers[signing.SIGNATURE_HEADER])
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.calls.append((self.headers[signing.KEY_HEADER], valid,
                                       json.loads(body), status))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"received" if status == 200 else b"receiver trouble")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def accepted(self):
        """The calls answered 200, by idempotency key."""
        return {key: body for key, valid, body, status in self.calls if status == 200}


@pytest.fixture
def receiver(settings):
    settings.ALERTS_WEBHOOK_ALLOW_HTTP = True
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = ["127.0.0.1"]
    found = Receiver()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


class Mailbox:
    """A real SMTP server (aiosmtpd) in the test process; keeps each message received."""

    def __init__(self, port):
        from aiosmtpd.controller import Controller

        self.messages = []
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                box.messages.append((envelope.rcpt_tos, envelope.content.decode()))
                return "250 OK"

        self.port = port
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_port(settings):
    """A port for the SMTP server, and the project's mail sent there (nothing listens yet)."""
    port = free_port()
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5}}}
    return port


@pytest.fixture
def mailbox(smtp_port):
    box = Mailbox(smtp_port)
    box.start()
    yield box
    box.stop()
