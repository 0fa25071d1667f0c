"""Booking on a phone, then at the hall, in a real browser against a real `hallq serve`:
search the service by pinyin initials, pick a day and a slot, give the details, get the code;
check in with it on the kiosk's keypad; be called first at the counter; the phone shows it.
Every page passes axe; screenshots are kept under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .conftest import ARTIFACTS, ROOT, Server, axe_audit, screenshot

pytestmark = pytest.mark.browser
# Thursday, 8 minutes before the 10:00 slot: its check-in is open and it is due for calling.
NINE_52 = {"HALLQ_CLOCK_START": "2026-11-26T09:52:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
PHONE = (360, 740)
ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("booking"), env=NINE_52)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def whole_page(page: Any, name: str) -> None:
    """A screenshot of the whole scrolling page, to look at every part of a step."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]


def test_book_on_a_phone_check_in_at_the_kiosk_and_be_called_first(hall, new_page):
    phone = new_page(*PHONE, has_touch=True, is_mobile=True)
    phone.goto(f"{hall.url}/book/{hall.demo['hall']}")
    phone.wait_for_selector("#items button")
    axe_audit(phone, "booking: choose the service")
    screenshot(phone, "book-1-service")
    no_sideways_scroll(phone)

    phone.fill("#q", "zdsh")  # 最低生活保障 by its pinyin initials
    phone.wait_for_function("document.querySelectorAll('#items button').length === 1")
    assert "最低生活保障申请" in phone.inner_text("#items")
    phone.locator("#items button").first.tap()
    phone.wait_for_selector("#days button[data-date='2026-11-26']:not([disabled])")
    assert "家庭收入情况声明" in phone.inner_text("#materials")  # 一次性告知
    assert phone.locator("#days button[data-date='2026-11-29']").is_disabled()  # Sunday
    phone.locator("#days button[data-date='2026-11-26']").tap()
    ten = phone.locator("#slots button[data-start='2026-11-26T10:00:00+08:00']")
    ten.wait_for()
    assert "余 3 个名额" in ten.inner_text()
    axe_audit(phone, "booking: day and time")
    whole_page(phone, "book-2-day-and-time")
    no_sideways_scroll(phone)
    ten.tap()

    phone.wait_for_selector("#step-details:not([hidden])")
    phone.fill("#name", "张三")
    phone.fill("#phone", "13800000000")
    phone.fill("#id_number", ID_NUMBER[:-1] + "0")  # a wrong check digit first
    phone.locator("#submit").tap()
    phone.wait_for_selector("#message:not([hidden])")
    assert "校验位不正确" in phone.inner_text("#message")
    phone.fill("#id_number", ID_NUMBER.lower())
    axe_audit(phone, "booking: details")
    screenshot(phone, "book-3-details")
    phone.locator("#submit").tap()

    phone.wait_for_selector("#step-done:not([hidden])")
    code = phone.inner_text("#code")
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code)
    done = phone.inner_text("#step-done")
    assert "预约成功" in done and "11月26日（周四）10:00–10:30" in done
    assert "张*" in done and "138****0000" in done and "1101**********002X" in done
    assert ID_NUMBER not in phone.content() and "13800000000" not in phone.content()
    phone.wait_for_function("document.getElementById('qr').naturalWidth > 0")  # the QR loads
    ics = requests.get(f"{hall.url}{phone.get_attribute('#ics', 'href')}", timeout=5)
    assert ics.status_code == 200 and "DTSTART:20261126T020000Z" in ics.text
    axe_audit(phone, "booking: the code")
    whole_page(phone, "book-4-code")
    no_sideways_scroll(phone)

    walk_in = hall.issue("A")  # someone already waiting without a booking

    kiosk = new_page(1080, 1920, has_touch=True)
    kiosk.goto(f"{hall.url}/kiosk/{hall.demo['hall']}?token={hall.demo['kiosk_token']}")
    kiosk.wait_for_selector("#kiosk[data-screen=home]")
    kiosk.locator("#tile-checkin").tap()
    kiosk.wait_for_selector("#kiosk[data-screen=checkin]")
    for char in code.replace("-", ""):
        kiosk.locator(f"#checkin-keypad .key[data-key='{char}']").tap()
    kiosk.locator("#checkin-keypad .key-ok").tap()
    kiosk.wait_for_selector("#kiosk[data-screen=ticket]")
    assert "签到成功" in kiosk.inner_text("#ticket-note")
    number = kiosk.inner_text("#ticket-number")
    token = kiosk.get_attribute("#ticket-qr", "src").split("/t/")[1].split("/")[0]
    screenshot(kiosk, "book-5-kiosk-check-in")

    ticket_page = new_page(*PHONE, has_touch=True, is_mobile=True)
    ticket_page.goto(f"{hall.url}/t/{token}")
    ticket_page.wait_for_selector("#number")
    assert ticket_page.inner_text("#number") == number

    hall.window(1, "open")
    called = hall.window(1, "call-next")
    assert called["ticket"]["number"] == number != walk_in["number"]  # the booking goes first
    ticket_page.wait_for_selector("#call:not([hidden])")
    assert "1" in ticket_page.inner_text("#call-window")
    screenshot(ticket_page, "book-6-called")

    phone.goto(f"{hall.url}/book/{hall.demo['hall']}/manage")
    phone.fill("#find-code", code.lower())
    phone.locator("#find-form button[type=submit]").tap()
    phone.wait_for_selector("#step-done:not([hidden])")
    assert "已签到" in phone.inner_text("#state")
    assert phone.inner_text("#done-ticket") == number
    assert phone.locator("#cancel").is_hidden()
    axe_audit(phone, "booking: look up by code")
    screenshot(phone, "book-7-manage")


def test_the_counter_bookings_widget_lists_todays_bookings_and_follows_check_in(hall, new_page):
    api = f"{hall.url}/api/v1/halls/{hall.demo['hall']}"
    item = requests.get(f"{api}/booking/items?q=gljt", timeout=5).json()["items"][0]
    assert item["name"] == "高龄津贴申请"
    booked = requests.post(
        f"{api}/bookings",
        json={
            "item": item["id"],
            "start": "2026-11-26T10:00:00+08:00",
            "name": "李四",
            "phone": "13900000000",
            "id_number": "110105194912310038",
        },
        timeout=5,
    )
    assert booked.status_code == 201, booked.text
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 1)
    page = new_page(1280, 800)
    signed_in = page.request.post(
        f"{hall.url}/api/v1/auth/login",
        data={"staff_no": clerk["staff_no"], "password": clerk["password"]},
    )
    assert signed_in.ok
    page.goto(f"{hall.url}/book/{hall.demo['hall']}")  # any page of the hall's origin
    partial = (ROOT / "templates" / "book" / "_counter_bookings.html").read_text()
    markup = re.sub(r"\{#.*?#\}", "", partial, flags=re.S)
    markup = re.sub(r"<script.*?</script>|<link[^>]*>", "", markup, flags=re.S)
    page.evaluate("html => { document.querySelector('main').innerHTML = html; }", markup)
    page.add_style_tag(url="/static/book/counter_bookings.css")
    page.add_script_tag(url="/static/book/counter_bookings.js")
    page.evaluate(
        "w => { window.widget = HallqCounterBookings.mount("
        "document.getElementById('counter-bookings'), {window: w, every: 300}); }",
        clerk["window"],
    )
    row = page.locator("#counter-bookings li:has-text('高龄津贴申请')")
    row.wait_for()
    assert "李*" in row.inner_text() and "1101**********0038" in row.inner_text()
    assert "可签到" in row.inner_text()
    assert "13900000000" not in page.content() and "110105194912310038" not in page.content()
    checked_in = requests.post(
        f"{api}/checkin",
        json={"code": booked.json()["code"]},
        headers={"Authorization": f"Bearer {hall.demo['kiosk_token']}"},
        timeout=5,
    )
    assert checked_in.status_code == 201, checked_in.text
    number = checked_in.json()["number"]
    page.wait_for_selector(f"#counter-bookings li:has-text('已签到 {number}')")
    axe_audit(page, "counter bookings widget")
    screenshot(page, "book-8-counter-widget")
