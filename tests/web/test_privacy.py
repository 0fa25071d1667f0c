"""Personal data never shows in full: a citizen books with their full name, ID number and phone
and takes a ticket with their phone; then every page, API answer, CSV, calendar file, socket
event and printed ticket that a citizen, a screen, a clerk, a manager or the admin can fetch is
read, as is the server's log, and none of them holds the full values (only masked forms such
as 138****5678)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.domain.identity import id_check_character
from queue_server.realtime import NAMESPACE
from queue_server.services.demo import demo_password
from queue_server.services.notify import FakeNotifier
from tests.conftest import make_app

NAME = "欧阳明月"
BOOKING_PHONE = "13812345678"
TICKET_PHONE = "13900001111"
BASE = "37088119640303123"
ID_NUMBER = BASE + id_check_character(BASE)
NOTE = "需要轮椅"
# Pages that serve files, not data about people.
SKIPPED = re.compile(r"^/static/|^/display/voice/|^/admin/photos/|^/admin/switch$")


@pytest.fixture
def app(deps: Any, tmp_path: Path) -> Iterator[Any]:
    """The app with printing on; printing stops afterwards."""
    application = make_app(deps, tmp_path, PRINT_RETRY_DELAY=0.01)
    application.extensions["hallq_notifier"] = FakeNotifier()
    yield application
    application.extensions["hallq_printing"].close()


def forbidden_forms() -> dict[str, list[bytes]]:
    """Each full value as it could appear in a page, JSON (escaped or not) or printer bytes."""
    forms: dict[str, list[bytes]] = {}
    for value in (NAME, BOOKING_PHONE, TICKET_PHONE, ID_NUMBER, ID_NUMBER.lower()):
        forms[value] = [
            value.encode(),
            json.dumps(value)[1:-1].encode(),  # \\u escapes
            value.encode("gb18030"),
        ]
    # Spaced or dashed phone numbers, as a template might format them.
    for phone in (BOOKING_PHONE, TICKET_PHONE):
        forms[phone].append(f"{phone[:3]} {phone[3:7]} {phone[7:]}".encode())
        forms[phone].append(f"{phone[:3]}-{phone[3:7]}-{phone[7:]}".encode())
    return forms


def leaks(body: bytes) -> list[str]:
    return [value for value, forms in forbidden_forms().items() if any(f in body for f in forms)]


def signed_in(app: Any, staff_no: str, password: str | None = None) -> Any:
    """A client with a session cookie (pages) that also sends a bearer token (API)."""
    client = app.test_client()
    reply = client.post(
        "/api/v1/auth/login",
        json={"staff_no": staff_no, "password": password or demo_password(staff_no)},
    )
    assert reply.status_code == 200, reply.get_json()
    return client, {"Authorization": f"Bearer {reply.get_json()['token']}"}


def a_citizens_day(api: Any, app: Any, deps: Any, clock: Any, live_client: Any) -> dict[str, Any]:
    """Book with full details, check in at the kiosk, take a ticket with a phone, be served."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.services.test_booking import item_id

    hall, shanghai = api.demo["hall"], ZoneInfo("Asia/Shanghai")
    manager = api.token(api.demo["manager"]["staff_no"])
    put = api.client.put(
        f"/api/v1/kiosks/{api.demo['kiosk_id']}/printer",
        json={"printer": "dummy://"},
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert put.status_code == 200
    clerk = api.clerk(1)
    screens = {
        "lobby": {"hall": hall},
        "window": {"window": clerk["window"]},
    }
    sockets = {}
    for name, room in screens.items():
        sockets[name] = live_client()
        sockets[name].emit("join", room, namespace=NAMESPACE)

    citizen = app.test_client()
    booked = citizen.post(
        f"/api/v1/halls/{hall}/bookings",
        json={
            "item": item_id(deps, "370800-MZ-001"),
            "start": "2026-11-27T09:00:00+08:00",
            "name": NAME,
            "phone": BOOKING_PHONE,
            "id_number": ID_NUMBER,
            "note": NOTE,
        },
    )
    assert booked.status_code == 201, booked.get_json()
    code = booked.get_json()["code"]
    clock.current = datetime(2026, 11, 27, 8, 45, tzinfo=shanghai)
    checked_in = citizen.post(
        f"/api/v1/halls/{hall}/checkin", json={"code": code}, headers=api.kiosk_headers()
    )
    assert checked_in.status_code == 201, checked_in.get_json()
    clock.current = datetime(2026, 11, 27, 9, 5, tzinfo=shanghai)
    walk_in = api.issue("A", phone=TICKET_PHONE)
    phone = live_client()
    phone.emit("join", {"ticket": walk_in["token"]}, namespace=NAMESPACE)
    sockets["phone"] = phone
    answers = [booked.get_data(), checked_in.get_data(), json.dumps(walk_in).encode()]
    api.window(1, "open")
    for _ in range(2):
        answers.append(json.dumps(api.window(1, "call-next")).encode())
        answers.append(json.dumps(api.window(1, "start")).encode())
    printing = app.extensions["hallq_printing"]
    assert printing.wait_idle(10)
    link = printing.link_for(api.demo["kiosk_id"])
    printed = link.received
    assert walk_in["number"].encode() in printed  # both tickets came out of the printer
    assert checked_in.get_json()["number"].encode() in printed
    return {
        "code": code,
        "token": walk_in["token"],
        "answers": answers,
        "printed": printed,
        "sockets": sockets,
    }


def fill(rule: Any, values: dict[str, Any]) -> str | None:
    """The rule's path with the test's values, or None when it takes something else."""
    path = rule.rule
    for argument in rule.arguments:
        if argument not in values:
            return None
        path = re.sub(rf"<(?:[a-z]+:)?{argument}>", str(values[argument]), path)
    return path


def test_no_screen_page_api_event_log_or_printout_shows_a_full_name_phone_or_id_number(
    app, api, deps, demo, clock, live_client, caplog
):
    caplog.set_level("DEBUG")
    day = a_citizens_day(api, app, deps, clock, live_client)
    for what in ("answers",):
        for body in day[what]:
            assert leaks(body) == [], body[:300]
    assert leaks(day["printed"]) == [], "the printed ticket"
    for name, sio in day["sockets"].items():
        assert leaks(json.dumps(sio.get_received(NAMESPACE)).encode()) == [], name

    values = {
        "hall": demo["hall"],
        "window": api.clerk(1)["window"],
        "token": day["token"],
        "code": day["code"],
        "item": 1,
        "category": 1,
        "clerk": 1,
        "device": demo["kiosk_id"],
        "complaint": 1,
        "follow_up": 1,
        "year": 2027,
    }
    viewers = {"citizen or screen": (app.test_client(), {})}
    viewers["clerk"] = signed_in(app, api.clerk(1)["staff_no"])
    viewers["manager"] = signed_in(app, demo["manager"]["staff_no"])
    viewers["admin"] = signed_in(app, demo["admin"]["staff_no"], demo["admin"]["password"])
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and not SKIPPED.search(r.rule)
    ]
    fetched = 0
    masked_seen = set()
    for rule in rules:
        path = fill(rule, values)
        assert path is not None, f"no value for {rule.rule}: add it to `values`"
        for suffix in ("", f"?day=2026-11-27&date=2026-11-27&q={NAME[:1]}"):
            for viewer, (client, headers) in viewers.items():
                response = client.get(path + suffix, headers=headers)
                assert response.status_code < 500, (viewer, path, response.status_code)
                body = response.get_data()
                assert leaks(body) == [], f"{viewer} sees {leaks(body)} at {path}{suffix}"
                fetched += response.status_code == 200
                for masked in ("138****5678", "欧***", ID_NUMBER[:4] + "*" * 10):
                    if masked.encode() in body:
                        masked_seen.add((masked, path))
    assert leaks(caplog.text.encode()) == [], "the server's log"
    assert fetched > 150, f"only {fetched} pages answered: the crawl proves little"
    seen_paths = {p for _, p in masked_seen}
    # The citizen's own booking and the counter's list do show who it is, masked.
    assert f"/api/v1/bookings/{day['code']}" in seen_paths
    assert any(p.startswith("/api/v1/windows/") or "/bookings" in p for p in seen_paths)
