"""Runs and their e-mails against a real SMTP server (aiosmtpd in the test process): once
per due moment, the file opens, in the recipient's language; SMTP down, then up: sent once."""

import csv
import email
import email.policy
import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from django.utils import timezone

from alerts.tests.conftest import Mailbox
from config.testing import make_user
from schedules import sending, tasks
from schedules.models import Mailing, Run
from schedules.tests.conftest import make_schedule, speaks


def send_all() -> list[str]:
    return [sending.deliver(pk) for pk in sending.due_mailings().values_list("pk", flat=True)]


def attachment_of(raw: str):
    message = email.message_from_bytes(raw.encode(), policy=email.policy.default)
    parts = [part for part in message.walk() if part.get_filename()]
    assert len(parts) == 1
    return message, parts[0].get_filename(), parts[0].get_payload(decode=True)


def test_two_dispatches_of_one_moment_send_once_an_xlsx_that_opens(store, owner, mailbox):
    schedule = make_schedule(store, owner, report="left-open", format="xlsx")
    now = timezone.now()

    assert tasks.dispatch(now) == "1 runs"
    assert tasks.dispatch(now + timedelta(seconds=30)) == "0 runs"  # another scheduler
    assert sending.make_run(schedule, Run.objects.get().due_at) is None  # a retried task
    assert send_all() == ["sent"] and send_all() == []

    run = Run.objects.get()
    assert run.due_at <= now and run.schedule == schedule
    (recipients, raw), = mailbox.messages
    assert recipients == ["manager@example.com"]
    message, name, content = attachment_of(raw)
    assert message["Subject"] == 'Scheduled report "Morning"'
    assert message["Message-ID"] == f"<{Mailing.objects.get().key}@fleetadmin.schedules>"
    assert name.startswith("fleetadmin-left-open-") and name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Car", "Name", "Licence plate")
    assert [row[1] for row in rows[1:]] == ["Open Overnight"]  # not the car opened 1 h ago
    assert isinstance(rows[1][3], datetime)
    assert Mailing.objects.get().rows == 1


def test_a_german_recipient_gets_german_text_and_a_semicolon_csv(store, owner, mailbox):
    from alerts.tests.conftest import add_car

    add_car(store, 9004, "Service Due", service_ends_in_days=3, plate="B-SD 4")
    colleague = speaks(make_user("kollegin"), "de", address="kollegin@example.com")
    schedule = make_schedule(store, owner, report="service-ends", format="csv")
    schedule.recipients.add(colleague)
    sending.make_run(schedule, datetime(2026, 12, 7, 7, 0, tzinfo=UTC))

    assert sorted(send_all()) == ["sent", "sent"]
    by_address = {recipients[0]: raw for recipients, raw in mailbox.messages}
    message, name, content = attachment_of(by_address["kollegin@example.com"])
    assert message["Subject"] == "Geplanter Bericht „Morning“"
    body = message.get_payload()[0].get_payload(decode=True).decode()
    assert "Zeiten sind in Ihrer Zeitzone, Europe/Berlin." in body
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Fahrzeug", "Name"]
    assert [row[1] for row in rows[1:]] == ["Service Due"]  # the one car with a device
    assert rows[1][6] == "2" and rows[1][7] == "endet in den nächsten 30 Tagen"
    _message, _name, english = attachment_of(by_address["manager@example.com"])
    assert next(csv.reader(io.StringIO(english.decode())))[:2] == ["Car", "Name"]


def test_only_users_who_still_reach_the_fleet_receive_it(store, owner, mailbox):
    elsewhere = speaks(make_user("elsewhere", customer=False), "en")
    schedule = make_schedule(store, owner)
    schedule.recipients.add(elsewhere)
    sending.make_run(schedule, timezone.now())
    send_all()
    assert [recipients for recipients, _raw in mailbox.messages] == [["manager@example.com"]]


@pytest.fixture
def quick_retries(settings):
    settings.ALERTS_RETRY_SECONDS = 0
    return settings


def test_smtp_down_is_recorded_then_sent_once_when_it_is_back(store, owner, smtp_port,
                                                              quick_retries):
    make_schedule(store, owner, format="csv")
    tasks.dispatch()

    first = send_all()
    mailing = Mailing.objects.get()
    assert first[0].startswith("attempt 1 failed")
    assert mailing.status == Mailing.Status.PENDING and mailing.attempts == 1
    assert mailing.last_error.startswith("The mail server did not take it: ")

    box = Mailbox(smtp_port)
    box.start()
    try:
        assert send_all() == ["sent"]
        assert send_all() == [] and tasks.dispatch() == "0 runs"
    finally:
        box.stop()
    assert len(box.messages) == 1
    mailing.refresh_from_db()
    assert (mailing.status, mailing.attempts) == (Mailing.Status.SENT, 2)


def test_a_sender_cannot_claim_a_mailing_another_holds(store, owner, mailbox):
    make_schedule(store, owner)
    tasks.dispatch()
    mailing = Mailing.objects.get()
    assert sending.claim(mailing.pk) is not None
    assert sending.deliver(mailing.pk) == "not due, already sent, or being sent"
    assert mailbox.messages == []


def test_a_moment_before_the_schedule_was_saved_does_not_run(store, owner):
    schedule = make_schedule(store, owner)
    schedule.active_since = timezone.now()
    schedule.save()
    assert tasks.dispatch() == "0 runs"


def test_a_retry_does_not_reach_someone_who_lost_access_meanwhile(store, owner, smtp_port,
                                                                  quick_retries):
    make_schedule(store, owner)
    tasks.dispatch()
    assert send_all()[0].startswith("attempt 1 failed")  # SMTP down
    owner.groups.clear()  # the role is taken away before the retry

    box = Mailbox(smtp_port)
    box.start()
    try:
        assert send_all()[0].startswith("attempt 2 failed: Not sent: the recipient")
        assert send_all() == []
    finally:
        box.stop()
    assert box.messages == []
    assert Mailing.objects.get().status == Mailing.Status.FAILED


def test_a_mailing_left_by_a_killed_sender_goes_again_with_the_same_message_id(store, owner,
                                                                               mailbox):
    make_schedule(store, owner)
    tasks.dispatch()
    mailing = Mailing.objects.get()
    assert sending.claim(mailing.pk) is not None  # a sender took it, then was killed
    assert send_all() == []  # its claim still holds
    Mailing.objects.filter(pk=mailing.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1))

    assert send_all() == ["sent"] and send_all() == []
    mailing.refresh_from_db()
    assert mailing.attempts == 2 and "sent again with the same Message-ID" in (
        mailing.last_error)
    (_to, raw), = mailbox.messages
    assert f"<{mailing.key}@fleetadmin.schedules>" in raw
