"""The console's 节假日安排 pages: an admin types a year in (one holiday day or range a line, one
swapped working day a line); a wrong line is shown again with a bilingual reason and nothing is
stored; a manager reads it only. The 2027 table is made up for the tests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from queue_server.store.calendar_tables import calendar_days

from .test_admin_pages import csrf_of, sign_in

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")


def stored_days(deps) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(calendar_days)) or 0)


def test_an_admin_types_in_2027_and_a_manager_reads_it(app, client, deps, demo):
    sign_in(client, "admin")
    overview = client.get("/admin/calendar").get_data(as_text=True)
    assert (
        "<strong>暂按法定节假日预计</strong>：正式安排未到，2027 年按法定节假日推算放假" in overview
        and "chinesecalendar" in overview
    )
    assert client.get("/admin/calendar?year=2027").headers["Location"].endswith("/calendar/2027")

    form = client.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'name="holidays"' in form and "春节" in form and "Spring Festival" in form
    wrong = client.post(
        "/admin/calendar/2027",
        data={"csrf_token": csrf_of(form), "holidays": "2027-01-01 元旦", "swapped": "2027-01-06"},
    )
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "调休" in text and "swapped working day" in text
    assert "2027-01-06" in text  # what was typed stays in the form
    assert stored_days(deps) == 0
    unreadable = client.post(
        "/admin/calendar/2027",
        data={"csrf_token": csrf_of(form), "holidays": "元旦 一月一日", "swapped": ""},
    )
    assert unreadable.status_code == 422 and "看不懂" in unreadable.get_data(as_text=True)

    saved = client.post(
        "/admin/calendar/2027",
        data={
            "csrf_token": csrf_of(form),
            "holidays": "2027-01-01 元旦\n2027-05-03 至 2027-05-04 测试假 / Test holiday",
            "swapped": "2027-01-09",
        },
    )
    assert saved.status_code == 302
    shown = client.get("/admin/calendar/2027").get_data(as_text=True)
    assert "已保存 2027 年的节假日安排" in shown
    assert "2027-05-03 至 2027-05-04 测试假 / Test holiday" in shown
    assert stored_days(deps) == 4

    client.post("/admin/logout", data={"csrf_token": csrf_of(shown)})
    sign_in(client, demo["manager"]["staff_no"])
    read_only = client.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'name="holidays"' not in read_only and "只有系统管理员可以录入或修改" in read_only
    assert "2027-05-04" in read_only and "测试假" in read_only
    refused = client.post(
        "/admin/calendar/2027",
        data={"csrf_token": csrf_of(read_only), "action": "delete"},
    )
    assert refused.status_code == 403 and "仅限系统管理员" in refused.get_data(as_text=True)
    assert stored_days(deps) == 4


def test_a_year_the_package_has_is_shown_not_offered_for_entry(client, demo):
    sign_in(client, "admin")
    page = client.get("/admin/calendar/2026").get_data(as_text=True)
    assert "不能另行录入" in page and 'name="holidays"' not in page
    assert "2026-02-17" in page and "春节" in page


def test_a_year_entered_and_then_in_a_newer_package_shows_the_differences(
    client, deps, demo, monkeypatch
):
    from queue_server.services import admin
    from tests.services.test_booking import staff
    from tests.services.test_calendar_entry import TEST_ONLY_2027, upgrade_package

    admin.save_year(deps, staff(deps, demo["admin"]["staff_no"]), 2027, TEST_ONLY_2027)
    upgrade_package(monkeypatch, deps, {
        "holidays": [{"day": "2027-01-01", "until": "2027-01-03", "name": "元旦"}],
        "swapped_workdays": [],
    })  # fmt: skip
    sign_in(client, demo["manager"]["staff_no"])
    page = client.get("/admin/calendar/2027").get_data(as_text=True)
    assert "以软件包为准" in page and 'id="calendar-differences"' in page
    table = page[page.index('id="calendar-differences"') :]
    assert '<th scope="row">2027-01-09</th><td>休息</td><td>调休上班</td>' in table
    assert '<th scope="row">2027-01-02</th><td>元旦</td><td>休息</td>' in table
    overview = client.get("/admin/calendar").get_data(as_text=True)
    assert "软件包已包含该年，以软件包为准" in overview
