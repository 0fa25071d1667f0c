"""The kiosk on the first days of 2027, a year the installed chinesecalendar (1.11) has no holiday
notice for, in a real browser against a real `hallq serve` whose clock starts then: closed on
元旦 (a statutory day by law) saying when it opens, open and handing out tickets on Monday
4 January, with no word to citizens about holiday data; a phone books that Monday in December
and is told the year's schedule is not out yet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import ARTIFACTS, Server, axe_audit, screenshot
from .test_kiosk import PORTRAIT, assert_large_text, kiosk, on_screen

pytestmark = pytest.mark.browser
FIRST_MONDAY = {"HALLQ_CLOCK_START": "2027-01-04T10:00:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
NEW_YEARS_DAY = {"HALLQ_CLOCK_START": "2027-01-01T10:00:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
DECEMBER_29 = {"HALLQ_CLOCK_START": "2026-12-29T10:00:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}


@pytest.fixture(scope="module")
def monday(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("new-year"), env=FIRST_MONDAY)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def new_years_day(monday: Server) -> Iterator[Server]:
    """The same hall served by a second process whose clock says 1 January 2027, 10:00."""
    srv = Server(monday.instance, env=NEW_YEARS_DAY)
    srv.demo = monday.demo
    srv.start()
    yield srv
    srv.stop()


def test_on_4_january_2027_the_kiosk_hands_out_a_ticket(monday, new_page):
    assert monday.issue("A")["number"].startswith("A")  # the API, as a kiosk asks it
    page = kiosk(new_page, monday, PORTRAIT)
    assert page.inner_text("#home-title") != "现在不是办公时间"
    assert "节假日" not in page.inner_text("body") and "更新" not in page.inner_text("body")
    page.locator(".tile-category", has_text="社会保险").tap()
    on_screen(page, "items")
    page.locator("#item-list .choice", has_text="社会保障卡申领").tap()
    on_screen(page, "notice")
    page.locator("#take").tap()
    on_screen(page, "ticket")
    assert page.inner_text("#ticket-number").startswith("B")
    assert_large_text(page, "ticket")
    axe_audit(page, "kiosk ticket on 4 January 2027")
    screenshot(page, "kiosk-2027-01-04-ticket")


def test_on_new_years_day_2027_the_kiosk_is_closed_and_says_when_it_opens(new_years_day, new_page):
    page = kiosk(new_page, new_years_day, PORTRAIT)
    assert page.inner_text("#home-title") == "现在不是办公时间"
    notice = page.inner_text("#closed-notice")
    assert notice.startswith("本厅将于 1月") and "开放" in notice
    body = page.inner_text("body")
    assert "节假日数据" not in body and "更新" not in body and "无法" not in body
    assert page.locator(".tile-category:visible").count() == 0
    axe_audit(page, "kiosk closed on New Year's Day 2027")
    screenshot(page, "kiosk-2027-01-01-closed")


@pytest.fixture(scope="module")
def december(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("december"), env=DECEMBER_29)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def test_a_phone_books_the_first_monday_of_2027_and_is_told_it_is_provisional(december, new_page):
    phone = new_page(360, 740, has_touch=True, is_mobile=True)
    phone.goto(f"{december.url}/book/{december.demo['hall']}")
    phone.wait_for_selector("#items button")
    phone.fill("#q", "zdsh")  # 最低生活保障申请
    phone.wait_for_function("document.querySelectorAll('#items button').length === 1")
    phone.locator("#items button").first.tap()
    phone.wait_for_selector("#days button[data-date='2027-01-04']:not([disabled])")
    assert phone.locator("#days button[data-date='2027-01-01']").is_disabled()  # 元旦 by law
    assert "更新" not in phone.inner_text("body")
    phone.locator("#days button[data-date='2027-01-04']").tap()
    nine = phone.locator("#slots button[data-start='2027-01-04T09:00:00+08:00']")
    nine.wait_for()
    nine.tap()
    phone.wait_for_selector("#step-details:not([hidden])")
    phone.fill("#name", "张三")
    phone.fill("#phone", "13800000000")
    phone.fill("#id_number", "11010519491231002X")
    phone.locator("#submit").tap()
    phone.wait_for_selector("#step-done:not([hidden])")
    done = phone.inner_text("#step-done")
    assert "预约成功" in done and "1月4日（周一）09:00" in done
    assert phone.is_visible("#done-provisional")
    assert "如果这一天放假，我们会发短信请您改约" in done
    assert "按法定节假日预计" in phone.inner_text("#done-deadline")
    axe_audit(phone, "booking on a provisional day")
    phone.screenshot(path=str(ARTIFACTS / "book-2027-provisional.png"), full_page=True)
