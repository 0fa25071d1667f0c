"""Booking over HTTP: the citizen's flow by code, check-in by the kiosk, the counter's list,
hours and rules for managers, every refusal as bilingual JSON that changes nothing, guessing
codes stopped, and the booking pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from queue_server.domain.booking import normalize_code
from queue_server.services.notify import FakeNotifier
from queue_server.store import booking_tables as bt
from queue_server.store import tables
from tests.contract import request_body_schema
from tests.services.test_booking import at, id_number, item_id

CJK = re.compile(r"[\u4e00-\u9fff]")
FRI_9 = at(2026, 11, 27, 9, 0).isoformat()


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """A refusal: the status, and a JSON body with a Chinese and an English message."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "message", "message_en"}
    assert CJK.search(body["message"]), body
    assert re.search(r"[A-Za-z]{3}", body["message_en"]) and not CJK.search(body["message_en"])
    if code:
        assert body["error"] == code
    return body  # type: ignore[no-any-return]


def counts(deps: Any) -> dict[str, int]:
    """Rows per table, to prove a refused request changed nothing."""
    with deps.db.reading() as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t)) or 0
            for t in tables.metadata.sorted_tables
            if t.name not in ("audit_log", "auth_tokens", "login_attempts")
        }


@pytest.fixture
def notifier(app: Any) -> FakeNotifier:
    fake = FakeNotifier()
    app.extensions["hallq_notifier"] = fake
    return fake


@pytest.fixture
def anon(app: Any) -> Any:
    """A client that never signs in (the `api` helper's sign-ins leave a session cookie)."""
    return app.test_client()


@pytest.fixture
def hall(demo: dict[str, Any]) -> int:
    return int(demo["hall"])


def citizen(deps: Any, person: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "item": item_id(deps, "370800-MZ-001"),
        "start": FRI_9,
        "name": "张三丰",
        "phone": "138 1234 5678",
        "id_number": id_number(person).lower(),
        **extra,
    }


def bearer(api: Any, staff_no: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(staff_no)}"}


def book(client: Any, hall: int, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
    response = client.post(f"/api/v1/halls/{hall}/bookings", json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


# -- the citizen's flow ----------------------------------------------------------------------


def test_search_choose_a_day_and_a_slot_book_and_manage_by_code(client, deps, hall, notifier):
    found = client.get(f"/api/v1/halls/{hall}/booking/items?q=zdsh").get_json()
    assert found["items"][0]["name"] == "最低生活保障申请"
    assert found["items"][0]["booking"] == {
        "slot_minutes": 30,
        "places_per_slot": 3,
        "days_ahead": 7,
    }
    item = found["items"][0]["id"]
    days = client.get(f"/api/v1/halls/{hall}/booking/items/{item}/days").get_json()["days"]
    assert [d["reason_text"] for d in days[:4]] == ["余 48", "余 39", "余 18", "休息"]
    slots = client.get(f"/api/v1/halls/{hall}/booking/items/{item}/slots?date=2026-11-27")
    first = slots.get_json()["slots"][0]
    assert (first["label"], first["free"], first["start"]) == ("09:00–09:30", 3, FRI_9)

    view = book(client, hall, citizen(deps))
    assert view["citizen"]["phone"] == "138****5678"
    assert view["urls"]["manage"] == f"/book/{hall}/manage"
    assert notifier.kinds() == ["confirmation"]
    code = view["code"]

    again = client.get(f"/api/v1/bookings/{code.lower()}")
    assert again.status_code == 200 and again.headers["Cache-Control"] == "no-store"
    assert again.get_json()["id"] == view["id"]
    moved = client.post(
        f"/api/v1/bookings/{code}/move", json={"start": at(2026, 11, 30, 14, 0).isoformat()}
    )
    assert moved.get_json()["when"] == "11月30日（周一）14:00–14:30"
    messages = client.get(f"/api/v1/bookings/{code}/messages").get_json()["messages"]
    assert [m["kind"] for m in messages] == ["confirmation", "moved"]
    cancelled = client.post(f"/api/v1/bookings/{code}/cancel", json={})
    assert cancelled.get_json()["state"] == "cancelled"


def test_the_calendar_file_and_the_qr_code(client, deps, hall, notifier):
    code = book(client, hall, citizen(deps))["code"]
    ics = client.get(f"/api/v1/bookings/{code}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert f'filename="booking-{code.replace("-", "")}.ics"' in ics.headers["Content-Disposition"]
    raw = ics.get_data()
    lines = raw.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-2] == b"END:VCALENDAR"
    assert all(len(line) <= 75 for line in lines)
    text = raw.decode().replace("\r\n ", "")  # unfold
    assert "DTSTART:20261127T010000Z" in text and "DTEND:20261127T013000Z" in text
    assert "SUMMARY:预约办理：最低生活保障申请" in text and code in text
    for secret in ("张三丰", "13812345678", id_number(1)):
        assert secret not in text
    qr = client.get(f"/api/v1/bookings/{code}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.get_data()


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"id_number": "370881195001010011"}, 422, "invalid"),
        ({"phone": "1234"}, 422, "invalid"),
        ({"name": 42}, 422, "invalid"),
        ({"start": "2026-11-27 09:00"}, 422, "invalid"),
        ({"start": at(2026, 11, 26, 9, 0).isoformat()}, 422, "invalid"),
        ({"start": at(2027, 1, 4, 9, 0).isoformat()}, 422, "invalid"),  # beyond 7 days
        ({"item": 99999}, 404, "not_found"),
        ({"kind": "drive_through"}, 422, "invalid"),
        ({"proxy_reason": "elderly"}, 403, "forbidden"),
        ({"item": None}, 422, "invalid"),
    ],
)
def test_bad_bookings_are_refused_in_both_languages_and_change_nothing(
    client, deps, hall, notifier, change, status, code
):
    before = counts(deps)
    response = client.post(f"/api/v1/halls/{hall}/bookings", json=citizen(deps, **change))
    assert_error(response, status, code)
    assert counts(deps) == before and notifier.sent == []


def test_a_body_that_is_not_json_or_misses_fields_is_refused(client, deps, hall):
    before = counts(deps)
    response = client.post(
        f"/api/v1/halls/{hall}/bookings", data="{", content_type="application/json"
    )
    assert_error(response, 400, "bad_request")
    body = citizen(deps)
    del body["id_number"]
    assert_error(client.post(f"/api/v1/halls/{hall}/bookings", json=body), 422, "invalid")
    assert counts(deps) == before


def test_a_full_slot_is_a_conflict_and_a_year_without_its_notice_is_provisional(
    client, anon, deps, hall, clock, api, demo, notifier
):
    rule = {"scope": "category", "category": "A", "rule": {"places_per_slot": 1}}
    response = anon.put(
        f"/api/v1/halls/{hall}/booking-rules",
        json=rule,
        headers=bearer(api, demo["manager"]["staff_no"]),
    )
    assert response.status_code == 200
    book(anon, hall, citizen(deps, 1))
    body = assert_error(
        anon.post(f"/api/v1/halls/{hall}/bookings", json=citizen(deps, 2)), 409, "full"
    )
    assert body["message"] == "该时段已约满，请选择其他时段"
    clock.current = at(2026, 12, 29, 10, 0)
    item = item_id(deps, "370800-MZ-001")
    # 2027 has no official schedule yet: its statutory days apply provisionally.
    slots = anon.get(f"/api/v1/halls/{hall}/booking/items/{item}/slots?date=2027-01-04")
    assert slots.status_code == 200 and slots.get_json()["provisional"] is True
    late = citizen(deps, 3, start=at(2027, 1, 4, 9, 0).isoformat())
    assert book(anon, hall, late)["provisional"] is True
    assert_error(anon.get(f"/api/v1/halls/{hall}/booking/items/{item}/slots?date=4.1.2027"), 422)


@pytest.mark.parametrize("path", ["", "/qr.svg", "/calendar.ics", "/messages"])
@pytest.mark.parametrize("code", ["0", "NOT-A-CODE", "ABCD2345"])
def test_a_path_that_is_no_booking_code_answers_404_like_an_unknown_booking(client, code, path):
    body = assert_error(client.get(f"/api/v1/bookings/{code}{path}"), 404, "not_found")
    assert "找不到该预约" in body["message"] and body["message_en"].startswith("No booking")


def test_guessing_codes_is_stopped_after_20_wrong_ones(client, deps, hall, notifier):
    real = book(client, hall, citizen(deps))["code"]
    for n in range(20):
        wrong = f"ABCD{n + 2222}"[-8:] if n < 10 else "NOT-A-CODE"
        assert client.get(f"/api/v1/bookings/{wrong}").status_code == 404
    body = assert_error(client.get(f"/api/v1/bookings/{real}"), 429, "too_many")
    assert "10 分钟" in body["message"]
    assert_error(client.post(f"/api/v1/bookings/{real}/cancel", json={}), 429, "too_many")
    other = client.get(f"/api/v1/bookings/{real}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # another address is not punished


# -- check-in and the counter ----------------------------------------------------------------


def test_the_kiosk_checks_in_with_the_code_and_gets_the_ticket(
    client, deps, hall, api, clock, notifier
):
    view = book(client, hall, citizen(deps))
    clock.current = at(2026, 11, 27, 8, 45)
    assert_error(client.post(f"/api/v1/halls/{hall}/checkin", json={"code": view["code"]}), 401)
    response = client.post(
        f"/api/v1/halls/{hall}/checkin", json={"code": view["code"]}, headers=api.kiosk_headers()
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["number"] == "A001" and ticket["appointment"] is True and ticket["late"] is False
    assert {"token", "position", "estimated_wait_minutes", "category", "phone_url", "hall"} <= set(
        ticket
    )
    assert (
        ticket["booking"]["state"] == "checked_in"
        and ticket["booking"]["citizen"]["name"] == "张**"
    )
    assert "code" not in ticket["booking"]  # the kiosk screen does not repeat the code
    assert CJK.search(ticket["message"]) and ticket["message_en"]
    again = client.post(
        f"/api/v1/halls/{hall}/checkin", json={"code": view["code"]}, headers=api.kiosk_headers()
    )
    assert_error(again, 409, "conflict")
    home = client.get(f"/api/v1/halls/{hall}/kiosk").get_json()
    assert home["appointments"] is True  # the kiosk offers 预约签到


def test_a_late_check_in_by_the_kiosk_is_an_ordinary_ticket(
    client, deps, hall, api, clock, notifier
):
    view = book(client, hall, citizen(deps))
    clock.current = at(2026, 11, 27, 9, 20)
    response = client.post(
        f"/api/v1/halls/{hall}/checkin", json={"code": view["code"]}, headers=api.kiosk_headers()
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["late"] is True and ticket["appointment"] is False
    assert "普通号" in ticket["message"]


# -- a retried check-in (Idempotency-Key) ----------------------------------------------------

KEY = "tap-7c1e0b9d4a2f6e35"


def check_in(client: Any, hall: int, api: Any, code: str, key: str | None) -> Any:
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        f"/api/v1/halls/{hall}/checkin",
        json={"code": code},
        headers={**api.kiosk_headers(), **extra},
    )


def rows(deps: Any, table: Any, *where: Any) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def booking_row(deps: Any, code: str) -> Any:
    with deps.db.reading() as s:
        return s.execute(
            select(bt.bookings).where(bt.bookings.c.code == normalize_code(code))
        ).one()


@pytest.mark.parametrize("minute", [45, 80], ids=["on-time", "late"])
def test_a_retried_check_in_with_the_same_key_gets_the_same_reply_and_one_ticket(
    client, deps, hall, api, clock, bus, notifier, minute
):
    view = book(client, hall, citizen(deps))
    clock.current = at(2026, 11, 27, 8, 0) + timedelta(minutes=minute)
    first = check_in(client, hall, api, view["code"], KEY)
    assert first.status_code == 201, first.get_json()
    published = len(bus.published)
    again = check_in(client, hall, api, view["code"], KEY)
    assert again.status_code == 201, again.get_json()
    a, b = first.get_json(), again.get_json()
    for field in ("id", "number", "token", "phone_url", "late", "message", "message_en"):
        assert b[field] == a[field], field
    assert b["booking"]["state"] == "checked_in" and b["booking"]["id"] == a["booking"]["id"]
    assert rows(deps, tables.tickets) == 1
    assert rows(deps, tables.audit_log, tables.audit_log.c.action == "booking.check_in") == 1
    assert rows(deps, tables.audit_log, tables.audit_log.c.action == "ticket.issue") == 1
    assert len(bus.events("ticket_issued")) == 1  # printed once
    # The replay announces nothing (the printer's worker reports the one print when it is done).
    assert [m.event for m in bus.published[published:] if m.event != "print_status"] == []
    assert booking_row(deps, view["code"]).ticket_id == a["id"]
    # Without the key a second check-in is still refused as before.
    assert_error(check_in(client, hall, api, view["code"], None), 409, "conflict")


def test_the_same_key_with_another_code_is_refused_and_changes_nothing(
    client, deps, hall, api, clock, notifier
):
    mine = book(client, hall, citizen(deps))
    other = book(client, hall, citizen(deps, person=2, start=at(2026, 11, 27, 9, 30).isoformat()))
    clock.current = at(2026, 11, 27, 9, 5)  # both may check in
    assert check_in(client, hall, api, mine["code"], KEY).status_code == 201
    before = counts(deps)
    refused = assert_error(check_in(client, hall, api, other["code"], KEY), 409, "conflict")
    assert "Idempotency-Key" in refused["message_en"]
    assert counts(deps) == before
    assert booking_row(deps, other["code"]).state == "booked"
    # A key that took a ticket is not a check-in's key either.
    api.client.post(
        f"/api/v1/halls/{hall}/tickets",
        json={"category": "A"},
        headers={**api.kiosk_headers(), "Idempotency-Key": "tap-ticket-00000001"},
    )
    before = counts(deps)
    assert_error(check_in(client, hall, api, other["code"], "tap-ticket-00000001"), 409)
    assert counts(deps) == before
    assert booking_row(deps, other["code"]).state == "booked"
    # With a key of its own the other booking checks in.
    assert check_in(client, hall, api, other["code"], "tap-other-0000001").status_code == 201
    # Nor is a check-in's key a plain ticket's, even in the booking's own category.
    booked = booking_row(deps, mine["code"])
    with deps.db.reading() as s:
        prefix = s.scalar(
            select(tables.categories.c.prefix).where(tables.categories.c.id == booked.category_id)
        )
    before = counts(deps)
    reused = api.client.post(
        f"/api/v1/halls/{hall}/tickets",
        json={"category": prefix},
        headers={**api.kiosk_headers(), "Idempotency-Key": KEY},
    )
    assert_error(reused, 409, "conflict")
    assert counts(deps) == before


@pytest.mark.parametrize("key", ["short", "x" * 65, "带中文的键值abcdefg", "a b c d e f g h"])
def test_a_malformed_check_in_key_is_a_clear_422_and_checks_nothing_in(
    client, deps, hall, api, clock, notifier, key
):
    view = book(client, hall, citizen(deps))
    clock.current = at(2026, 11, 27, 8, 45)
    before = counts(deps)
    refused = assert_error(check_in(client, hall, api, view["code"], key), 422, "invalid")
    assert refused["message"].startswith("Idempotency-Key 须为")
    assert counts(deps) == before
    assert booking_row(deps, view["code"]).state == "booked"


def test_a_retry_while_the_first_check_in_is_under_way_is_asked_to_wait(
    client, deps, hall, api, clock, notifier
):
    view = book(client, hall, citizen(deps))
    clock.current = at(2026, 11, 27, 8, 45)
    # The first try has checked the booking in and not yet issued its ticket.
    with deps.db.transaction() as s:
        s.execute(
            update(bt.bookings)
            .where(bt.bookings.c.code == normalize_code(view["code"]))
            .values(state="checked_in", checked_in_at=clock.now())
        )
    busy = assert_error(check_in(client, hall, api, view["code"], KEY), 503, "unavailable")
    assert "签到" in busy["message"]
    assert rows(deps, tables.tickets) == 0
    clock.advance(seconds=31)  # that try is long gone: the booking stays checked in
    assert_error(check_in(client, hall, api, view["code"], KEY), 409, "conflict")


def test_a_retry_links_the_ticket_a_first_try_issued_but_did_not_link(
    client, deps, hall, api, clock, notifier
):
    from queue_server.services import issuing
    from queue_server.services.auth import actor_for_token

    view = book(client, hall, citizen(deps))
    clock.current = at(2026, 11, 27, 8, 45)
    booking = booking_row(deps, view["code"])
    with deps.db.transaction() as s:
        s.execute(
            update(bt.bookings)
            .where(bt.bookings.c.id == booking.id)
            .values(state="checked_in", checked_in_at=clock.now())
        )
    kiosk = actor_for_token(deps, api.demo["kiosk_token"])
    assert kiosk is not None
    made = issuing.issue_ticket(
        deps,
        kiosk,
        hall,
        booking.category_id,
        service_item_id=booking.service_item_id,
        appointment=(booking.id, booking.slot_start),
        idempotency_key=KEY,
    )
    retry = check_in(client, hall, api, view["code"], KEY)
    assert retry.status_code == 201, retry.get_json()
    assert retry.get_json()["number"] == made["number"] and retry.get_json()["late"] is False
    assert booking_row(deps, view["code"]).ticket_id == made["id"]
    assert rows(deps, tables.tickets) == 1


def test_the_counter_panel_lists_todays_bookings(client, anon, deps, hall, api, notifier):
    book(client, hall, citizen(deps, start=at(2026, 11, 26, 10, 0).isoformat()))
    clerk = api.clerk(1)
    response = client.get(
        f"/api/v1/windows/{clerk['window']}/bookings", headers=bearer(api, clerk["staff_no"])
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["date"] == "2026-11-26"
    [entry] = body["bookings"]
    assert entry["time"] == "10:00–10:30" and entry["item"]["name"] == "最低生活保障申请"
    assert entry["citizen"]["id_number"].count("*") == 10
    assert_error(anon.get(f"/api/v1/windows/{clerk['window']}/bookings"), 401)
    other = api.clerk(6)
    assert_error(
        client.get(
            f"/api/v1/windows/{clerk['window']}/bookings", headers=bearer(api, other["staff_no"])
        ),
        403,
    )


# -- managers ----------------------------------------------------------------------------------


def test_managers_read_and_change_hours_overrides_rules_and_policy(
    client, anon, deps, hall, api, demo
):
    manager = bearer(api, demo["manager"]["staff_no"])
    clerk = bearer(api, api.clerk(1)["staff_no"])
    hours = client.get(f"/api/v1/halls/{hall}/hours?from=2026-09-30&days=3").get_json()
    assert [d["holiday"] for d in hours["days"]] == [None, "国庆节", "国庆节"]
    new = {"regular": [{"weekdays": [1, 2, 3, 4, 5], "start": "08:30", "end": "17:30"}]}
    before = counts(deps)
    assert_error(
        client.put(f"/api/v1/halls/{hall}/hours", json=new, headers=clerk), 403, "forbidden"
    )
    assert_error(anon.put(f"/api/v1/halls/{hall}/hours", json=new), 401, "unauthorized")
    bad = {"regular": [{"weekdays": [8], "start": "08:30", "end": "17:30"}]}
    assert_error(client.put(f"/api/v1/halls/{hall}/hours", json=bad, headers=manager), 422)
    assert counts(deps) == before
    changed = client.put(f"/api/v1/halls/{hall}/hours", json=new, headers=manager).get_json()
    assert changed["hours"]["regular"][0]["start"] == "08:30"
    closed = client.put(
        f"/api/v1/halls/{hall}/hours/overrides/2026-11-27",
        json={"closed": True, "reason": "停电"},
        headers=manager,
    ).get_json()
    assert closed["day"]["sessions"] == []
    removed = client.delete(f"/api/v1/halls/{hall}/hours/overrides/2026-11-27", headers=manager)
    assert removed.status_code == 200 and removed.get_json()["day"]["sessions"]
    assert_error(
        client.delete(f"/api/v1/halls/{hall}/hours/overrides/2026-11-27", headers=manager), 404
    )
    policy = client.put(
        f"/api/v1/halls/{hall}/booking-policy",
        json={"check_in_before_minutes": 45},
        headers=manager,
    ).get_json()
    assert policy["policy"]["check_in_before_minutes"] == 45
    assert_error(
        client.put(
            f"/api/v1/halls/{hall}/booking-policy", json={"max_no_shows": 0}, headers=manager
        ),
        422,
    )
    rules = client.get(f"/api/v1/halls/{hall}/booking-rules").get_json()
    assert rules["policy"]["check_in_before_minutes"] == 45 and rules["default_is_builtin"]
    deadline = client.get(
        f"/api/v1/halls/{hall}/service-items/{item_id(deps, '370800-MZ-001')}/deadline?from=2026-09-28"
    )
    assert deadline.get_json()["due"] == "2026-10-30"


def test_home_visits_over_http(client, deps, hall, api, demo, notifier):
    agent = bearer(api, demo["agent"]["staff_no"])
    body = citizen(
        deps, kind="home_visit", day="2026-11-30", address="李家村3组12号", proxy_reason="disabled"
    )
    del body["start"]
    request = client.post(f"/api/v1/halls/{hall}/bookings", json=body, headers=agent)
    assert request.status_code == 201, request.get_json()
    visit = request.get_json()
    manager = bearer(api, demo["manager"]["staff_no"])
    clerk = api.clerk(1)
    assigned = client.post(
        f"/api/v1/home-visits/{visit['id']}/assign",
        json={"clerk": clerk["staff_no"]},
        headers=manager,
    )
    assert assigned.get_json()["state"] == "assigned"
    closed = client.post(
        f"/api/v1/home-visits/{visit['id']}/close",
        json={"outcome": "completed", "note": "已办结"},
        headers=bearer(api, clerk["staff_no"]),
    )
    assert closed.get_json()["state"] == "closed"
    mine = client.get("/api/v1/me/bookings", headers=agent).get_json()["bookings"]
    assert [b["id"] for b in mine] == [visit["id"]]
    listed = client.get(f"/api/v1/halls/{hall}/messages", headers=manager).get_json()["messages"]
    assert [m["kind"] for m in listed] == ["home_visit", "confirmation"]


def test_every_booking_route_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    for path, method in [
        ("/api/v1/halls/{hall}/bookings", "post"),
        ("/api/v1/halls/{hall}/checkin", "post"),
        ("/api/v1/windows/{window}/bookings", "get"),
        ("/api/v1/bookings/{code}/calendar.ics", "get"),
        ("/api/v1/halls/{hall}/hours/overrides/{day}", "delete"),
    ]:
        assert method in paths[path], path
    checkin = paths["/api/v1/halls/{hall}/checkin"]["post"]
    assert request_body_schema(document, checkin)["required"] == ["code"]
    assert {"201", "404", "409", "422", "429", "503"} <= set(checkin["responses"])
    assert "Idempotency-Key" in checkin["summary"]


# -- pages -------------------------------------------------------------------------------------


def test_the_booking_pages_are_chinese_first_and_private(client, hall):
    page = client.get(f"/book/{hall}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert html.index("网上预约") < html.index("Book an appointment")
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html
    assert "/static/book/book.js" in html and 'data-csrf=""' in html
    manage = client.get(f"/book/{hall}/manage").get_data(as_text=True)
    assert "输入预约码" in manage and 'data-mode="manage"' in manage
    missing = client.get("/book/999")
    assert missing.status_code == 404 and "找不到该服务大厅" in missing.get_data(as_text=True)


def test_a_signed_in_agent_sees_that_they_book_on_someones_behalf(client, demo, hall):
    login = client.post(
        "/api/v1/auth/login",
        json={"staff_no": demo["agent"]["staff_no"], "password": demo["agent"]["password"]},
    )
    assert login.status_code == 200
    html = client.get(f"/book/{hall}").get_data(as_text=True)
    assert "代办：李代办" in html and 'id="proxy_reason"' in html
    assert re.search(r'data-csrf="[^"]{20,}"', html)


def test_the_schedulers_minute_job_sends_a_due_reminder_once_through_the_deployments_notifier(
    deps, demo, clock
):
    from queue_server.bootstrap import JOB_MODULES
    from queue_server.services.booking import citizen as booking_citizen
    from queue_server.services.context import ANONYMOUS
    from queue_server.services.scheduler import registered_jobs

    data = citizen(deps, start=at(2026, 11, 30, 9, 0).isoformat())
    booking_citizen.book(deps, ANONYMOUS, demo["hall"], data)
    clock.current = at(2026, 11, 29, 10, 0)  # 23 hours before
    deps.notifier = FakeNotifier()
    [job] = [j for j in registered_jobs(JOB_MODULES) if j.name == "booking_housekeeping"]
    assert job.every.total_seconds() == 60
    assert job.run(deps)["reminded"] == 1
    assert job.run(deps)["reminded"] == 0  # the next minute: still one reminder
    assert deps.notifier.kinds() == ["reminder"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
BOOKING_FIELDS = ["item", "kind", "start", "day", "name", "phone", "id_number", "address", "note"]


def test_no_booking_body_however_odd_is_a_server_error_or_books_anything(app, deps, hall):
    """Fields of any JSON type or value: a clear 4xx each time, and no booking made."""
    anon = app.test_client()
    base = citizen(deps)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(BOOKING_FIELDS), JSON_VALUES, max_size=4))
    def check(changes: dict[str, Any]) -> None:
        body = {**base, **changes, "start": changes.get("start", "2026-11-27T09:07:00+08:00")}
        response = anon.post(f"/api/v1/halls/{hall}/bookings", json=body)
        assert response.status_code in (400, 403, 404, 409, 422), response.get_json()
        assert_error(response, response.status_code)
        codes = anon.post(f"/api/v1/halls/{hall}/checkin", json={"code": changes.get("name")})
        assert codes.status_code in (401, 404, 422, 429)

    check()
    assert counts(deps)["bookings"] == 0
