"""A hall's hours as managers change them and everyone reads them: 5+X, 延时服务, 节假日受理,
365天无休, per-date overrides, the 2025 and 2026 holidays and 调休 days, a year the calendar does
not know, and deadlines counted in working days."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from queue_server.domain.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from queue_server.domain.model import Hall
from queue_server.services import schedule
from queue_server.services.context import ANONYMOUS
from queue_server.services.demo import DEFAULT_HOURS
from queue_server.store import tables
from tests.services.test_booking import Booker, at, item_id, manager, staff

REGULAR = DEFAULT_HOURS["regular"]


def days_of(view):
    return {d["date"]: d for d in view["days"]}


def labels(day):
    return [s["label"] for s in day["sessions"]]


def hall_hours(deps, hall_id):
    with deps.db.reading() as s:
        return dict(s.get(Hall, hall_id).hours)


def test_the_hours_view_reads_the_week_against_the_calendar(deps, demo):
    view = schedule.hours_view(deps, demo["hall"], "2026-11-26", 7)
    assert view["configured"] and view["calendar"]["years"] == {"2026": True, "2027": True}
    assert view["calendar"]["provisional"] == [2027]
    days = days_of(view)
    assert labels(days["2026-11-26"]) == ["09:00–12:00", "13:30–17:00", "17:00–19:00"]
    assert days["2026-11-26"]["sessions"][2]["kind_name"] == "延时服务"
    assert days["2026-11-26"]["sessions"][2]["appointment_only"] is True
    assert labels(days["2026-11-28"]) == ["09:00–12:00"]  # 5+X Saturday
    assert days["2026-11-28"]["sessions"][0]["kind"] == "extra_day"
    assert days["2026-11-29"]["sessions"] == [] and days["2026-11-29"]["text"].endswith("休息")
    assert view["open_now"]["open"] is True


def test_spring_festival_2025_and_its_swapped_working_days(deps, demo):
    days = days_of(schedule.hours_view(deps, demo["hall"], "2025-01-25", 16))
    sunday = days["2025-01-26"]
    assert sunday["swapped_workday"] and sunday["workday"]
    assert labels(sunday) == ["09:00–12:00", "13:30–17:00"]  # like a Monday: no 延时 evening
    assert "调休上班" in sunday["text"]
    for day in ("2025-01-28", "2025-01-29", "2025-02-04"):
        assert days[day]["holiday"] == "春节" and days[day]["sessions"] == [], day
    assert days["2025-02-08"]["swapped_workday"]  # the Saturday worked after it
    assert labels(days["2025-02-08"]) == ["09:00–12:00", "13:30–17:00"]
    assert days["2025-02-01"]["holiday"] == "春节"  # a holiday Saturday: no 5+X


def test_national_day_2025_and_2026(deps, demo):
    days = days_of(schedule.hours_view(deps, demo["hall"], "2025-09-27", 16))
    assert days["2025-09-28"]["swapped_workday"]
    assert all(days[f"2025-10-0{d}"]["holiday"] for d in range(1, 9))
    assert days["2025-10-11"]["swapped_workday"] and labels(days["2025-10-11"])
    days = days_of(schedule.hours_view(deps, demo["hall"], "2026-09-19", 23))
    assert days["2026-09-20"]["swapped_workday"] and days["2026-10-10"]["swapped_workday"]
    assert [d for d in days if days[d]["holiday"] == "国庆节"] == [
        f"2026-10-0{d}" for d in range(1, 8)
    ]


def test_holiday_service_and_365_day_service(deps, demo):
    boss = manager(deps, demo)
    schedule.set_hours(
        deps,
        boss,
        demo["hall"],
        {
            "regular": REGULAR,
            "holiday": [{"start": "09:00", "end": "11:00", "appointment_only": True}],
            "year_round": [{"start": "10:00", "end": "12:00"}],
        },
    )
    days = days_of(schedule.hours_view(deps, demo["hall"], "2026-10-01", 4))
    assert labels(days["2026-10-01"]) == ["09:00–11:00"]  # 节假日受理 on National Day
    assert days["2026-10-01"]["sessions"][0]["appointment_only"] is True
    days = days_of(schedule.hours_view(deps, demo["hall"], "2026-11-28", 2))
    assert labels(days["2026-11-28"]) == ["10:00–12:00"]  # 365天无休 fills the weekend
    assert labels(days["2026-11-29"]) == ["10:00–12:00"]
    view = schedule.hours_view(deps, demo["hall"], "2026-11-28", 1)
    assert view["year_round"] is True


def test_a_year_without_its_notice_follows_the_statutory_days_provisionally(deps, demo):
    import json

    view = schedule.hours_view(deps, demo["hall"], "2026-12-30", 6)
    assert view["problems"] == []
    new_year = days_of(view)["2027-01-01"]
    assert (new_year["known"], new_year["workday"], new_year["holiday"]) == (True, False, "元旦")
    assert new_year["provisional"] is True and "元旦" in new_year["text"]
    monday = days_of(view)["2027-01-04"]
    assert monday["workday"] and labels(monday)[:2] == ["09:00–12:00", "13:30–17:00"]
    assert days_of(view)["2026-12-31"]["provisional"] is False
    assert "更新" not in json.dumps(view, ensure_ascii=False)


def test_only_a_manager_changes_the_hours_and_every_change_is_audited(deps, demo):
    before = hall_hours(deps, demo["hall"])
    new = {
        "regular": REGULAR,
        "extra_days": [{"weekdays": [6, 7], "start": "09:00", "end": "12:00"}],
    }
    with pytest.raises(Unauthorized):
        schedule.set_hours(deps, ANONYMOUS, demo["hall"], new)
    with pytest.raises(Forbidden) as caught:
        schedule.set_hours(deps, staff(deps, demo["clerks"][0]["staff_no"]), demo["hall"], new)
    assert "管理员" in caught.value.message and "manager" in caught.value.message_en
    assert hall_hours(deps, demo["hall"]) == before
    view = schedule.set_hours(deps, manager(deps, demo), demo["hall"], new)
    assert labels(days_of(view)["2026-11-29"]) == ["09:00–12:00"]  # 5+X now on Sundays too
    with deps.db.reading() as s:
        entry = s.execute(
            select(tables.audit_log).where(tables.audit_log.c.action == "hours.set")
        ).one()
    assert entry.actor == f"clerk:{manager(deps, demo).id}"
    assert entry.detail["before"] == before


@pytest.mark.parametrize(
    ("hours", "zh", "en"),
    [
        ({"regular": [{"weekdays": [6], "start": "09:00", "end": "12:00"}]}, "5+X", "5+X"),
        ({"regular": [{"weekdays": [1], "start": "12:00", "end": "09:00"}]}, "必须晚于", "after"),
        ({"regular": [{"weekdays": [1], "start": "9点", "end": "12:00"}]}, "时间格式", "09:00"),
        ({"weekly": []}, "无法识别", "unknown fields"),
        (
            {"regular": REGULAR + [{"weekdays": [1], "start": "11:00", "end": "14:00"}]},
            "重叠",
            "overlap",
        ),
    ],
)
def test_bad_hours_are_refused_in_both_languages_and_change_nothing(deps, demo, hours, zh, en):
    before = hall_hours(deps, demo["hall"])
    with pytest.raises(InvalidInput) as caught:
        schedule.set_hours(deps, manager(deps, demo), demo["hall"], hours)
    assert zh in caught.value.message and en in caught.value.message_en
    assert hall_hours(deps, demo["hall"]) == before


def test_an_override_closes_a_working_day_and_tells_how_many_bookings_it_hits(deps, demo):
    booker = Booker(deps, demo)
    booker.book(at(2026, 11, 27, 9, 0), person=1)
    booker.book(at(2026, 11, 27, 14, 0), person=2)
    result = schedule.set_override(
        deps,
        manager(deps, demo),
        demo["hall"],
        "2026-11-27",
        {"closed": True, "reason": "停电检修"},
    )
    assert result["bookings_on_that_day"] == 2
    assert result["day"]["sessions"] == [] and "停电检修" in result["day"]["text"]
    assert result["day"]["override"] == {"closed": True, "reason": "停电检修"}
    with pytest.raises(InvalidInput, match="outside the hall's opening hours"):
        booker.book(at(2026, 11, 27, 10, 0), person=3)
    # Setting the week's hours again keeps the override.
    schedule.set_hours(deps, manager(deps, demo), demo["hall"], {"regular": REGULAR})
    assert (
        days_of(schedule.hours_view(deps, demo["hall"], "2026-11-27", 1))["2026-11-27"]["sessions"]
        == []
    )
    schedule.remove_override(deps, manager(deps, demo), demo["hall"], "2026-11-27")
    assert booker.book(at(2026, 11, 27, 10, 0), person=3)["state"] == "booked"
    with pytest.raises(NotFound):
        schedule.remove_override(deps, manager(deps, demo), demo["hall"], "2026-11-27")


def test_an_override_opens_special_hours_on_a_sunday(deps, demo):
    schedule.set_override(
        deps,
        manager(deps, demo),
        demo["hall"],
        "2026-11-29",
        {"sessions": [{"start": "14:00", "end": "16:00"}], "reason": "医保集中缴费"},
    )
    booker = Booker(deps, demo)
    view = booker.book(at(2026, 11, 29, 15, 0))
    assert view["when"] == "11月29日（周日）15:00–15:30"


@pytest.mark.parametrize(
    ("day", "body", "en"),
    [
        ("2026-13-01", {"closed": True}, "2026-11-27"),
        ("2026-11-29", {}, "either close the day"),
        (
            "2026-11-29",
            {"closed": True, "sessions": [{"start": "09:00", "end": "10:00"}]},
            "not both",
        ),
        ("2026-11-29", {"closed": True, "reason": "x" * 201}, "200"),
        ("2026-11-29", {"closed": True, "date": "2026-11-30"}, "differs"),
    ],
)
def test_a_bad_override_is_refused(deps, demo, day, body, en):
    before = hall_hours(deps, demo["hall"])
    with pytest.raises(InvalidInput) as caught:
        schedule.set_override(deps, manager(deps, demo), demo["hall"], day, body)
    assert en in caught.value.message_en
    assert hall_hours(deps, demo["hall"]) == before


def test_a_village_station_is_managed_by_its_town_manager(deps, demo):
    view = schedule.set_override(
        deps,
        manager(deps, demo),
        demo["village"],
        "2026-11-27",
        {"closed": True, "reason": "村委换届"},
    )
    assert view["day"]["sessions"] == []


def test_deadlines_count_official_working_days(deps, demo):
    low_income = item_id(deps, "370800-MZ-001")  # 20 working days
    due = schedule.deadline(deps, demo["hall"], low_income, "2026-09-28")
    # 29–30 Sep (2), 8–10 Oct with the 调休 Saturday (3), then three weeks; 1–7 Oct do not count.
    assert due["due"] == "2026-10-30"
    assert due["text"] == "20 个工作日，最迟 10月30日 办结"
    on_the_spot = schedule.deadline(deps, demo["hall"], item_id(deps, "370800-SB-001"))
    assert (on_the_spot["due"], on_the_spot["text"]) == ("2026-11-26", "即办：当场办结")
    assert due["provisional"] is False
    assert schedule.deadline(deps, demo["hall"], low_income, "2026-12-20")["provisional"] is True
    with pytest.raises(InvalidInput, match="2026-11-27"):
        schedule.deadline(deps, demo["hall"], low_income, "27/11/2026")
