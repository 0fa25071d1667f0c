"""Messages to citizens and what stays private: confirmation, reminder, cancellation through a
notifier (log, SMS gateway, fake); no personal data in logs, audit entries or socket events;
old personal data erased."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from queue_server.services import notify, retention
from queue_server.services.booking import housekeeping as booking_housekeeping
from queue_server.services.booking.checkin import check_in
from queue_server.services.booking.citizen import cancel_booking, find_booking, move_booking
from queue_server.services.booking.housekeeping import mark_missed, send_due_reminders
from queue_server.services.booking.settings import set_policy
from queue_server.services.context import ANONYMOUS
from queue_server.store import booking_tables as bt
from queue_server.store import tables
from tests.services.test_booking import Booker, at, id_number, kiosk, manager

FRI_9 = at(2026, 11, 27, 9, 0)
MON_9 = at(2026, 11, 30, 9, 0)


@pytest.fixture
def booker(deps, demo) -> Booker:
    return Booker(deps, demo)


def test_a_reminder_goes_once_within_the_reminder_time(booker, deps, clock):
    booker.book(MON_9)  # booked on Thursday: more than a day ahead
    booker.book(FRI_9, person=2)  # booked less than a day ahead: the confirmation suffices
    assert send_due_reminders(deps, booker.notifier) == 0
    clock.current = at(2026, 11, 29, 8, 0)  # 25 hours before Monday 09:00
    assert send_due_reminders(deps, booker.notifier) == 0
    clock.current = at(2026, 11, 29, 10, 0)  # 23 hours before
    assert send_due_reminders(deps, booker.notifier) == 1
    assert send_due_reminders(deps, booker.notifier) == 0
    reminder = booker.notifier.sent[-1]
    assert reminder.kind == "reminder"
    assert "预约提醒" in reminder.text and "11月30日（周一）09:00–09:30" in reminder.text
    assert "08:30" in reminder.text


def test_the_reminder_time_is_the_halls_and_a_moved_booking_is_reminded_again(booker, deps, clock):
    set_policy(deps, manager(deps, booker.demo), booker.hall, {"remind_hours_before": 2})
    mine = booker.book(MON_9)
    clock.current = at(2026, 11, 30, 7, 30)
    assert send_due_reminders(deps, booker.notifier) == 1
    move_booking(deps, ANONYMOUS, mine["code"], at(2026, 11, 30, 14, 0).isoformat())
    assert send_due_reminders(deps, booker.notifier) == 0
    clock.current = at(2026, 11, 30, 12, 30)
    assert send_due_reminders(deps, booker.notifier) == 1


def test_messages_are_kept_for_the_citizen_and_the_manager_sees_them_without_codes(booker, deps):
    mine = booker.book(FRI_9)
    cancel_booking(deps, ANONYMOUS, mine["code"], booker.notifier)
    kept = notify.messages_of_booking(deps, mine["id"])
    assert [m["kind"] for m in kept] == ["confirmation", "cancellation"]
    assert kept[0]["phone"] == "138****5678" and mine["code"] in kept[0]["text"]
    assert kept[0]["status"] == "sent" and kept[0]["channel"] == "fake"
    for message in notify.messages_of_hall(deps, booker.hall):
        assert mine["code"] not in message["text"] and mine["code"] not in message["text_en"]
        assert mine["code"][:4] + "-****" in message["text"] or message["kind"] == "cancellation"


def test_a_failing_gateway_never_fails_the_booking(booker, deps):
    booker.notifier.fail = True
    view = booker.book(FRI_9)
    assert view["state"] == "booked"
    [kept] = notify.messages_of_booking(deps, view["id"])
    assert kept["status"] == "failed"


class _Gateway(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str]]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        _Gateway.received.append(
            (self.headers.get("Authorization", ""), json.loads(self.rfile.read(length)))
        )
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received = []
    _Gateway.status = 200
    yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()


def test_the_sms_gateway_adapter_posts_phone_and_text(booker, deps, gateway):
    sms = notify.notifier_from_config({"SMS_GATEWAY_URL": gateway, "SMS_GATEWAY_TOKEN": "s3cret"})
    assert isinstance(sms, notify.SmsGatewayNotifier)
    booker.notifier = sms  # type: ignore[assignment]
    view = booker.book(FRI_9)
    [(authorization, body)] = _Gateway.received
    assert authorization == "Bearer s3cret"
    assert body["phone"] == "13812345678" and view["code"] in body["text"]
    _Gateway.status = 500
    booker.book(MON_9)
    statuses = [m["status"] for m in notify.messages_of_hall(deps, booker.hall)]
    assert statuses == ["failed", "sent"]
    assert isinstance(notify.notifier_from_config({}), notify.LogNotifier)


def test_personal_data_stays_out_of_logs_audit_entries_and_socket_events(
    booker, deps, demo, clock, bus, caplog
):
    caplog.set_level(logging.DEBUG)
    booker.notifier = notify.LogNotifier()  # type: ignore[assignment]
    first = booker.book(FRI_9, name="欧阳娜娜", phone="13987654321")
    second = booker.book(at(2026, 11, 27, 10, 0), person=2, name="欧阳娜娜", phone="13987654321")
    move_booking(deps, ANONYMOUS, second["code"], MON_9.isoformat(), booker.notifier)
    cancel_booking(deps, ANONYMOUS, second["code"], booker.notifier)
    clock.current = at(2026, 11, 27, 8, 50)
    check_in(deps, kiosk(demo), demo["hall"], first["code"])
    secrets = ["欧阳娜娜", "13987654321", id_number(1), id_number(2), "娜娜"]
    with deps.db.reading() as s:
        audit = [repr(tuple(row)) for row in s.execute(select(tables.audit_log))]
        tickets = [repr(tuple(row)) for row in s.execute(select(tables.tickets))]
    published = [repr(m) for m in bus.published]
    assert any("bookings_changed" in m for m in published)
    for secret in secrets:
        assert secret not in caplog.text, secret
        assert not any(secret in row for row in audit), secret
        assert not any(secret in row for row in tickets), secret
        assert not any(secret in m for m in published), secret
    assert "139****4321" in caplog.text  # the log says a message went, to whom (masked)
    assert first["code"] not in caplog.text  # nor the code, which is the citizen's key


def erase_bookings(deps) -> int:
    """The bookings' eraser of the retention sweep, run now."""
    return retention.erase_expired_personal_data(deps, kinds=["bookings"])["bookings"]


def test_personal_data_of_finished_bookings_is_erased_after_the_kept_days(booker, deps, clock):
    kept = booker.book(at(2026, 12, 3, 9, 0), person=1)
    gone = booker.book(FRI_9, person=2)
    cancel_booking(deps, ANONYMOUS, gone["code"])
    clock.current = at(2026, 12, 20, 9, 0)
    assert erase_bookings(deps) == 0  # 30 days not yet passed
    clock.current = at(2026, 12, 28, 9, 0)
    assert mark_missed(deps) == 1  # the 3 December booking was missed
    assert erase_bookings(deps) == 1  # only the cancelled one is old enough
    with deps.db.reading() as s:
        rows = {r.id: r for r in s.execute(select(bt.bookings))}
    assert (rows[gone["id"]].citizen_name, rows[gone["id"]].phone, rows[gone["id"]].id_digest) == (
        "",
        "",
        "",
    )
    assert rows[gone["id"]].id_masked == gone["citizen"]["id_number"]  # lists stay readable
    assert rows[kept["id"]].citizen_name == "张三丰"
    assert find_booking(deps, gone["code"])["citizen"]["name"] == ""


def test_housekeeping_runs_everything_at_once(booker, deps, clock):
    booker.book(MON_9)
    clock.current = at(2026, 11, 29, 10, 0)
    assert booking_housekeeping.housekeeping(deps, booker.notifier) == {
        "missed": 0,
        "reminded": 1,
        "holiday_moves": 0,
        "erased": 0,
    }


def test_a_booking_still_to_come_keeps_its_citizen_however_early_it_was_made(booker, deps, clock):
    set_policy(
        deps,
        manager(deps, booker.demo),
        booker.hall,
        {"keep_personal_days": 1, "no_show_window_days": 1},
    )
    ahead = booker.book(at(2026, 12, 3, 9, 0), person=1)
    done = booker.book(FRI_9, person=2)
    cancel_booking(deps, ANONYMOUS, done["code"])
    clock.current = at(2026, 11, 29, 9, 0)  # two days later: past the one day kept
    assert erase_bookings(deps) == 1
    with deps.db.reading() as s:
        rows = {r.id: r for r in s.execute(select(bt.bookings))}
    assert rows[ahead["id"]].citizen_name == "张三丰" and rows[ahead["id"]].id_digest != ""
    assert rows[done["id"]].citizen_name == ""
