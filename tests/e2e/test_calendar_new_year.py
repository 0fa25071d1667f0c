"""The kiosk on the first days of 2027, a year the installed chinesecalendar (1.11) has no holiday
notice for, in a real browser against a real `hallq serve` whose clock starts then: closed on
元旦 (a statutory day by law) saying when it opens, open and handing out tickets on Monday
4 January, with no word to citizens about holiday data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Server, axe_audit, screenshot
from .test_kiosk import PORTRAIT, assert_large_text, kiosk, on_screen

pytestmark = pytest.mark.browser
FIRST_MONDAY = {"HALLQ_CLOCK_START": "2027-01-04T10:00:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
NEW_YEARS_DAY = {"HALLQ_CLOCK_START": "2027-01-01T10:00:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}


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
