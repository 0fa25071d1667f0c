"""The official calendar: 2025/2026 holidays and 调休 days, missing years, working-day deadlines.

Every date asserted here was checked against the installed chinesecalendar 1.11 data.
"""

from datetime import date, timedelta

import pytest

from queue_server.domain.calendar import (
    STANDARD_HOLIDAYS,
    CalendarYearMissing,
    LayeredCalendar,
    OfficialCalendar,
    PublicHoliday,
    TableCalendar,
    standard_holiday,
)
from queue_server.domain.errors import InvalidInput, QueueError

official = OfficialCalendar()

NATIONAL_DAY = PublicHoliday("国庆节", "National Day")


def test_a_swapped_sunday_before_spring_festival_2025_is_a_working_day():
    sunday = date(2025, 1, 26)
    assert sunday.weekday() == 6
    assert official.is_workday(sunday)
    assert official.is_swapped_workday(sunday)
    assert not official.is_public_holiday(sunday)


def test_spring_festival_2025_is_a_public_holiday_with_its_name():
    assert official.public_holiday(date(2025, 1, 29)) == PublicHoliday("春节", "Spring Festival")
    assert official.is_swapped_workday(date(2025, 2, 8))  # the Saturday worked after it


def test_national_day_2025_runs_from_october_1_to_8():
    for offset in range(8):
        day = date(2025, 10, 1) + timedelta(days=offset)
        assert official.is_public_holiday(day), day
        assert not official.is_workday(day), day
    assert official.public_holiday(date(2025, 10, 1)) == NATIONAL_DAY
    # Mid-autumn fell inside the National Day week in 2025.
    assert official.public_holiday(date(2025, 10, 6)) == PublicHoliday(
        "中秋", "Mid-autumn Festival"
    )
    assert official.is_workday(date(2025, 10, 9))
    assert not official.is_public_holiday(date(2025, 10, 9))


def test_swapped_working_days_around_national_day_2025():
    assert official.is_swapped_workday(date(2025, 9, 28))  # Sunday
    assert official.is_swapped_workday(date(2025, 10, 11))  # Saturday


def test_2026_saturdays_worked_for_spring_festival():
    for saturday in (date(2026, 2, 14), date(2026, 2, 28)):
        assert saturday.weekday() == 5
        assert official.is_workday(saturday)
        assert official.is_swapped_workday(saturday)
    assert official.public_holiday(date(2026, 2, 17)) == PublicHoliday("春节", "Spring Festival")


def test_national_day_2026_is_a_public_holiday():
    assert official.public_holiday(date(2026, 10, 1)) == NATIONAL_DAY
    assert official.is_public_holiday(date(2026, 10, 7))
    assert official.is_swapped_workday(date(2026, 10, 10))


def test_an_ordinary_weekend_is_neither_a_holiday_nor_a_working_day():
    saturday = date(2025, 11, 22)
    assert not official.is_workday(saturday)
    assert not official.is_public_holiday(saturday)
    assert official.public_holiday(saturday) is None
    assert not official.is_swapped_workday(saturday)


def test_an_ordinary_weekday_is_a_working_day_but_not_a_swapped_one():
    monday = date(2025, 11, 24)
    assert official.is_workday(monday)
    assert not official.is_swapped_workday(monday)


@pytest.mark.parametrize(
    "ask",
    [
        official.is_workday,
        official.is_public_holiday,
        official.public_holiday,
        official.is_swapped_workday,
    ],
)
def test_a_year_the_package_does_not_cover_is_refused_not_guessed(ask):
    with pytest.raises(CalendarYearMissing) as refused:
        ask(date(2031, 5, 1))
    error = refused.value
    assert isinstance(error, QueueError)
    assert error.code == "calendar_year_missing"
    assert error.year == 2031
    assert "2031" in error.message and "2031" in error.message_en


def test_coverage_is_reported_per_year():
    assert official.covers(2025)
    assert official.covers(2026)
    assert not official.covers(2031)
    assert not official.covers(2003)


def test_a_complaint_deadline_of_15_working_days_skips_the_national_day_week():
    received = date(2025, 9, 26)  # Friday before the 2025 National Day break
    deadline = official.add_working_days(received, 15)
    # 9/28 (Sun, swapped), 9/29, 9/30, 10/9, 10/10, 10/11 (Sat, swapped), 10/13-17, 10/20-23.
    assert deadline == date(2025, 10, 23)
    assert official.working_days_between(received, deadline) == 15
    assert official.working_days_between(deadline, received) == -15


def test_working_days_counting_starts_the_next_day():
    friday = date(2025, 11, 21)
    assert official.add_working_days(friday, 0) == friday
    assert official.add_working_days(friday, 1) == date(2025, 11, 24)
    assert official.working_days_between(friday, friday) == 0
    assert official.working_days_between(friday, date(2025, 11, 23)) == 0


def test_a_negative_number_of_working_days_is_refused():
    with pytest.raises(InvalidInput):
        official.add_working_days(date(2025, 11, 21), -1)


def test_a_deadline_running_into_a_missing_year_is_refused():
    calendar = TableCalendar(years=[2025], holidays={})
    with pytest.raises(CalendarYearMissing) as refused:
        calendar.add_working_days(date(2025, 12, 30), 5)
    assert refused.value.year == 2026


def test_a_table_calendar_answers_like_the_official_one():
    calendar = TableCalendar(
        years=[2030],
        holidays={date(2030, 10, 1): NATIONAL_DAY, date(2030, 10, 5): NATIONAL_DAY},
        swapped_workdays=[date(2030, 9, 29)],
    )
    assert calendar.public_holiday(date(2030, 10, 1)) == NATIONAL_DAY
    assert not calendar.is_workday(date(2030, 10, 1))
    assert calendar.is_swapped_workday(date(2030, 9, 29))
    assert calendar.is_workday(date(2030, 10, 2))
    assert not calendar.is_workday(date(2030, 10, 5))
    with pytest.raises(CalendarYearMissing):
        calendar.is_workday(date(2031, 1, 2))


def test_a_table_calendar_refuses_a_swapped_workday_on_a_weekday():
    with pytest.raises(InvalidInput) as refused:
        TableCalendar(years=[2030], holidays={}, swapped_workdays=[date(2030, 9, 30)])
    assert "调休" in refused.value.message


# -- the layered calendar: the package first, then a year entered by an admin ---------------------

# An obviously made-up schedule for a year the package lacks: never the real State Council notice.
TEST_ONLY_2027 = TableCalendar(
    years=[2027],
    holidays={date(2027, 1, 1): PublicHoliday("元旦", "New Year's Day")},
    swapped_workdays=[date(2027, 1, 9)],  # a Saturday, worked in this test table only
)


def test_the_layered_calendar_takes_a_year_the_package_lacks_from_the_entered_table():
    calendar = LayeredCalendar(official, TEST_ONLY_2027)
    assert calendar.covers(2027)
    assert calendar.public_holiday(date(2027, 1, 1)) == PublicHoliday("元旦", "New Year's Day")
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 1, 4))
    assert calendar.is_swapped_workday(date(2027, 1, 9))
    assert not calendar.is_workday(date(2027, 1, 10))  # a plain Sunday


def test_the_package_always_wins_over_an_entered_year_it_covers():
    wrong_2026 = TableCalendar(years=[2026], holidays={date(2026, 3, 3): NATIONAL_DAY})
    calendar = LayeredCalendar(official, wrong_2026)
    assert calendar.is_workday(date(2026, 3, 3))
    assert calendar.public_holiday(date(2026, 2, 17)) == PublicHoliday("春节", "Spring Festival")


def test_the_layered_calendar_refuses_a_year_neither_knows_and_counts_across_new_year():
    calendar = LayeredCalendar(official, TEST_ONLY_2027)
    with pytest.raises(CalendarYearMissing) as refused:
        calendar.is_workday(date(2028, 1, 3))
    assert refused.value.year == 2028
    assert not calendar.covers(2028)
    # Thu 2026-12-31 + 3 working days: Mon 4 Jan 2027 (1 Jan is the test holiday), Tue, Wed.
    assert calendar.add_working_days(date(2026, 12, 31), 3) == date(2027, 1, 6)


def test_the_standard_holiday_names_come_from_the_package():
    assert PublicHoliday("春节", "Spring Festival") in STANDARD_HOLIDAYS
    assert standard_holiday("元旦") == PublicHoliday("元旦", "New Year's Day")
    assert standard_holiday("national day") == NATIONAL_DAY
    assert standard_holiday("圣诞节") is None
    assert 2026 in official.years() and 2099 not in official.years()


# -- the statutory days by law, for a year whose notice is not out yet -------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_day_worked_out_from_the_law_is_a_holiday_in_the_official_notice(year):
    import chinese_calendar

    from queue_server.domain.calendar import statutory_holidays

    days = statutory_holidays(year)
    # 元旦 1, 春节 4 (除夕 to 初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 (中秋 2025 is 6 Oct).
    assert len(days) == 13
    for day, holiday in days.items():
        resting, name = chinese_calendar.get_holiday_detail(day)
        assert resting and name is not None, (day, holiday)
    # Each of the notice's holiday periods holds at least one statutory day.
    official_names = {
        chinese_calendar.get_holiday_detail(date(year, 1, 1) + timedelta(n))[1]
        for n in range(365)
        if chinese_calendar.is_holiday(date(year, 1, 1) + timedelta(n))
    } - {None}
    assert official_names <= {h.name_en for h in days.values()}


def test_the_statutory_days_of_2027_fall_where_the_lunar_calendar_puts_them():
    from queue_server.domain.calendar import statutory_holidays

    days = {day.isoformat(): h.name_zh for day, h in statutory_holidays(2027).items()}
    assert days == {
        "2027-01-01": "元旦",
        "2027-02-05": "春节",  # 除夕
        "2027-02-06": "春节",  # 正月初一
        "2027-02-07": "春节",
        "2027-02-08": "春节",  # 初三
        "2027-04-05": "清明",
        "2027-05-01": "劳动节",
        "2027-05-02": "劳动节",
        "2027-06-09": "端午",
        "2027-09-15": "中秋",
        "2027-10-01": "国庆节",
        "2027-10-02": "国庆节",
        "2027-10-03": "国庆节",
    }


def test_a_provisional_year_rests_on_statutory_days_and_weekends_and_has_no_swapped_days():
    from queue_server.domain.calendar import ProvisionalCalendar

    provisional = ProvisionalCalendar()
    assert provisional.covers(2027) and provisional.is_provisional(2027)
    assert not provisional.is_workday(date(2027, 1, 1))  # 元旦, a Friday
    assert provisional.is_workday(date(2027, 1, 4))  # the first Monday
    assert not provisional.is_workday(date(2027, 1, 9))  # a Saturday: no 调休 without the notice
    assert provisional.public_holiday(date(2027, 2, 8)) == PublicHoliday("春节", "Spring Festival")
    assert provisional.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_the_layered_calendar_says_where_each_year_comes_from():
    from queue_server.domain.calendar import ProvisionalCalendar

    entered = TableCalendar([2028], {date(2028, 1, 1): PublicHoliday("元旦", "New Year's Day")})
    layered = LayeredCalendar(OfficialCalendar(), entered, ProvisionalCalendar())
    assert [layered.source(y) for y in (2026, 2027, 2028, 2200)] == [
        "package",
        "provisional",
        "entered",
        "missing",
    ]
    assert layered.is_provisional(2027) and not layered.is_official(2027)
    assert layered.is_official(2028) and not layered.is_provisional(2026)
    assert layered.is_workday(date(2027, 1, 4)) and not layered.is_workday(date(2027, 1, 1))
    # Counting across new year into a provisional year: 31 Dec 2026, then 4 Jan 2027.
    assert layered.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)
    with pytest.raises(CalendarYearMissing):
        layered.is_workday(date(2200, 1, 5))
