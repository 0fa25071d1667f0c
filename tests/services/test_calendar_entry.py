"""A year the chinesecalendar package does not cover yet, entered by an admin: bookings,
opening days and deadlines follow it at once; the package's own years cannot be entered;
managers read it but cannot change it; every change is audited.

The 2027 table here is made up for the tests (元旦 on 1 January and a swapped Saturday on
9 January): it is not the State Council's schedule.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.domain.calendar import LayeredCalendar, OfficialCalendar
from queue_server.domain.errors import Forbidden, InvalidInput, NotFound
from queue_server.services import admin, hours, schedule
from queue_server.services.admin import calendar as admin_calendar
from queue_server.services.booking import housekeeping as booking_housekeeping
from queue_server.services.booking.availability import bookable_days, free_slots
from queue_server.services.booking.citizen import find_booking
from queue_server.store import tables
from queue_server.store.calendar_tables import calendar_days
from tests.services.test_booking import Booker, at, booking_count, item_id, manager, staff

TEST_ONLY_2027: dict[str, Any] = {
    "holidays": [{"day": "2027-01-01", "name": "元旦", "name_en": "New Year's Day"}],
    "swapped_workdays": ["2027-01-09"],
}


@pytest.fixture
def booker(deps, demo) -> Booker:
    return Booker(deps, demo)


def admin_of(deps, demo):
    return staff(deps, demo["admin"]["staff_no"])


def days_of(view):
    return {d["date"]: d for d in view["days"]}


def stored_days(deps) -> int:
    with deps.db.reading() as s:
        return len(s.execute(select(calendar_days)).all())


def test_after_an_admin_enters_2027_bookings_into_january_follow_it(booker, deps, demo, clock):
    clock.current = at(2026, 12, 29, 10, 0)
    # Before: provisional, from the statutory days (no 调休: Saturday 9 January rests).
    days = {d["date"]: d for d in bookable_days(deps, booker.hall, booker.item())["days"]}
    assert days["2027-01-04"]["bookable"] and days["2027-01-04"]["provisional"]
    assert not days["2027-01-01"]["bookable"] and days["2026-12-30"]["provisional"] is False

    saved = admin.save_year(deps, admin_of(deps, demo), 2027, TEST_ONLY_2027)
    assert saved["source"] == "entered"
    assert saved["holidays"] == [{"day": "2027-01-01", "name": "元旦", "name_en": "New Year's Day"}]

    days = {d["date"]: d for d in bookable_days(deps, booker.hall, booker.item())["days"]}
    assert days["2027-01-04"]["known"] and days["2027-01-04"]["bookable"]
    assert days["2027-01-04"]["provisional"] is False
    assert days["2027-01-01"]["known"] and not days["2027-01-01"]["bookable"]
    assert free_slots(deps, booker.hall, booker.item(), "2027-01-04")["slots"]
    before = booking_count(deps)
    booker.book(at(2027, 1, 4, 9, 0))
    assert booking_count(deps) == before + 1

    week = days_of(schedule.hours_view(deps, demo["hall"], "2027-01-01", 10))
    assert week["2027-01-01"]["holiday"] == "元旦" and week["2027-01-01"]["sessions"] == []
    assert week["2027-01-01"]["holiday_en"] == "New Year's Day"
    saturday = week["2027-01-09"]
    assert saturday["swapped_workday"] and saturday["workday"] and saturday["sessions"]
    assert "调休上班" in saturday["text"]
    assert week["2027-01-10"]["workday"] is False  # a plain Sunday


def test_a_provisional_deadline_across_new_year_is_recomputed_once_the_year_is_entered(deps, demo):
    low_income = item_id(deps, "370800-MZ-001")  # 20 working days
    # 21–31 Dec: 9 days; 1 Jan 元旦 by law; 4–8 Jan: 5; 11–15 Jan: 5; 18 Jan → 20.
    estimate = schedule.deadline(deps, demo["hall"], low_income, "2026-12-20")
    assert estimate["due"] == "2027-01-18" and estimate["provisional"] is True
    assert "预计" in estimate["text"] and "estimated" in estimate["text_en"]
    assert schedule.deadline(deps, demo["hall"], low_income, "2026-11-02")["provisional"] is False
    admin.save_year(deps, admin_of(deps, demo), 2027, TEST_ONLY_2027)
    # The swapped Saturday 9 Jan now counts: 11–15 Jan ends the 20.
    official = schedule.deadline(deps, demo["hall"], low_income, "2026-12-20")
    assert official["due"] == "2027-01-15" and official["provisional"] is False
    assert "预计" not in official["text"]


def test_replacing_and_deleting_an_entered_year_takes_effect_at_once(deps, demo):
    boss = admin_of(deps, demo)
    admin.save_year(deps, boss, 2027, TEST_ONLY_2027)
    admin.save_year(
        deps,
        boss,
        2027,
        {
            "holidays": [{"day": "2027-01-04", "until": "2027-01-05", "name": "元旦"}],
            "swapped_workdays": [],
        },
    )
    week = days_of(schedule.hours_view(deps, demo["hall"], "2027-01-01", 9))
    assert week["2027-01-01"]["workday"] and week["2027-01-04"]["holiday"] == "元旦"
    assert week["2027-01-05"]["holiday_en"] == "New Year's Day"  # the standard name filled in
    assert week["2027-01-09"]["workday"] is False
    admin.delete_year(deps, boss, 2027)
    assert stored_days(deps) == 0
    # Back to the provisional days: 4 January is a working day again.
    monday = days_of(schedule.hours_view(deps, demo["hall"], "2027-01-04", 1))["2027-01-04"]
    assert monday["provisional"] and monday["workday"] and monday["holiday"] is None
    with pytest.raises(NotFound):
        admin.delete_year(deps, boss, 2027)


@pytest.mark.parametrize(
    ("year", "data", "words"),
    [
        (2026, TEST_ONLY_2027, "chinesecalendar"),
        (
            2027,
            {"holidays": [{"day": "2028-01-01", "name": "元旦"}], "swapped_workdays": []},
            "不在 2027 年内",
        ),
        (2027, {"holidays": [], "swapped_workdays": ["2027-01-06"]}, "调休"),  # a Wednesday
        (
            2027,
            {
                "holidays": [{"day": "2027-01-01", "name": "元旦"}],
                "swapped_workdays": ["2027-01-01"],
            },
            "调休",
        ),  # fmt: skip
        (
            2027,
            {
                "holidays": [
                    {"day": "2027-01-01", "name": "元旦"},
                    {"day": "2027-01-01", "name": "元旦"},
                ],
                "swapped_workdays": [],
            },
            "重复",
        ),  # fmt: skip
        (2027, {"holidays": [], "swapped_workdays": ["2027-01-09", "2027-01-09"]}, "重复"),
        (
            2027,
            {"holidays": [{"day": "2027-02-30", "name": "春节"}], "swapped_workdays": []},
            "无效",
        ),
        (
            2027,
            {"holidays": [{"day": "2027-05-01", "name": "植树节"}], "swapped_workdays": []},
            "英文名",
        ),
        (
            2027,
            {
                "holidays": [{"day": "2027-05-05", "until": "2027-05-01", "name": "劳动节"}],
                "swapped_workdays": [],
            },
            "早于",
        ),  # fmt: skip
        (1999, TEST_ONLY_2027, "年份"),
    ],
)
def test_a_wrong_schedule_is_refused_in_both_languages_and_nothing_is_stored(
    deps, demo, year, data, words
):
    with pytest.raises(InvalidInput) as refused:
        admin.save_year(deps, admin_of(deps, demo), year, data)
    assert words in refused.value.message
    assert refused.value.message_en and refused.value.message_en.isascii()
    assert stored_days(deps) == 0
    assert admin.calendar_overview(deps, admin_of(deps, demo))["entered"] == []


def test_a_manager_reads_the_schedules_but_cannot_change_them(deps, demo):
    boss, hall_manager = admin_of(deps, demo), manager(deps, demo)
    admin.save_year(deps, boss, 2027, TEST_ONLY_2027)
    with pytest.raises(Forbidden):
        admin.save_year(deps, hall_manager, 2027, {"holidays": [], "swapped_workdays": []})
    with pytest.raises(Forbidden):
        admin.delete_year(deps, hall_manager, 2027)
    overview = admin.calendar_overview(deps, hall_manager)
    assert overview["can_change"] is False
    assert [e["year"] for e in overview["entered"]] == [2027]
    assert overview["coming"] == [
        {"year": 2026, "known": True, "source": "package"},
        {"year": 2027, "known": True, "source": "entered"},
    ]
    assert 2026 in overview["package"]["years"] and 2027 not in overview["package"]["years"]
    assert {"name": "春节", "name_en": "Spring Festival"} in overview["standard_holidays"]
    assert admin.calendar_year(deps, hall_manager, 2027)["swapped_workdays"] == ["2027-01-09"]
    package_year = admin.calendar_year(deps, hall_manager, 2026)
    assert package_year["source"] == "package"
    assert {"day": "2026-02-17", "name": "春节", "name_en": "Spring Festival"} in package_year[
        "holidays"
    ]
    assert "2026-02-14" in package_year["swapped_workdays"]


def test_entering_replacing_and_deleting_are_audited_with_before_and_after(deps, demo):
    boss = admin_of(deps, demo)
    admin.save_year(deps, boss, 2027, TEST_ONLY_2027)
    admin.save_year(deps, boss, 2027, {"holidays": [], "swapped_workdays": []})
    admin.delete_year(deps, boss, 2027)
    with deps.db.reading() as s:
        rows = s.execute(
            select(tables.audit_log)
            .where(tables.audit_log.c.action.startswith("calendar."))
            .order_by(tables.audit_log.c.id)
        ).all()
    assert [r.action for r in rows] == [
        "calendar.year_saved",
        "calendar.year_replaced",
        "calendar.year_deleted",
    ]
    saved, replaced, deleted = (r.detail for r in rows)
    assert saved["before"] is None
    assert saved["after"]["holidays"][0]["name"] == "元旦"
    assert replaced["before"]["swapped_workdays"] == ["2027-01-09"]
    assert replaced["after"] == {"holidays": [], "swapped_workdays": []}
    assert deleted["after"] is None and rows[0].hall_id is None
    assert rows[0].actor == boss.label


def test_an_operator_imports_and_shows_a_year_from_the_command_line(
    deps, demo, db_url, tmp_path, monkeypatch
):
    import json

    from click.testing import CliRunner

    from queue_server.cli import cli

    monkeypatch.setenv("HALLQ_DATABASE_URL", db_url)
    runner = CliRunner()
    missing = runner.invoke(cli, ["calendar", "show", "2027"])
    assert missing.exit_code == 0 and json.loads(missing.output)["source"] == "provisional"
    assert "法定节假日" in json.loads(missing.output)["source_text"]
    assert {"day": "2027-02-05", "name": "春节", "name_en": "Spring Festival"} in json.loads(
        missing.output
    )["holidays"]

    table = tmp_path / "2027.json"
    table.write_text(json.dumps({"year": 2027, **TEST_ONLY_2027}), encoding="utf-8")
    imported = runner.invoke(cli, ["calendar", "import", str(table)])
    assert imported.exit_code == 0, imported.output
    assert "1 holiday days, 1 swapped working days" in imported.output
    shown = json.loads(runner.invoke(cli, ["calendar", "show", "2027"]).output)
    assert shown["source"] == "entered" and shown["entered_by"] == "命令行导入"
    assert shown["holidays"] == TEST_ONLY_2027["holidays"]
    package = json.loads(runner.invoke(cli, ["calendar", "show", "2026"]).output)
    assert package["source"] == "package"

    for content, words in [
        (json.dumps({"year": 2026, **TEST_ONLY_2027}), "chinesecalendar"),
        (json.dumps({"year": 2027, "holidays": [], "swapped_workdays": ["2027-01-06"]}), "调休"),
        ('{"year": 2027, "holidays": [', "cannot read"),
        (json.dumps([2027]), '"year"'),
        (json.dumps({"year": 2027, "holidays": []}), "swapped_workdays"),
    ]:
        table.write_text(content, encoding="utf-8")
        refused = runner.invoke(cli, ["calendar", "import", str(table)])
        assert refused.exit_code == 1 and words in refused.output, refused.output
        assert isinstance(refused.exception, SystemExit)  # a clear message, not a traceback
    assert (
        admin.calendar_year(deps, admin_of(deps, demo), 2027)["holidays"]
        == (TEST_ONLY_2027["holidays"])
    )


class NewerPackage(LayeredCalendar):
    """The installed chinesecalendar plus a made-up 2027, as a newer release would have it."""

    def __init__(self, year_2027: dict[str, Any]) -> None:
        super().__init__(OfficialCalendar(), admin_calendar.parse_year(2027, year_2027))

    def years(self) -> list[int]:
        return [*OfficialCalendar().years(), 2027]


def upgrade_package(monkeypatch, deps, year_2027: dict[str, Any]) -> None:
    newer = NewerPackage(year_2027)
    monkeypatch.setattr(hours, "PACKAGE", newer)
    monkeypatch.setattr(admin_calendar, "PACKAGE", newer)
    deps.db.cache.clear()  # what a restart after `pip install -U chinesecalendar` does


def test_a_newer_package_replaces_the_provisional_days_and_tells_booked_citizens_to_move(
    booker, deps, demo, clock, monkeypatch
):
    clock.current = at(2026, 12, 29, 10, 0)
    booked = booker.book(at(2027, 1, 4, 9, 0))
    assert booked["provisional"] is True
    assert booking_housekeeping.housekeeping(deps, booker.notifier)["holiday_moves"] == 0

    upgrade_package(monkeypatch, deps, {
        "holidays": [{"day": "2027-01-01", "until": "2027-01-04", "name": "元旦"}],
        "swapped_workdays": ["2027-01-09"],
    })  # fmt: skip
    assert find_booking(deps, booked["code"])["provisional"] is False
    assert booking_housekeeping.housekeeping(deps, booker.notifier)["holiday_moves"] == 1
    assert booker.notifier.kinds() == ["confirmation", "holiday"]
    assert booking_housekeeping.housekeeping(deps, booker.notifier)["holiday_moves"] == 0
    year = admin.calendar_year(deps, manager(deps, demo), 2027)
    assert year["source"] == "package" and year["swapped_workdays"] == ["2027-01-09"]
    assert [b["id"] for b in year["bookings_on_holidays"]] == [booked["id"]]
    assert year["bookings_on_holidays"][0]["notified_at"] is not None
    days = days_of(schedule.hours_view(deps, demo["hall"], "2027-01-04", 6))
    assert days["2027-01-04"]["holiday"] == "元旦" and days["2027-01-09"]["workday"]


def test_a_year_entered_by_hand_gives_way_to_the_package_which_shows_the_differences(
    deps, demo, monkeypatch
):
    admin.save_year(deps, admin_of(deps, demo), 2027, TEST_ONLY_2027)
    upgrade_package(monkeypatch, deps, {
        "holidays": [{"day": "2027-01-01", "until": "2027-01-03", "name": "元旦"}],
        "swapped_workdays": [],
    })  # fmt: skip
    year = admin.calendar_year(deps, admin_of(deps, demo), 2027)
    assert year["source"] == "package"
    assert year["entered"]["swapped_workdays"] == ["2027-01-09"]
    assert year["differences"] == [
        {"day": "2027-01-02", "package": "元旦", "package_kind": "holiday",
         "entered": "休息", "entered_kind": "rest"},
        {"day": "2027-01-03", "package": "元旦", "package_kind": "holiday",
         "entered": "休息", "entered_kind": "rest"},
        {"day": "2027-01-09", "package": "休息", "package_kind": "rest",
         "entered": "调休上班", "entered_kind": "swapped_workday"},
    ]  # fmt: skip
    # The package applies: Saturday 9 January rests.
    days = days_of(schedule.hours_view(deps, demo["hall"], "2027-01-09", 1))
    assert days["2027-01-09"]["workday"] is False
    overview = admin.calendar_overview(deps, admin_of(deps, demo))
    assert overview["entered"][0]["in_use"] is False
    assert overview["coming"][1] == {"year": 2027, "known": True, "source": "package"}
