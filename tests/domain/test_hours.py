"""Hall hours against the official calendar: 5+X, 延时服务, 节假日受理, 365天无休, overrides, slots.

Dates used (checked against chinesecalendar 1.11): 2025-11-21 Fri, 11-22 Sat, 11-24 Mon,
11-25 Tue, 11-27 Thu are ordinary days; 2025-01-26 (Sun) and 2025-10-11 (Sat) are 调休 working
days; 2025-10-01..08 is the National Day break; 2025-09-30 (Tue) is a working day.
"""

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain.calendar import CalendarYearMissing, OfficialCalendar
from queue_server.domain.errors import InvalidInput
from queue_server.domain.hours import (
    DayOverride,
    HallHours,
    Schedule,
    Session,
    SessionKind,
    SlotRule,
    check_bookable,
    generate_slots,
    opening_notice,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = [1, 2, 3, 4, 5]

REGULAR = [
    {"weekdays": WEEKDAYS, "start": "9:00", "end": "12:00"},
    {"weekdays": WEEKDAYS, "start": "13:30", "end": "17:00"},
]
SATURDAY_MORNING = [{"weekdays": [6], "start": "09:00", "end": "12:00"}]
TUESDAY_THURSDAY_EVENINGS = [{"weekdays": [2, 4], "start": "17:00", "end": "19:00"}]
HOLIDAY_MORNINGS = [{"start": "09:00", "end": "12:00", "appointment_only": True}]
EVERY_DAY = [{"start": "09:00", "end": "17:00"}]


def at(year, month, day, hour=0, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def schedule(**hours):
    return Schedule(HallHours.from_dict({"regular": REGULAR, **hours}), OfficialCalendar())


def labels(sessions):
    return [s.label for s in sessions]


# --------------------------------------------------------------------------- sessions of a day


def test_regular_hours_on_an_ordinary_weekday():
    sessions = schedule().sessions_on(date(2025, 11, 24))
    assert labels(sessions) == ["09:00–12:00", "13:30–17:00"]
    assert all(s.kind is SessionKind.REGULAR and not s.appointment_only for s in sessions)


def test_regular_hours_do_not_apply_on_a_public_holiday():
    assert schedule().sessions_on(date(2025, 10, 1)) == []
    assert schedule().sessions_on(date(2025, 10, 8)) == []


def test_regular_hours_apply_on_a_swapped_working_sunday():
    assert labels(schedule().sessions_on(date(2025, 1, 26))) == ["09:00–12:00", "13:30–17:00"]


def test_a_swapped_working_day_follows_the_chosen_weekday():
    hall = schedule(
        regular=[*REGULAR, {"weekdays": [5], "start": "17:00", "end": "18:00"}],
        swapped_workday_follows=5,
    )
    assert labels(hall.sessions_on(date(2025, 10, 11))) == [
        "09:00–12:00",
        "13:30–17:00",
        "17:00–18:00",
    ]


def test_an_ordinary_saturday_is_closed_without_5_plus_x():
    assert schedule().sessions_on(date(2025, 11, 22)) == []


def test_5_plus_x_opens_on_saturday_morning():
    sessions = schedule(extra_days=SATURDAY_MORNING).sessions_on(date(2025, 11, 22))
    assert labels(sessions) == ["09:00–12:00"]
    assert sessions[0].kind is SessionKind.EXTRA_DAY
    assert not sessions[0].appointment_only
    assert schedule(extra_days=SATURDAY_MORNING).sessions_on(date(2025, 11, 23)) == []


def test_5_plus_x_saturday_gives_way_to_the_official_calendar():
    hall = schedule(extra_days=SATURDAY_MORNING)
    assert hall.sessions_on(date(2025, 10, 4)) == []  # Saturday in the National Day break
    # A 调休 working Saturday has full regular hours, not the 5+X morning.
    sessions = hall.sessions_on(date(2025, 10, 11))
    assert labels(sessions) == ["09:00–12:00", "13:30–17:00"]
    assert all(s.kind is SessionKind.REGULAR for s in sessions)


def test_extended_hours_are_appointment_only_on_their_weekdays():
    hall = schedule(extended=TUESDAY_THURSDAY_EVENINGS)
    tuesday = hall.sessions_on(date(2025, 11, 25))
    assert labels(tuesday) == ["09:00–12:00", "13:30–17:00", "17:00–19:00"]
    evening = tuesday[-1]
    assert evening.kind is SessionKind.EXTENDED
    assert evening.appointment_only
    assert labels(hall.sessions_on(date(2025, 11, 26))) == ["09:00–12:00", "13:30–17:00"]
    assert hall.is_open(at(2025, 11, 25, 18, 0)) == (True, evening)
    assert hall.is_open(at(2025, 11, 26, 18, 0)) == (False, None)


def test_extended_hours_can_be_walk_in_when_the_manager_says_so():
    hall = schedule(
        extended=[{"weekdays": [2], "start": "17:00", "end": "19:00", "appointment_only": False}]
    )
    assert not hall.sessions_on(date(2025, 11, 25))[-1].appointment_only


def test_holiday_service_opens_on_public_holidays_only():
    hall = schedule(holiday=HOLIDAY_MORNINGS)
    sessions = hall.sessions_on(date(2025, 10, 1))
    assert labels(sessions) == ["09:00–12:00"]
    assert sessions[0].kind is SessionKind.HOLIDAY and sessions[0].appointment_only
    assert hall.sessions_on(date(2025, 11, 22)) == []  # an ordinary Saturday is no holiday


def test_365_day_service_is_open_on_a_public_holiday_and_every_weekend():
    hall = schedule(year_round=EVERY_DAY)
    open_now, session = hall.is_open(at(2025, 10, 1, 10, 0))
    assert open_now
    assert session is not None and session.kind is SessionKind.YEAR_ROUND
    assert hall.is_open(at(2025, 11, 23, 16, 30))[0]
    for offset in range(366):
        assert hall.sessions_on(date(2025, 1, 1) + timedelta(days=offset)), offset


def test_365_day_service_keeps_regular_hours_on_working_days():
    hall = schedule(year_round=EVERY_DAY)
    assert hall.is_open(at(2025, 11, 24, 12, 30)) == (False, None)  # lunch break on a weekday


def test_holiday_service_takes_precedence_over_365_day_service_on_holidays():
    hall = schedule(holiday=HOLIDAY_MORNINGS, year_round=EVERY_DAY)
    assert labels(hall.sessions_on(date(2025, 10, 2))) == ["09:00–12:00"]
    assert labels(hall.sessions_on(date(2025, 11, 23))) == ["09:00–17:00"]


def test_an_override_closes_a_working_day():
    hours = HallHours.from_dict(
        {
            "regular": REGULAR,
            "overrides": [{"date": "2025-11-27", "closed": True, "reason": "停电"}],
        }
    )
    hall = Schedule(hours, OfficialCalendar())
    assert hall.sessions_on(date(2025, 11, 27)) == []
    assert hall.is_open(at(2025, 11, 27, 10, 0)) == (False, None)
    assert "停电" in hall.describe_day(date(2025, 11, 27)).zh


def test_an_override_opens_special_hours_on_a_holiday():
    hours = HallHours.from_dict({"regular": REGULAR}).with_override(
        DayOverride(
            day=date(2025, 10, 3),
            sessions=(Session(time(9), time(11), kind=SessionKind.SPECIAL),),
            reason="集中办理",
        )
    )
    hall = Schedule(hours, OfficialCalendar())
    open_now, session = hall.is_open(at(2025, 10, 3, 10, 0))
    assert open_now and session is not None and session.kind is SessionKind.SPECIAL
    assert not hall.is_open(at(2025, 10, 3, 11, 0))[0]
    back_to_normal = Schedule(hours.without_override(date(2025, 10, 3)), OfficialCalendar())
    assert back_to_normal.sessions_on(date(2025, 10, 3)) == []


def test_a_day_in_a_year_without_holiday_data_is_refused_unless_overridden():
    hours = HallHours.from_dict(
        {"regular": REGULAR, "overrides": [{"date": "2031-01-02", "closed": True}]}
    )
    hall = Schedule(hours, OfficialCalendar())
    with pytest.raises(CalendarYearMissing):
        hall.sessions_on(date(2031, 1, 3))
    assert hall.sessions_on(date(2031, 1, 2)) == []


# ----------------------------------------------------------------------------- open or closed


def test_a_session_includes_its_start_and_excludes_its_end():
    hall = schedule()
    assert hall.is_open(at(2025, 11, 24, 9, 0))[0]
    assert hall.is_open(at(2025, 11, 24, 11, 59, 59))[0]
    assert not hall.is_open(at(2025, 11, 24, 12, 0))[0]
    assert not hall.is_open(at(2025, 11, 24, 8, 59, 59))[0]


def test_is_open_reads_the_moment_in_the_halls_time_zone():
    hall = schedule()
    assert hall.is_open(datetime(2025, 11, 24, 1, 0, tzinfo=UTC))[0]  # 09:00 in Shanghai
    assert not hall.is_open(datetime(2025, 11, 24, 9, 0, tzinfo=UTC))[0]  # 17:00


def test_a_moment_without_a_time_zone_is_refused():
    with pytest.raises(InvalidInput):
        schedule().is_open(datetime(2025, 11, 24, 10, 0))


# ------------------------------------------------------------------------------- next opening


def test_next_opening_after_the_lunch_break():
    assert schedule().next_opening(at(2025, 11, 24, 12, 30)) == at(2025, 11, 24, 13, 30)


def test_next_opening_across_a_weekend():
    opening = schedule().next_opening(at(2025, 11, 21, 17, 30))
    assert opening == at(2025, 11, 24, 9, 0)
    assert opening is not None and opening.tzinfo is not None


def test_next_opening_on_a_5_plus_x_saturday():
    hall = schedule(extra_days=SATURDAY_MORNING)
    assert hall.next_opening(at(2025, 11, 21, 17, 30)) == at(2025, 11, 22, 9, 0)


def test_next_opening_across_the_national_day_week():
    assert schedule().next_opening(at(2025, 9, 30, 17, 30)) == at(2025, 10, 9, 9, 0)


def test_next_opening_for_walk_ins_skips_appointment_only_holiday_service():
    hall = schedule(holiday=HOLIDAY_MORNINGS)
    assert hall.next_opening(at(2025, 9, 30, 17, 30)) == at(2025, 10, 1, 9, 0)
    assert hall.next_opening(at(2025, 9, 30, 17, 30), walk_in_only=True) == at(2025, 10, 9, 9, 0)


def test_extended_hours_straight_after_regular_hours_are_no_new_opening():
    hall = schedule(extended=TUESDAY_THURSDAY_EVENINGS)
    assert hall.next_opening(at(2025, 11, 25, 16, 0)) == at(2025, 11, 26, 9, 0)


def test_next_opening_at_the_opening_moment_is_that_moment():
    assert schedule().next_opening(at(2025, 11, 24, 9, 0)) == at(2025, 11, 24, 9, 0)


def test_a_hall_with_no_hours_has_no_next_opening():
    hall = Schedule(HallHours(), OfficialCalendar())
    assert hall.next_opening(at(2025, 11, 24, 9, 0)) is None


def test_the_kiosk_notice_names_the_day_and_time():
    notice = opening_notice(at(2025, 11, 27, 9, 0))
    assert notice.zh == "本厅将于 11月27日 09:00 开放"
    assert notice.en == "The hall opens on 27 Nov at 09:00"


# ------------------------------------------------------------------------------ descriptions


def test_describe_a_public_holiday():
    text = schedule().describe_day(date(2025, 10, 1))
    assert text.zh == "10月1日（周三，国庆节）：休息"
    assert text.en == "1 Oct (Wed, National Day): closed"


def test_describe_a_day_with_extended_hours():
    text = schedule(extended=TUESDAY_THURSDAY_EVENINGS).describe_day(date(2025, 11, 25))
    assert text.zh == "11月25日（周二）：09:00–12:00、13:30–17:00、17:00–19:00（仅限预约）"
    assert text.en == "25 Nov (Tue): 09:00–12:00, 13:30–17:00, 17:00–19:00 (appointment only)"


def test_describe_a_swapped_working_day():
    assert schedule().describe_day(date(2025, 1, 26)).zh == (
        "1月26日（周日，调休上班）：09:00–12:00、13:30–17:00"
    )


# -------------------------------------------------------------------------- JSON round trip


def test_hours_survive_a_json_round_trip():
    hours = HallHours.from_dict(
        {
            "regular": REGULAR,
            "extra_days": SATURDAY_MORNING,
            "extended": TUESDAY_THURSDAY_EVENINGS,
            "holiday": HOLIDAY_MORNINGS,
            "year_round": EVERY_DAY,
            "overrides": [
                {"date": "2025-11-27", "closed": True, "reason": "停电"},
                {"date": "2025-10-03", "sessions": [{"start": "9:00", "end": "11:00"}]},
            ],
            "swapped_workday_follows": 3,
        }
    )
    stored = json.loads(json.dumps(hours.to_dict()))
    assert HallHours.from_dict(stored) == hours


def test_to_dict_writes_times_with_two_digits_and_groups_weekdays():
    data = HallHours.from_dict({"regular": REGULAR}).to_dict()
    assert data["regular"] == [
        {"weekdays": WEEKDAYS, "start": "09:00", "end": "12:00", "appointment_only": False},
        {"weekdays": WEEKDAYS, "start": "13:30", "end": "17:00", "appointment_only": False},
    ]
    assert data["timezone"] == "Asia/Shanghai"


def test_9_00_and_09_00_are_the_same_time():
    one = HallHours.from_dict({"regular": [{"weekdays": [1], "start": "9:00", "end": "12:00"}]})
    two = HallHours.from_dict({"regular": [{"weekdays": [1], "start": "09:00", "end": "12:00"}]})
    assert one == two


def _refusal(data):
    with pytest.raises(InvalidInput) as refused:
        HallHours.from_dict(data)
    assert refused.value.message and refused.value.message_en
    return refused.value


def _weekly(weekdays=(1,), start="09:00", end="12:00"):
    return [{"weekdays": list(weekdays), "start": start, "end": end}]


def test_an_end_before_the_start_is_refused():
    error = _refusal({"regular": _weekly(start="13:00", end="12:00")})
    assert "结束时间" in error.message and "after the start" in error.message_en


def test_a_session_of_no_length_is_refused():
    _refusal({"regular": _weekly(start="12:00", end="12:00")})


def test_overlapping_regular_sessions_are_refused():
    error = _refusal(
        {
            "regular": [
                {"weekdays": [1], "start": "09:00", "end": "12:00"},
                {"weekdays": [1], "start": "11:30", "end": "14:00"},
            ]
        }
    )
    assert "重叠" in error.message and "overlap" in error.message_en


def test_extended_hours_overlapping_regular_hours_are_refused():
    _refusal(
        {
            "regular": _weekly(weekdays=[2], start="13:30", end="17:30"),
            "extended": _weekly(weekdays=[2], start="17:00", end="19:00"),
        }
    )


@pytest.mark.parametrize("weekday", [0, 8, "mon", True, 1.0])
def test_a_bad_weekday_is_refused(weekday):
    error = _refusal({"regular": _weekly(weekdays=[weekday])})
    assert "星期" in error.message and "weekday" in error.message_en


def test_regular_hours_on_saturday_are_refused_with_a_hint_to_use_5_plus_x():
    error = _refusal({"regular": _weekly(weekdays=[6])})
    assert "5+X" in error.message and "5+X" in error.message_en


def test_a_5_plus_x_day_on_a_weekday_is_refused():
    _refusal({"extra_days": _weekly(weekdays=[3])})


@pytest.mark.parametrize("bad_time", ["9", "25:00", "09:60", "9:0", "09:00:00", 900, None])
def test_a_bad_time_is_refused(bad_time):
    error = _refusal({"regular": _weekly(start=bad_time)})
    assert "09:00" in error.message_en


@pytest.mark.parametrize(
    "data",
    [
        {"regular_hours": REGULAR},
        {"timezone": "Mars/Olympus"},
        {"regular": {"weekdays": [1]}},
        {"regular": [{"start": "09:00", "end": "12:00"}]},
        {"overrides": [{"date": "2025-11-27"}]},
        {"overrides": [{"date": "2025-11-27", "closed": True, "sessions": EVERY_DAY}]},
        {"overrides": [{"date": "27/11/2025", "closed": True}]},
        {"overrides": [{"date": "2025-11-27", "closed": True}] * 2},
        {"swapped_workday_follows": 6},
        {"holiday": [{"start": "09:00", "end": "12:00", "appointment_only": "yes"}]},
        "not an object",
    ],
)
def test_malformed_hours_are_refused(data):
    _refusal(data)


# ------------------------------------------------------------------------------------- slots

RULE = SlotRule(slot_minutes=30, places_per_slot=2, days_ahead=7)


def test_no_slot_has_begun_before_now():
    now = at(2025, 11, 24, 10, 10)
    slots = generate_slots(schedule(), RULE, date(2025, 11, 24), now)
    assert [s.start.strftime("%H:%M") for s in slots][:4] == ["10:30", "11:00", "11:30", "13:30"]
    assert all(s.start >= now for s in slots)
    assert len(slots) == 3 + 7
    assert {s.capacity for s in slots} == {2}


def test_slots_never_cross_the_end_of_a_session():
    rule = SlotRule(slot_minutes=40, places_per_slot=1, days_ahead=7)
    slots = generate_slots(schedule(), rule, date(2025, 11, 25), at(2025, 11, 24, 8, 0))
    assert [s.start.strftime("%H:%M") for s in slots] == [
        "09:00", "09:40", "10:20", "11:00", "13:30", "14:10", "14:50", "15:30", "16:10",
    ]  # fmt: skip
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=40)
        assert slot.end.time() <= time(12) or slot.start.time() >= time(13, 30)
        assert slot.end.time() <= time(17)


def test_slots_stop_at_the_booking_horizon():
    now = at(2025, 11, 24, 8, 0)
    assert generate_slots(schedule(), RULE, date(2025, 12, 1), now)  # today + 7
    assert generate_slots(schedule(), RULE, date(2025, 12, 2), now) == []
    assert generate_slots(schedule(), RULE, date(2025, 11, 21), now) == []  # the past


def test_no_slots_on_a_closed_day():
    now = at(2025, 9, 29, 8, 0)
    assert generate_slots(schedule(), RULE, date(2025, 10, 1), now) == []


def test_only_appointment_sessions_can_be_bookable():
    rule = SlotRule(
        slot_minutes=60, places_per_slot=3, days_ahead=7, only_appointment_sessions=True
    )
    hall = schedule(extended=TUESDAY_THURSDAY_EVENINGS)
    slots = generate_slots(hall, rule, date(2025, 11, 25), at(2025, 11, 24, 8, 0))
    assert [(s.start.hour, s.end.hour) for s in slots] == [(17, 18), (18, 19)]
    assert generate_slots(hall, rule, date(2025, 11, 26), at(2025, 11, 24, 8, 0)) == []


def test_holiday_service_slots_on_a_public_holiday():
    hall = schedule(holiday=HOLIDAY_MORNINGS)
    rule = SlotRule(slot_minutes=60, days_ahead=3, bookable_kinds=frozenset({SessionKind.HOLIDAY}))
    slots = generate_slots(hall, rule, date(2025, 10, 1), at(2025, 9, 30, 12, 0))
    assert [s.start for s in slots] == [at(2025, 10, 1, h) for h in (9, 10, 11)]


def test_a_free_slot_is_bookable():
    now = at(2025, 11, 24, 10, 10)
    slot = check_bookable(schedule(), RULE, at(2025, 11, 25, 13, 30), now)
    assert (slot.start, slot.end, slot.capacity) == (
        at(2025, 11, 25, 13, 30),
        at(2025, 11, 25, 14, 0),
        2,
    )


def test_a_slot_given_in_utc_is_read_in_hall_time():
    slot_start = datetime(2025, 11, 25, 5, 30, tzinfo=UTC)  # 13:30 in Shanghai
    slot = check_bookable(schedule(), RULE, slot_start, at(2025, 11, 24, 10, 10))
    assert slot.start == at(2025, 11, 25, 13, 30)


def _booking_refusal(slot_start, now=None, hall=None, rule=RULE):
    with pytest.raises(InvalidInput) as refused:
        check_bookable(hall or schedule(), rule, slot_start, now or at(2025, 11, 24, 10, 10))
    return refused.value


def test_booking_the_past_is_refused():
    error = _booking_refusal(at(2025, 11, 24, 10, 0))
    assert error.message == "不能预约过去的时间"
    assert error.message_en == "Cannot book a time in the past"


def test_booking_beyond_the_horizon_is_refused():
    error = _booking_refusal(at(2025, 12, 2, 9, 0))
    assert "7" in error.message and "7 days ahead" in error.message_en


def test_booking_on_a_public_holiday_is_refused_naming_the_holiday():
    # Wednesday 1 October 2025, a weekday of the National Day break
    error = _booking_refusal(at(2025, 10, 1, 9, 0), now=at(2025, 9, 28, 10, 0))
    assert error.message == "10月1日是国庆节，大厅不办公，请选择其他日期"
    assert "National Day" in error.message_en and "2025-10-01" in error.message_en


def test_booking_outside_hours_is_refused():
    error = _booking_refusal(at(2025, 11, 25, 12, 30))
    assert "不在办公时间" in error.message and "outside" in error.message_en
    assert _booking_refusal(at(2025, 11, 29, 9, 0)).message == error.message  # a Saturday


def test_booking_a_time_between_slot_starts_is_refused():
    error = _booking_refusal(at(2025, 11, 25, 9, 10))
    assert "30" in error.message and "slot" in error.message_en


def test_booking_a_walk_in_session_is_refused_when_only_appointment_sessions_are_bookable():
    rule = SlotRule(only_appointment_sessions=True)
    hall = schedule(extended=TUESDAY_THURSDAY_EVENINGS)
    error = _booking_refusal(at(2025, 11, 25, 9, 0), hall=hall, rule=rule)
    assert "不接受预约" in error.message
    assert check_bookable(hall, rule, at(2025, 11, 25, 17, 0), at(2025, 11, 24, 10, 10))


def test_booking_with_a_naive_time_is_refused():
    _booking_refusal(datetime(2025, 11, 25, 13, 30))


@pytest.mark.parametrize(
    "settings",
    [
        {"slot_minutes": 0},
        {"slot_minutes": 2000},
        {"places_per_slot": 0},
        {"days_ahead": -1},
        {"bookable_kinds": frozenset()},
    ],
)
def test_a_nonsensical_slot_rule_is_refused(settings):
    with pytest.raises(InvalidInput):
        SlotRule(**settings)


def test_a_slot_rule_survives_a_json_round_trip():
    rule = SlotRule(
        slot_minutes=20,
        places_per_slot=4,
        days_ahead=14,
        bookable_kinds=frozenset({SessionKind.EXTENDED, SessionKind.HOLIDAY}),
        only_appointment_sessions=True,
    )
    assert SlotRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def test_a_slot_rule_with_an_unknown_kind_of_session_is_refused():
    with pytest.raises(InvalidInput) as refused:
        SlotRule.from_dict({"bookable_kinds": ["evening"]})
    assert "extended" in refused.value.message_en
