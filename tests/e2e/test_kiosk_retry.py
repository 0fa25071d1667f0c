"""The kiosk in a real browser when its ticket or check-in request fails: a busy server (503) or a
reply lost on the way. It shows 请稍候 and tries again with the same Idempotency-Key, so the
citizen gets exactly one ticket: never none when the server made one, never two for one tap."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.services.test_booking import id_number

from .conftest import Server
from .test_kiosk import book_first_slot

pytestmark = pytest.mark.browser
OPEN = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
TICKETS = "**/api/v1/halls/*/tickets"
CHECKIN = "**/api/v1/halls/*/checkin"
BUSY = {
    "error": "unavailable",
    "message": "系统繁忙，请稍候再试",
    "message_en": "The database is busy or unavailable; try again",
}


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("kiosk-retry"), env=OPEN)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def tickets(srv: Server) -> list[str]:
    """Every ticket number in the database."""
    db = sqlite3.connect(srv.instance / "hallq.db")
    try:
        return [row[0] for row in db.execute("SELECT number FROM tickets ORDER BY id")]
    finally:
        db.close()


def tap_take(new_page: Any, srv: Server, trouble: Any) -> tuple[Any, list[str]]:
    """Open the kiosk with `trouble` on the ticket requests, and tap 社会保险 → 不清楚 (a ticket)."""
    page = new_page(1080, 1920, has_touch=True)
    keys: list[str] = []

    def handle(route: Any, request: Any) -> None:
        if request.method != "POST":
            route.continue_()
            return
        keys.append(request.headers.get("idempotency-key", ""))
        trouble(route, len(keys))

    page.route(TICKETS, handle)
    page.goto(f"{srv.url}/kiosk/{srv.demo['hall']}?token={srv.demo['kiosk_token']}")
    page.wait_for_selector("#kiosk[data-screen=home]")
    page.locator(".tile-category", has_text="社会保险").tap()
    page.wait_for_selector("#screen-items:not(.arming)")
    page.locator("#item-list .choice-strong").tap()
    return page, keys


def assert_please_wait(page: Any) -> None:
    banner = page.locator("#retry-banner")
    banner.wait_for(state="visible", timeout=5000)
    assert "请稍候" in banner.inner_text()


def test_a_lost_reply_is_retried_and_the_citizen_gets_the_one_ticket_it_made(hall, new_page):
    before = tickets(hall)
    made: dict[str, Any] = {}

    def lose_first_reply(route: Any, attempt: int) -> None:
        if attempt == 1:
            made.update(route.fetch().json())  # the server issues the ticket…
            route.abort("connectionreset")  # …and its reply never reaches the kiosk
        else:
            route.continue_()

    page, keys = tap_take(new_page, hall, lose_first_reply)
    assert_please_wait(page)
    page.wait_for_selector("#kiosk[data-screen=ticket]", timeout=10000)
    assert page.inner_text("#ticket-number") == made["number"]
    assert page.is_hidden("#retry-banner")
    assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) >= 16
    assert tickets(hall) == [*before, made["number"]]  # exactly one new ticket


def test_a_busy_server_is_retried_with_backoff_and_one_ticket_comes_out(hall, new_page):
    before = tickets(hall)

    def busy_twice(route: Any, attempt: int) -> None:
        if attempt <= 2:
            route.fulfill(status=503, json=BUSY)
        else:
            route.continue_()

    page, keys = tap_take(new_page, hall, busy_twice)
    assert_please_wait(page)
    page.wait_for_selector("#kiosk[data-screen=ticket]", timeout=10000)
    after = tickets(hall)
    assert len(after) == len(before) + 1
    assert page.inner_text("#ticket-number") == after[-1]
    assert len(keys) == 3 and len(set(keys)) == 1


def test_when_the_server_stays_busy_the_kiosk_says_so_and_the_next_tap_is_a_new_request(
    hall, new_page
):
    before = tickets(hall)

    def always_busy(route: Any, attempt: int) -> None:
        route.fulfill(status=503, json=BUSY)

    page, keys = tap_take(new_page, hall, always_busy)
    assert_please_wait(page)
    page.wait_for_selector("#kiosk[data-screen=message]", timeout=15000)
    assert page.inner_text("#message-title") == "系统繁忙，请稍候再试"
    assert page.is_hidden("#retry-banner")
    assert len(keys) == 4 and len(set(keys)) == 1  # the tap and three retries, then it stops
    assert tickets(hall) == before

    page.unroute(TICKETS)
    page.locator("[data-action=home]").first.tap()
    page.wait_for_selector("#kiosk[data-screen=home]")
    page.locator(".tile-category", has_text="社会保险").tap()
    page.wait_for_selector("#screen-items:not(.arming)")
    page.locator("#item-list .choice-strong").tap()
    page.wait_for_selector("#kiosk[data-screen=ticket]")
    assert len(tickets(hall)) == len(before) + 1


# -- 预约签到 ------------------------------------------------------------------------------------


def tap_check_in(new_page: Any, srv: Server, trouble: Any, code: str) -> tuple[Any, list[str]]:
    """Open the kiosk with `trouble` on the check-in requests, and type the booking code."""
    page = new_page(1080, 1920, has_touch=True)
    keys: list[str] = []

    def handle(route: Any, request: Any) -> None:
        keys.append(request.headers.get("idempotency-key", ""))
        trouble(route, len(keys))

    page.route(CHECKIN, handle)
    page.goto(f"{srv.url}/kiosk/{srv.demo['hall']}?token={srv.demo['kiosk_token']}")
    page.wait_for_selector("#screen-home:not(.arming)")
    page.locator("#tile-checkin").tap()
    page.wait_for_selector("#screen-checkin:not(.arming)")
    for char in code.replace("-", ""):
        page.locator(f"#checkin-keypad .key[data-key='{char}']").tap()
    page.locator("#checkin-keypad .key-ok").tap()
    return page, keys


def booking_state(srv: Server, code: str) -> str:
    return str(requests.get(f"{srv.url}/api/v1/bookings/{code}", timeout=5).json()["state"])


def test_a_lost_check_in_reply_is_retried_and_the_citizen_gets_the_one_ticket_it_made(
    hall, new_page
):
    code = book_first_slot(hall, id_number(101))
    before = tickets(hall)
    made: dict[str, Any] = {}

    def lose_first_reply(route: Any, attempt: int) -> None:
        if attempt == 1:
            made.update(route.fetch().json())  # the server checks in and issues the ticket…
            route.abort("connectionreset")  # …and its reply never reaches the kiosk
        else:
            route.continue_()

    page, keys = tap_check_in(new_page, hall, lose_first_reply, code)
    assert_please_wait(page)
    assert "签到" in page.inner_text("#retry-banner")
    page.wait_for_selector("#kiosk[data-screen=ticket]", timeout=10000)
    assert page.inner_text("#ticket-number") == made["number"]
    assert "签到成功" in page.inner_text("#ticket-note")  # not "already checked in"
    assert page.is_hidden("#retry-banner")
    assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) >= 16
    assert tickets(hall) == [*before, made["number"]]  # exactly one new ticket
    assert booking_state(hall, code) == "checked_in"


def test_a_busy_server_on_check_in_is_retried_and_one_ticket_comes_out(hall, new_page):
    code = book_first_slot(hall, id_number(102))
    before = tickets(hall)

    def busy_twice(route: Any, attempt: int) -> None:
        if attempt <= 2:
            route.fulfill(status=503, json=BUSY)
        else:
            route.continue_()

    page, keys = tap_check_in(new_page, hall, busy_twice, code)
    assert_please_wait(page)
    page.wait_for_selector("#kiosk[data-screen=ticket]", timeout=10000)
    after = tickets(hall)
    assert len(after) == len(before) + 1
    assert page.inner_text("#ticket-number") == after[-1]
    assert "签到成功" in page.inner_text("#ticket-note")
    assert len(keys) == 3 and len(set(keys)) == 1
