"""The self-service kiosk in a real browser against a real `hallq serve`: a ticket by touch on a
portrait and a landscape screen, 绿色通道, the pinyin guide, idle timeout, a double tap, the
kiosk lock, a broken printer, an unauthorised device and a closed hall."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import Server, axe_audit, screenshot

pytestmark = pytest.mark.browser
OPEN = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
EVENING = {"HALLQ_CLOCK_START": "2026-11-26T20:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
PORTRAIT = (1080, 1920)
CJK = re.compile(r"[\u4e00-\u9fff]")
LANDSCAPE = (1920, 1080)

# Every visible text node whose font is smaller than 28 px (the kiosk's floor).
SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 28) small.push(`${el.tagName} "${node.textContent.trim().slice(0, 20)}" ${size}px`);
  }
  return small;
}"""


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server in opening hours, its kiosk printing to a file."""
    instance = tmp_path_factory.mktemp("kiosk")
    srv = Server(instance, env=OPEN)
    srv.seed("--printer", f"file://{printer_file(srv)}")
    srv.start()
    yield srv
    srv.stop()


def printer_file(srv: Server) -> Path:
    """Where the kiosk's file:// printer appends its tickets."""
    return srv.instance / "ticket.bin"


def kiosk(new_page: Any, srv: Server, size: tuple[int, int], query: str = "") -> Any:
    """The kiosk page on a touchscreen of that size, home screen shown."""
    page = new_page(*size, has_touch=True)
    page.goto(f"{srv.url}/kiosk/{srv.demo['hall']}?token={srv.demo['kiosk_token']}{query}")
    on_screen(page, "home")
    return page


def on_screen(page: Any, name: str) -> None:
    page.wait_for_selector(f"#kiosk[data-screen={name}]")
    page.wait_for_selector(f"#screen-{name}:not(.arming)")


def assert_large_text(page: Any, where: str) -> None:
    assert page.evaluate(SMALL_TEXT) == [], f"text under 28 px on {where}"


def waiting(srv: Server, prefix: str) -> int:
    categories = requests.get(
        f"{srv.url}/api/v1/halls/{srv.demo['hall']}/categories", timeout=5
    ).json()["categories"]
    return int(next(c["waiting"] for c in categories if c["prefix"] == prefix))


def ticket_token(page: Any) -> str:
    src = page.get_attribute("#ticket-qr", "src")
    assert src and src.startswith("/t/") and src.endswith("/qr.svg")
    return str(src[3:-7])


def kiosk_alarms(srv: Server) -> list[dict[str, Any]]:
    """The hall's open alarms of the kiosk (the hall has others, e.g. a missing holiday year)."""
    alarms = requests.get(f"{srv.url}/api/v1/halls/{srv.demo['hall']}/alarms", timeout=5).json()
    return [a for a in alarms["alarms"] if a["device_id"] == srv.demo["kiosk_id"]]


def manager_put_printer(srv: Server, url: str) -> None:
    token = srv.manager_token()
    response = requests.put(
        f"{srv.url}/api/v1/kiosks/{srv.demo['kiosk_id']}/printer",
        json={"printer": url},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_a_ticket_in_three_taps_on_a_portrait_kiosk(hall, new_page):
    page = kiosk(new_page, hall, PORTRAIT)
    assert "token=" not in page.url, "the device token leaves the address bar"
    assert page.evaluate("localStorage.getItem('hallq.kiosk.token')") == hall.demo["kiosk_token"]
    assert page.locator(".tile-category").count() == 6
    assert_large_text(page, "home")
    axe_audit(page, "kiosk home (portrait)")
    screenshot(page, "kiosk-portrait-home")

    page.locator(".tile-category", has_text="社会保险").tap()  # tap 1
    on_screen(page, "items")
    assert page.locator("#item-list .choice").count() == 4  # three items and 不清楚
    assert_large_text(page, "items")
    axe_audit(page, "kiosk items (portrait)")
    screenshot(page, "kiosk-portrait-items")

    page.locator("#item-list .choice", has_text="社会保障卡申领").tap()  # tap 2
    on_screen(page, "notice")
    notice = page.locator("#notice-body")
    assert "居民身份证" in notice.inner_text() and "近期免冠照片" in notice.inner_text()
    assert "不收费" in notice.inner_text() and "即办" in notice.inner_text()
    assert_large_text(page, "notice")
    axe_audit(page, "kiosk notice (portrait)")
    screenshot(page, "kiosk-portrait-notice")

    page.locator("#take").tap()  # tap 3
    on_screen(page, "ticket")
    number = page.inner_text("#ticket-number")
    assert number.startswith("B")
    assert "社会保险 · 社会保障卡申领" in page.inner_text("#ticket-category")
    page.wait_for_function("document.getElementById('ticket-qr').naturalWidth > 0")
    page.wait_for_selector("#kiosk[data-print=printed]")
    assert "请取走" in page.inner_text("#print-status")
    assert_large_text(page, "ticket")
    axe_audit(page, "kiosk ticket (portrait)")
    screenshot(page, "kiosk-portrait-ticket")
    printed = printer_file(hall).read_bytes()
    assert number.encode() in printed and "社会保障卡申领".encode("gb18030") in printed
    assert f"{hall.url}/t/{ticket_token(page)}".encode() in printed


def test_a_ticket_on_a_landscape_kiosk_for_someone_not_sure_what_they_need(hall, new_page):
    before = waiting(hall, "A")
    page = kiosk(new_page, hall, LANDSCAPE)
    assert_large_text(page, "home (landscape)")
    axe_audit(page, "kiosk home (landscape)")
    screenshot(page, "kiosk-landscape-home")
    page.locator(".tile-category", has_text="综合受理").tap()
    on_screen(page, "items")
    page.locator("#item-list .choice", has_text="不清楚办哪一项").tap()
    on_screen(page, "ticket")
    assert page.inner_text("#ticket-number").startswith("A")
    if before:
        assert f"前面还有 {before} 人" in page.inner_text("#ticket-ahead")
    page.wait_for_selector("#kiosk[data-print=printed]")
    axe_audit(page, "kiosk ticket (landscape)")
    screenshot(page, "kiosk-landscape-ticket")
    assert waiting(hall, "A") == before + 1


def test_green_channel_is_one_tap_from_home(hall, new_page):
    page = kiosk(new_page, hall, PORTRAIT)
    page.locator("#tile-green").tap()
    on_screen(page, "green")
    axe_audit(page, "kiosk green channel kinds")
    screenshot(page, "kiosk-green-kinds")
    page.locator("#green-kinds .choice", has_text="老年人").tap()
    on_screen(page, "green-categories")
    assert "绿色通道·老年人" in page.inner_text("#green-cat-title")
    axe_audit(page, "kiosk green channel categories")
    screenshot(page, "kiosk-green-categories")
    page.locator("#green-categories .choice", has_text="医疗保险").tap()
    on_screen(page, "ticket")
    assert page.inner_text("#ticket-priority") == "绿色通道 · 老年人"
    ticket = requests.get(f"{hall.url}/api/v1/tickets/{ticket_token(page)}", timeout=5).json()
    assert ticket["priority"] == "elderly" and ticket["category"]["prefix"] == "C"
    screenshot(page, "kiosk-green-ticket")


def test_the_guide_finds_social_insurance_by_pinyin_initials(hall, new_page):
    page = kiosk(new_page, hall, LANDSCAPE)
    page.locator("#tile-guide").tap()
    on_screen(page, "guide")
    page.wait_for_selector("#guide-results .choice")
    page.locator("#guide-keyboard .key", has_text="S").tap()
    page.locator("#guide-keyboard .key", has_text="B").tap()
    assert page.inner_text("#guide-query") == "SB"
    page.wait_for_function(
        "document.querySelector('#guide-results .choice') &&"
        " document.getElementById('guide-results').innerText.includes('社会保障卡申领') &&"
        " !document.getElementById('guide-results').innerText.includes('户口迁移')"
    )
    assert_large_text(page, "guide")
    axe_audit(page, "kiosk guide search")
    screenshot(page, "kiosk-guide-sb")
    page.locator("#guide-results .choice", has_text="社会保障卡申领").tap()
    on_screen(page, "notice")
    assert "近期免冠照片" in page.inner_text("#notice-body")
    assert page.locator("#take").is_enabled()


def test_idle_kiosk_goes_home_and_back_to_chinese(hall, new_page):
    page = kiosk(new_page, hall, PORTRAIT, "&idle=2")
    page.locator("#lang-switch").tap()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator(".tile-category", has_text="Household registration").count() == 1
    screenshot(page, "kiosk-english-home")
    started = time.monotonic()
    page.locator(".tile-category", has_text="Household registration").tap()
    on_screen(page, "items")
    page.wait_for_selector("#kiosk[data-screen=home]", timeout=6000)
    assert time.monotonic() - started >= 1.5, "not before the idle time"
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert page.inner_text("#home-title") == "请选择要办理的业务"


def test_the_english_kiosk_names_the_service_items_in_english(hall, new_page):
    page = kiosk(new_page, hall, PORTRAIT)
    page.locator("#lang-switch").tap()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.locator("#tile-guide").tap()
    on_screen(page, "guide")
    for letter in "BIRTH":
        page.locator(f"#guide-keyboard .key[data-key='{letter}']").tap()
    page.wait_for_function(
        "document.getElementById('guide-results').innerText.includes('Birth registration')"
    )
    assert not CJK.search(" ".join(page.locator("#guide-results .choice-name").all_inner_texts()))

    page.locator("[data-action=home]").first.tap()
    on_screen(page, "home")
    page.locator(".tile-category", has_text="Social insurance").tap()
    on_screen(page, "items")
    names = page.locator("#item-list .choice-name").all_inner_texts()
    assert names == [
        "Resident basic pension insurance enrolment",
        "Resident pension benefit claim",
        "Social security card application",
        "Not sure which one?",
    ]
    details = page.locator("#item-list .choice-detail").all_inner_texts()
    assert details[0] == "On the spot · No fee" and not CJK.search(" ".join(details))
    screenshot(page, "kiosk-english-items")
    page.locator("#item-list .choice", has_text="Social security card application").tap()
    on_screen(page, "notice")
    assert page.inner_text("#notice-title") == "Social security card application"
    assert not CJK.search(page.inner_text(".notice-facts dd >> nth=1"))
    notice = page.inner_text("#notice-body")
    assert "Resident ID card" in notice and "Social Security Office" in notice
    assert "Residents registered or living in this area" in notice
    assert not CJK.search(notice), "materials, department and conditions in English"
    named = page.evaluate(
        "() => [...document.querySelectorAll('[aria-label]')].filter(e =>"
        " ['P', 'DIV', 'SPAN'].includes(e.tagName) && !e.getAttribute('role')).length"
    )
    assert named == 0, "an aria-label on a plain p, div or span is never read"
    clock = page.locator("#clock")
    assert (
        clock.get_attribute("role") == "timer"
        and clock.get_attribute("aria-label") == "Current time"
    )
    assert not CJK.search(clock.inner_text()), "the clock in English too"
    screenshot(page, "kiosk-english-notice")
    page.locator("#take").tap()
    on_screen(page, "ticket")
    category = page.inner_text("#ticket-category")
    assert category == "Social insurance · Social security card application"


def test_an_item_without_some_english_falls_back_to_chinese_field_by_field(hall, new_page):
    api = f"{hall.url}/api/v1"
    headers = {"Authorization": f"Bearer {hall.manager_token()}"}
    items = requests.get(
        f"{api}/admin/halls/{hall.demo['hall']}/service-items", headers=headers, timeout=5
    ).json()["items"]
    item = next(i for i in items if i["name"] == "出生登记")
    changed = requests.patch(
        f"{api}/admin/service-items/{item['id']}",
        json={"materials_en": [], "department_en": "Police Station (hukou desk)"},
        headers=headers,
        timeout=5,
    )
    assert changed.status_code == 200, changed.text
    page = kiosk(new_page, hall, PORTRAIT)
    page.locator("#lang-switch").tap()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.locator(".tile-category", has_text="Household registration").tap()
    on_screen(page, "items")
    page.locator("#item-list .choice", has_text="Birth registration").tap()
    on_screen(page, "notice")
    materials = page.locator("#notice-body ol li").all_inner_texts()
    assert materials == ["出生医学证明", "父母户口簿", "父母身份证"], "no English given: Chinese"
    assert "Police Station (hukou desk)" in page.inner_text(".notice-facts")
    assert "Residents registered or living in this area" in page.inner_text("#notice-body")


def test_the_ticket_stays_at_least_ten_seconds_then_home(hall, new_page):
    page = new_page(*PORTRAIT, has_touch=True)
    page.clock.install()
    page.goto(f"{hall.url}/kiosk/{hall.demo['hall']}?token={hall.demo['kiosk_token']}")
    page.wait_for_selector("#kiosk[data-screen=home]")
    page.locator(".tile-category", has_text="户籍办理").tap()
    on_screen(page, "items")
    page.locator("#item-list .choice", has_text="出生登记").tap()
    on_screen(page, "notice")
    page.locator("#take").tap()
    on_screen(page, "ticket")
    page.wait_for_selector("#kiosk[data-print=printed]")
    page.clock.fast_forward(9_500)
    assert page.get_attribute("#kiosk", "data-screen") == "ticket"
    page.clock.fast_forward(6_000)
    page.wait_for_selector("#kiosk[data-screen=home]")


def test_done_on_the_ticket_screen_goes_straight_back_to_the_start(hall, new_page):
    page = kiosk(new_page, hall, PORTRAIT)
    page.locator(".tile-category", has_text="户籍办理").tap()
    on_screen(page, "items")
    page.locator("#item-list .choice", has_text="出生登记").tap()
    on_screen(page, "notice")
    page.locator("#take").tap()
    on_screen(page, "ticket")
    page.wait_for_selector("#kiosk[data-print=printed]")
    assert page.inner_text("#ticket-done") == "完成"
    screenshot(page, "kiosk-portrait-ticket-done")
    started = time.monotonic()
    page.locator("#ticket-done").tap()
    on_screen(page, "home")
    assert time.monotonic() - started < 3, "the next citizen does not wait for the countdown"


def test_a_double_tap_takes_one_ticket(hall, new_page):
    page = kiosk(new_page, hall, PORTRAIT)
    tile = page.locator(".tile-category", has_text="居民医保缴费")
    box = tile.bounding_box()
    page.touchscreen.tap(box["x"] + 40, box["y"] + 40)
    page.touchscreen.tap(box["x"] + 40, box["y"] + 40)
    on_screen(page, "items")
    time.sleep(0.2)
    assert page.get_attribute("#kiosk", "data-screen") == "items", "the second tap chose nothing"
    page.locator("#item-list .choice", has_text="城乡居民医保年度缴费").tap()
    on_screen(page, "notice")
    before = waiting(hall, "F")
    take = page.locator("#take").bounding_box()
    x, y = take["x"] + take["width"] / 2, take["y"] + take["height"] / 2
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)
    page.mouse.dblclick(x, y)
    on_screen(page, "ticket")
    time.sleep(1.0)
    assert waiting(hall, "F") == before + 1


def test_the_kiosk_cannot_be_navigated_away_from(hall, new_page):
    page = kiosk(new_page, hall, LANDSCAPE)
    page.locator("#tile-guide").tap()
    on_screen(page, "guide")
    page.go_back()
    page.wait_for_selector("#kiosk[data-screen=home]")
    assert page.url == f"{hall.url}/kiosk/{hall.demo['hall']}"
    page.keyboard.press("Alt+ArrowLeft")
    page.keyboard.press("Backspace")
    time.sleep(0.3)
    assert page.url == f"{hall.url}/kiosk/{hall.demo['hall']}"
    prevented = page.evaluate(
        "() => !document.body.dispatchEvent(new MouseEvent('contextmenu', {cancelable: true, bubbles: true}))"
    )
    assert prevented, "no context menu"


def test_a_broken_printer_asks_for_a_photo_and_the_ticket_stays_on_screen(hall, new_page):
    manager_put_printer(hall, "file:///nonexistent-hallq-dir/ticket.bin")
    try:
        page = kiosk(new_page, hall, PORTRAIT)
        page.locator(".tile-category", has_text="不动产登记").tap()
        on_screen(page, "items")
        page.locator("#item-list .choice", has_text="不动产登记信息查询").tap()
        on_screen(page, "notice")
        page.locator("#take").tap()
        on_screen(page, "ticket")
        page.wait_for_selector("#photo-notice:not([hidden])", timeout=8000)
        assert "请用手机拍照保存本页面" in page.inner_text("#photo-notice")
        assert page.is_visible("#ticket-qr") and page.inner_text("#ticket-number").startswith("E")
        alarms = kiosk_alarms(hall)
        assert [a["kind"] for a in alarms] == ["printer_offline"]
        assert alarms[0]["device_id"] == hall.demo["kiosk_id"]
        countdown = page.inner_text("#countdown")
        assert int(countdown.split()[0]) >= 20, "more time to take the photo"
        assert_large_text(page, "ticket with a broken printer")
        axe_audit(page, "kiosk ticket, printer down")
        screenshot(page, "kiosk-printer-down")
    finally:
        manager_put_printer(hall, f"file://{printer_file(hall)}")
    page = kiosk(new_page, hall, PORTRAIT)
    page.locator(".tile-category", has_text="不动产登记").tap()
    on_screen(page, "items")
    page.locator("#item-list .choice", has_text="不清楚办哪一项").tap()
    on_screen(page, "ticket")
    page.wait_for_selector("#kiosk[data-print=printed]", timeout=8000)
    assert kiosk_alarms(hall) == [], "a good print clears the alarm"


def book_first_slot(srv: Server, id_number: str = "11010519491231002X") -> str:
    """Book today's first free slot of the first bookable item, as a citizen's phone would."""
    hall = f"{srv.url}/api/v1/halls/{srv.demo['hall']}"
    item = requests.get(f"{hall}/booking/items", timeout=5).json()["items"][0]["id"]
    slots = requests.get(f"{hall}/booking/items/{item}/slots?date=2026-11-26", timeout=5).json()
    start = next(s["start"] for s in slots["slots"] if s["free"])
    booked = requests.post(
        f"{hall}/bookings",
        json={
            "item": item,
            "start": start,
            "name": "张三",
            "phone": "13800000000",
            "id_number": id_number,
        },
        timeout=5,
    )
    assert booked.status_code == 201, booked.text
    return str(booked.json()["code"])


def test_appointment_check_in_on_the_keypad(hall, new_page):
    code = book_first_slot(hall)  # shown to the citizen as K7WQ-3MPA
    page = kiosk(new_page, hall, PORTRAIT)
    page.locator("#tile-checkin").tap()
    on_screen(page, "checkin")
    assert page.is_hidden("#checkin-unavailable")
    for char in code.replace("-", ""):
        page.locator(f"#checkin-keypad .key[data-key='{char}']").tap()
    assert page.inner_text("#checkin-code") == code
    assert_large_text(page, "check-in keypad")
    axe_audit(page, "kiosk check-in keypad")
    screenshot(page, "kiosk-check-in-keypad")
    page.locator("#checkin-keypad .key-ok").tap()
    on_screen(page, "ticket")
    assert "签到成功" in page.inner_text("#ticket-note")
    ticket = requests.get(f"{hall.url}/api/v1/tickets/{ticket_token(page)}", timeout=5).json()
    assert ticket["appointment"] is True
    page.wait_for_selector("#kiosk[data-print=printed]")
    screenshot(page, "kiosk-check-in-ticket")


def test_a_check_in_refusal_says_what_to_do_not_to_try_again(hall, new_page):
    code = book_first_slot(hall, "110105194912310054")
    first = requests.post(
        f"{hall.url}/api/v1/halls/{hall.demo['hall']}/checkin",
        json={"code": code},
        headers={"Authorization": f"Bearer {hall.demo['kiosk_token']}"},
        timeout=5,
    )
    assert first.status_code in (200, 201), first.text
    page = kiosk(new_page, hall, LANDSCAPE)
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")
    page.wait_for_selector("#kiosk[data-screen=message]")
    assert "已签到，请留意叫号" in page.inner_text("#message-title")
    assert page.inner_text("#message-en").startswith("This booking is already checked in")
    help_text = page.inner_text("#message-help")
    assert "请稍后再试" not in help_text and "服务台" in help_text
    screenshot(page, "kiosk-check-in-already")


def test_a_scanned_unknown_booking_code_is_refused_and_takes_no_ticket(hall, new_page):
    page = kiosk(new_page, hall, LANDSCAPE)
    home = requests.get(f"{hall.url}/api/v1/halls/{hall.demo['hall']}/kiosk", timeout=5).json()
    before = sum(c["waiting"] for c in home["categories"])
    page.keyboard.type("HQ7Y-3K9P", delay=5)  # a keyboard-wedge scanner types fast, then Enter
    page.keyboard.press("Enter")
    page.wait_for_selector("#kiosk[data-screen=message]")
    assert re.search(r"[\u4e00-\u9fff]", page.inner_text("#message-title"))
    axe_audit(page, "kiosk check-in refused")
    screenshot(page, "kiosk-check-in-refused")
    after = requests.get(f"{hall.url}/api/v1/halls/{hall.demo['hall']}/kiosk", timeout=5).json()
    assert sum(c["waiting"] for c in after["categories"]) == before


def test_a_kiosk_without_a_valid_token_says_so_to_staff(hall, new_page):
    page = new_page(*LANDSCAPE, has_touch=True)
    page.goto(f"{hall.url}/kiosk/{hall.demo['hall']}?token=not-a-device-token")
    page.wait_for_selector("#kiosk[data-screen=unauthorized]")
    assert "设备未授权" in page.inner_text("#message-title")
    assert "token=" in page.inner_text("#message-help")
    assert page.locator(".tile-category").count() == 0
    axe_audit(page, "kiosk unauthorised")
    screenshot(page, "kiosk-unauthorised")


@pytest.fixture(scope="module")
def closed_hall(hall: Server) -> Iterator[Server]:
    """The same hall served by a second process whose clock says Thursday 20:30."""
    srv = Server(hall.instance, env=EVENING)
    srv.demo = hall.demo
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def evening_hall(hall: Server) -> Iterator[Server]:
    """The same hall at Thursday 17:30, in its appointment-only evening session (延时服务)."""
    srv = Server(
        hall.instance,
        env={"HALLQ_CLOCK_START": "2026-11-26T17:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"},
    )
    srv.demo = hall.demo
    srv.start()
    yield srv
    srv.stop()


def test_the_evening_session_says_what_is_open(evening_hall, new_page):
    page = kiosk(new_page, evening_hall, PORTRAIT)
    title = page.inner_text("#home-title")
    assert "不是办公时间" not in title and "预约" in title and "签到" in title
    assert page.is_visible("#tile-checkin")
    axe_audit(page, "kiosk evening session")
    screenshot(page, "kiosk-evening-session")
    page.locator("#lang-switch").tap()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "closed" not in page.inner_text("#home-title")


def test_a_closed_hall_says_when_it_opens_and_the_guide_still_works(closed_hall, new_page):
    page = kiosk(new_page, closed_hall, PORTRAIT)
    assert page.inner_text("#home-title") == "现在不是办公时间"
    assert page.inner_text("#closed-notice") == "本厅将于 11月27日 09:00 开放"
    assert page.locator(".tile-category:visible").count() == 0
    assert not page.is_visible("#tile-green")
    assert "扫码预约" in page.inner_text("#closed-booking"), "booking offered instead"
    page.wait_for_function("document.getElementById('booking-qr').naturalWidth > 0")
    assert_large_text(page, "closed home")
    axe_audit(page, "kiosk closed")
    screenshot(page, "kiosk-closed")
    page.locator("#tile-guide").tap()
    on_screen(page, "guide")
    page.locator("#guide-results .choice", has_text="户口迁移").tap()
    on_screen(page, "notice")
    assert not page.locator("#take").is_enabled()
    assert "本厅将于 11月27日 09:00 开放" in page.inner_text("#take-closed")
    screenshot(page, "kiosk-closed-notice")
