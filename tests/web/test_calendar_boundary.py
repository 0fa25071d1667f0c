"""The first working days of a year whose holiday notice is not in the installed chinesecalendar
(2027 with chinesecalendar 1.11): the hall serves on the statutory days by law, provisionally,
and managers are warned from 1 November, then the official schedule takes over."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queue_server.services import admin, alarms
from queue_server.services.admin import calendar as admin_calendar
from tests.services.test_booking import staff

from .test_admin_pages import sign_in

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")

# A made-up 2027 table for the tests: not the State Council's schedule.
TEST_ONLY_2027 = {"holidays": [{"day": "2027-01-01", "name": "元旦"}], "swapped_workdays": []}

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def kiosk_home(client: Any, hall: int) -> dict[str, Any]:
    return client.get(f"/api/v1/halls/{hall}/kiosk").get_json()  # type: ignore[no-any-return]


def test_the_kiosk_serves_across_new_year_into_a_year_without_its_notice(client, api, clock):
    hall = api.demo["hall"]
    clock.current = beijing(2026, 12, 31, 10, 0)
    assert api.issue("A")["number"]
    # 元旦 by law: closed for walk-ins, and the notice says when it opens, nothing about data.
    clock.current = beijing(2027, 1, 1, 10, 0)
    home = kiosk_home(client, hall)
    assert home["open"]["open"] is False
    assert home["open"]["notice"].startswith("本厅将于 1月")
    refused = api.issue("A", expect=409)
    assert "更新" not in json.dumps(refused, ensure_ascii=False)
    assert "更新" not in json.dumps(home, ensure_ascii=False)
    # The first Monday of 2027: open as every working day, tickets for everyone.
    clock.current = beijing(2027, 1, 4, 10, 0)
    home = kiosk_home(client, hall)
    assert home["open"]["open"] is True and home["open"]["notice"] == ""
    ticket = api.issue("A")
    assert ticket["number"].endswith("001")  # a new day's numbering
    assert api.issue("C")["number"]


def test_managers_are_warned_from_1_november_until_next_year_is_official(client, deps, demo, clock):
    hall = demo["hall"]

    def calendar_alarms() -> list[dict[str, Any]]:
        shown = client.get(f"/api/v1/halls/{hall}/alarms").get_json()["alarms"]
        return [a for a in shown if a["kind"] == "calendar_missing"]

    clock.current = beijing(2026, 10, 31, 23, 50)
    assert admin.calendar_warning(deps) is None
    assert admin_calendar.watch_calendar(deps) == 0
    assert calendar_alarms() == []

    clock.current = beijing(2026, 11, 1, 0, 10)
    warning = admin.calendar_warning(deps)
    assert warning is not None and warning["url"] == "/admin/calendar/2027"
    assert admin_calendar.watch_calendar(deps) >= 2  # every hall: the town and its village
    admin_calendar.watch_calendar(deps)  # again: still one alarm per hall
    raised = calendar_alarms()
    assert len(raised) == 1 and "2027" in raised[0]["message"]
    assert "/admin/calendar/2027" in raised[0]["message"]
    assert len(alarms.open_alarms(deps, demo["village"])) == 1
    # Still missing in the new year: the warning stays (about this year now).
    clock.current = beijing(2027, 1, 4, 9, 0)
    assert admin.calendar_warning(deps)["url"] == "/admin/calendar/2027"  # type: ignore[index]
    admin_calendar.watch_calendar(deps)
    assert len(calendar_alarms()) == 1

    admin.save_year(deps, staff(deps, demo["admin"]["staff_no"]), 2027, TEST_ONLY_2027)
    assert admin.calendar_warning(deps) is None
    admin_calendar.watch_calendar(deps)
    assert calendar_alarms() == []


def test_the_console_banner_links_to_next_years_schedule(client, deps, demo, clock):
    clock.current = beijing(2026, 11, 2, 9, 0)
    sign_in(client, demo["manager"]["staff_no"])
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert 'id="calendar-warning"' in page and 'href="/admin/calendar/2027"' in page
    clock.current = beijing(2026, 10, 20, 9, 0)
    assert 'id="calendar-warning"' not in client.get("/admin/calendar").get_data(as_text=True)
    clock.current = beijing(2026, 11, 2, 9, 0)
    admin.save_year(deps, staff(deps, demo["admin"]["staff_no"]), 2027, TEST_ONLY_2027)
    assert 'id="calendar-warning"' not in client.get("/admin/calendar").get_data(as_text=True)
