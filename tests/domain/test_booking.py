"""Booking rules without a server: codes, the limits, no-show pauses, the check-in window and
the life of a booking and of a home visit."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain.booking import (
    CODE_ALPHABET,
    Booking,
    BookingKind,
    BookingPolicy,
    BookingRule,
    BookingState,
    CheckInTiming,
    HomeVisitOutcome,
    check_in_timing,
    format_code,
    new_booking_code,
    no_show_block_until,
    normalize_code,
    require_free_place,
    require_no_other_booking,
    require_not_blocked,
    validate_address,
    validate_citizen_name,
)
from queue_server.domain.errors import CapacityReached, Conflict, Forbidden, InvalidInput
from queue_server.domain.hours import SessionKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
SLOT = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)  # Friday 09:00
POLICY = BookingPolicy()  # check-in from 30 min before to 15 min after


def at(hour: int, minute: int = 0, day: int = 27) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def booking(**fields: object) -> Booking:
    values: dict[str, object] = {
        "hall_id": 1,
        "kind": BookingKind.APPOINTMENT,
        "code": "K7WQ3MPA",
        "service_item_id": 1,
        "category_id": 1,
        "pool": "category:1",
        "day": SLOT.date(),
        "citizen_name": "张三",
        "phone": "13812345678",
        "id_digest": "d" * 64,
        "id_masked": "3708**********0019",
        "created_at": at(9, 30, day=26),
        "slot_start": SLOT,
        "slot_end": SLOT + timedelta(minutes=30),
        "id": 1,
    }
    values.update(fields)
    return Booking(**values)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ codes


def test_codes_are_eight_unambiguous_characters_and_differ():
    codes = {new_booking_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(CODE_ALPHABET)
    assert not set("01IO") & set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) == 32  # 32^8 ≈ 1.1 × 10^12 codes


def test_a_code_is_read_back_however_it_was_typed_or_scanned():
    code = new_booking_code(random.Random(7).choice)
    shown = format_code(code)
    assert shown == f"{code[:4]}-{code[4:]}"
    assert normalize_code(shown) == code
    assert normalize_code(f" {shown.lower()} ") == code
    assert normalize_code(f"{code[:2]} {code[2:5]}_{code[5:]}") == code


@pytest.mark.parametrize(
    "typed", ["", "K7WQ3MP", "K7WQ3MPA9", "K7WQ3MP0", "K7WQ3MPO", "K1WQ3MPA", None, 12345678]
)
def test_a_malformed_code_is_refused_saying_what_a_code_looks_like(typed, refused):
    with refused(InvalidInput, "8 位", "8 letters or digits"):
        normalize_code(typed)


# ----------------------------------------------------------------------------- citizen input


def test_names_as_on_the_id_card_are_accepted():
    assert validate_citizen_name("  张三 ") == "张三"
    assert validate_citizen_name("买买提·艾力") == "买买提·艾力"
    assert validate_citizen_name("Li  Lei") == "Li Lei"


@pytest.mark.parametrize("name", ["", "   ", "张三123", "<b>张三</b>", "张" * 31, None])
def test_a_name_that_cannot_be_on_an_id_card_is_refused(name, refused):
    with refused(InvalidInput):
        validate_citizen_name(name)


def test_a_home_visit_needs_a_real_address(refused):
    assert validate_address(" 李家村3组12号 ") == "李家村3组12号"
    with refused(InvalidInput, "地址", "address"):
        validate_address("村里")


# -------------------------------------------------------------------------------- the limits


def test_a_slot_with_every_place_taken_is_full(refused):
    require_free_place(10, 9)
    with refused(CapacityReached, "约满", "fully booked"):
        require_free_place(10, 10)


def test_one_active_booking_per_person_service_and_day(refused):
    require_no_other_booking(0)
    with refused(Conflict, "每人每天每个事项只能预约一次", "one per person"):
        require_no_other_booking(1)


def test_three_no_shows_in_30_days_pause_booking_for_14_days_after_the_last():
    today = date(2026, 11, 26)
    missed = [date(2026, 11, 2), date(2026, 11, 10), date(2026, 11, 20)]
    assert no_show_block_until(POLICY, missed, today) == date(2026, 12, 4)
    assert no_show_block_until(POLICY, missed[:2], today) is None
    # The pause ends: from 5 December booking is open again.
    assert no_show_block_until(POLICY, missed, date(2026, 12, 5)) is None
    # A no-show older than the window no longer counts.
    old = [date(2026, 10, 20), date(2026, 11, 10), date(2026, 11, 20)]
    assert no_show_block_until(POLICY, old, today) is None


def test_the_no_show_limits_are_the_halls_to_choose():
    strict = BookingPolicy(max_no_shows=1, block_days=7)
    assert no_show_block_until(strict, [date(2026, 11, 25)], date(2026, 11, 26)) == date(
        2026, 12, 2
    )
    lenient = BookingPolicy(max_no_shows=5)
    assert (
        no_show_block_until(lenient, [date(2026, 11, d) for d in (2, 3, 4)], date(2026, 11, 26))
        is None
    )


def test_a_paused_citizen_is_told_from_when_they_can_book_again():
    missed = [date(2026, 11, 2), date(2026, 11, 10), date(2026, 11, 20)]
    with pytest.raises(Forbidden) as caught:
        require_not_blocked(POLICY, missed, date(2026, 11, 26))
    assert caught.value.code == "forbidden"
    assert "12月5日起可再次预约" in caught.value.message
    assert "from 2026-12-05" in caught.value.message_en


@pytest.mark.parametrize(
    "settings",
    [
        {"max_no_shows": 0},
        {"block_days": -1},
        {"check_in_before_minutes": 241},
        {"remind_hours_before": True},
        {"no_show_window_days": 60, "keep_personal_days": 30},
        {"surprise": 1},
    ],
)
def test_a_nonsensical_policy_is_refused(settings, refused):
    with refused(InvalidInput):
        BookingPolicy.from_dict(settings)


def test_a_policy_and_a_rule_survive_a_json_round_trip():
    policy = BookingPolicy(max_no_shows=4, check_in_after_minutes=20)
    assert BookingPolicy.from_dict(policy.to_dict()) == policy
    rule = BookingRule.from_dict(
        {"slot_minutes": 20, "places_per_slot": 10, "appointment_only_kinds": ["extra_day"]}
    )
    assert rule.slot.slot_minutes == 20 and rule.slot.places_per_slot == 10
    assert rule.appointment_only_kinds == frozenset({SessionKind.EXTRA_DAY})
    assert BookingRule.from_dict(rule.to_dict()) == rule


def test_a_rule_naming_an_unknown_kind_of_session_is_refused(refused):
    with refused(InvalidInput, "未知的时段类型", "unknown kind of session"):
        BookingRule.from_dict({"appointment_only_kinds": ["weekend"]})


# ---------------------------------------------------------------------------------- check-in


@pytest.mark.parametrize(
    ("now", "timing"),
    [
        (at(8, 30), CheckInTiming.ON_TIME),  # the window opens 30 minutes before
        (at(9, 0), CheckInTiming.ON_TIME),
        (at(9, 15), CheckInTiming.ON_TIME),  # and keeps priority 15 minutes after the start
        (at(9, 16), CheckInTiming.LATE),
        (at(16, 50), CheckInTiming.LATE),
    ],
)
def test_check_in_is_on_time_in_the_window_and_late_after_it(now, timing):
    assert check_in_timing(POLICY, SLOT, now, SHANGHAI) is timing


def test_checking_in_too_early_says_from_when(refused):
    with refused(Conflict, "请于 08:30 以后签到", "check in from 08:30"):
        check_in_timing(POLICY, SLOT, at(8, 29), SHANGHAI)


def test_checking_in_on_another_day_names_the_booked_day(refused):
    with refused(Conflict, "11月27日 09:00", "2026-11-27"):
        check_in_timing(POLICY, SLOT, at(9, 0, day=26), SHANGHAI)
    with refused(Conflict, "已过期", "expired"):
        check_in_timing(POLICY, SLOT, at(9, 0, day=28), SHANGHAI)


def test_the_check_in_window_is_the_halls_to_choose():
    wide = BookingPolicy(check_in_before_minutes=60, check_in_after_minutes=30)
    assert check_in_timing(wide, SLOT, at(8, 0), SHANGHAI) is CheckInTiming.ON_TIME
    assert check_in_timing(wide, SLOT, at(9, 30), SHANGHAI) is CheckInTiming.ON_TIME


# ------------------------------------------------------------------------------ its life


def test_a_checked_in_booking_is_used_and_cannot_be_checked_in_twice(refused):
    b = booking()
    assert b.check_in(POLICY, at(8, 45), SHANGHAI) is CheckInTiming.ON_TIME
    assert b.state is BookingState.CHECKED_IN and not b.late
    with refused(Conflict, "已签到", "already checked in", unchanged=b):
        b.check_in(POLICY, at(8, 46), SHANGHAI)


def test_a_late_check_in_is_marked_late():
    b = booking()
    assert b.check_in(POLICY, at(10, 0), SHANGHAI) is CheckInTiming.LATE
    assert b.late


def test_a_cancelled_booking_can_neither_be_checked_in_nor_cancelled_again(refused):
    b = booking()
    b.cancel(at(8, 0))
    assert b.state is BookingState.CANCELLED
    with refused(Conflict, "已取消", "cancelled", unchanged=b):
        b.check_in(POLICY, at(8, 45), SHANGHAI)
    with refused(Conflict, "已取消", "cancelled", unchanged=b):
        b.cancel(at(8, 1))


def test_a_booking_cannot_be_cancelled_or_moved_once_its_time_has_come(refused):
    b = booking()
    with refused(Conflict, "预约时间已到", "time has come", unchanged=b):
        b.cancel(SLOT)
    later = SLOT + timedelta(hours=1)
    with refused(Conflict, "预约时间已到", "time has come", unchanged=b):
        b.move(later, later + timedelta(minutes=30), later.date(), "category:1", SLOT)


def test_moving_keeps_the_code_counts_the_move_and_asks_for_a_new_reminder():
    b = booking(reminded_at=at(9, 0, day=26))
    new = at(14, 0)
    b.move(new, new + timedelta(minutes=30), new.date(), "category:1", at(8, 0))
    assert (b.code, b.slot_start, b.moves, b.reminded_at) == ("K7WQ3MPA", new, 1, None)


def test_missed_means_the_day_passed_without_a_check_in():
    b = booking()
    assert not b.missed(date(2026, 11, 27))
    assert b.missed(date(2026, 11, 28))
    b.check_in(POLICY, at(10, 0), SHANGHAI)
    assert not b.missed(date(2026, 11, 28))  # late, but came


def test_a_home_visit_is_assigned_then_closed_with_its_outcome(refused):
    visit = booking(
        kind=BookingKind.HOME_VISIT, slot_start=None, slot_end=None, address="李家村3组12号"
    )
    with refused(Conflict, "请先把上门服务派给工作人员", "assign the home visit", unchanged=visit):
        visit.close(HomeVisitOutcome.COMPLETED, "", at(10, 0))
    with refused(Conflict, "无需到大厅签到", "needs no check-in", unchanged=visit):
        visit.check_in(POLICY, at(9, 0), SHANGHAI)
    visit.assign(7, at(9, 0))
    visit.assign(8, at(9, 5))  # reassigned
    assert (visit.state, visit.assigned_clerk_id) == (BookingState.ASSIGNED, 8)
    visit.close(HomeVisitOutcome.COMPLETED, "已代办提交", at(15, 0))
    assert (visit.state, visit.outcome, visit.outcome_note) == (
        BookingState.CLOSED,
        "completed",
        "已代办提交",
    )
    with refused(Conflict, "已办结", "closed", unchanged=visit):
        visit.assign(7, at(15, 5))


def test_an_appointment_is_not_assigned_like_a_home_visit(refused):
    b = booking()
    with refused(Conflict, "只有上门服务", "only a home visit", unchanged=b):
        b.assign(7, at(8, 0))
