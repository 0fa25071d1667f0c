"""The citizen's phone page in a real browser on a 360-px phone: live from waiting to "3 people
ahead" to 请到 N 号窗口办理 as a clerk calls through the API, with vibration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Server, axe_audit, screenshot

pytestmark = pytest.mark.browser
OPEN = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
PHONE = (360, 740)

# Record vibrations instead of buzzing: the page calls navigator.vibrate when it alerts.
RECORD_VIBRATIONS = """
window.__vibrations = [];
Object.defineProperty(navigator, 'vibrate', {
  value: (pattern) => { window.__vibrations.push(pattern); return true; }, configurable: true
});
"""


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("phone"), env=OPEN)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def phone(new_page: Any, srv: Server, token: str) -> Any:
    page = new_page(*PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.add_init_script(RECORD_VIBRATIONS)
    page.goto(f"{srv.url}/t/{token}")
    page.wait_for_selector("#connection:has-text('Live')")
    return page


def test_phone_page_follows_the_ticket_from_waiting_to_called(hall, new_page):
    for _ in range(4):
        hall.issue("F")
    mine = hall.issue("F")
    page = phone(new_page, hall, mine["token"])
    assert page.inner_text("#number") == mine["number"]
    assert "等候中" in page.inner_text("#state")
    assert page.inner_text("#ahead") == "4"
    assert page.is_hidden("#soon") and page.is_hidden("#call")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0], "no sideways scroll"
    axe_audit(page, "phone page, waiting")
    screenshot(page, "phone-waiting")
    page.tap("#number")  # touched once: from now on the page may vibrate

    hall.window(8, "open")
    hall.window(8, "call-next")  # F001: three people ahead of the citizen now
    page.wait_for_selector("#soon:not([hidden])")
    assert "前面还有 3 人" in page.inner_text("#soon-text")
    assert page.inner_text("#ahead") == "3"
    assert page.evaluate("window.__vibrations.length") == 1, "a buzz: time to walk back"
    screenshot(page, "phone-three-ahead")

    for _ in range(3):
        hall.window(8, "call-next")  # F002, F003, F004: the citizen is next
    page.wait_for_function("document.getElementById('ahead').textContent === '0'")
    assert page.inner_text("#wait") == "即将叫号"  # never 约 0 分钟
    assert "0 分钟" not in page.inner_text("#figures")
    hall.window(8, "call-next")  # the citizen's ticket
    page.wait_for_selector("#call:not([hidden])")
    call = page.inner_text("#call")
    assert "请到 8 号窗口办理" in call.replace("\n", "") and "window 8" in call
    assert "已叫号" in page.inner_text("#state")
    assert page.is_hidden("#figures") and page.is_hidden("#soon")
    assert page.evaluate("window.__vibrations.length") == 2
    assert page.get_attribute("#phone", "data-alerts") == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    axe_audit(page, "phone page, called")
    screenshot(page, "phone-called")

    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # a poll: no re-alert
    page.wait_for_timeout(500)
    assert page.get_attribute("#phone", "data-alerts") == "1"
    hall.window(8, "recall")
    page.wait_for_function("document.getElementById('phone').dataset.alerts === '2'")
    hall.window(8, "start")
    page.wait_for_selector("#phone[data-state=serving]")
    assert page.is_hidden("#call")
    hall.window(8, "finish")
    page.wait_for_selector("#phone[data-state=done]")
    assert "已办结" in page.inner_text("#state")
    # Over: no sound alerts on offer any more, and the visit can be rated from here.
    assert page.is_hidden("#enable-alerts")
    assert page.get_attribute("#rate-link", "href") == f"/evaluate/ticket/{mine['token']}"
    axe_audit(page, "phone page, finished")
    screenshot(page, "phone-finished")
    page.click("#rate-link")
    page.wait_for_url(f"**/evaluate/ticket/{mine['token']}")
    assert mine["number"] in page.inner_text("h1")


def test_the_phone_page_does_not_try_to_vibrate_before_a_tap(hall, new_page):
    mine = hall.issue("F")
    page = new_page(*PHONE, is_mobile=True, has_touch=True)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.add_init_script(
        "window.__tries = 0; const real = navigator.vibrate.bind(navigator);"
        " navigator.vibrate = (p) => { window.__tries += 1; return real(p); };"
    )
    page.goto(f"{hall.url}/t/{mine['token']}")
    page.wait_for_selector("#connection:has-text('Live')")
    hall.window(8, "call-next")
    page.wait_for_selector("#call:not([hidden])")
    assert page.evaluate("window.__tries") == 0
    assert not [m for m in messages if "vibrate" in m], messages
    hall.window(8, "start")
    hall.window(8, "finish")


def test_the_kiosk_qr_code_leads_to_the_phone_page(hall, new_page):
    ticket = hall.issue("A")
    page = new_page(*PHONE, is_mobile=True, has_touch=True)
    response = page.goto(f"{hall.url}/t/{ticket['token']}/qr.svg")
    assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert ticket["phone_url"] == f"{hall.url}/t/{ticket['token']}"
    page.goto(ticket["phone_url"])
    assert page.inner_text("#number") == ticket["number"]


def test_an_unknown_ticket_link_says_so_in_chinese(hall, new_page):
    page = new_page(*PHONE, is_mobile=True, has_touch=True)
    response = page.goto(f"{hall.url}/t/AAAAAAAAAAAAAAAA")
    assert response.status == 404
    assert "找不到该号" in page.inner_text("h1")
    axe_audit(page, "phone page, unknown ticket")
    screenshot(page, "phone-unknown")
