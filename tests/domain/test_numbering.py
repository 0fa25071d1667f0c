"""Ticket numbers: which service day an instant belongs to, and A001 … A999 within it.

The service day follows the hall's local clock (Asia/Shanghai is UTC+8 all year): it starts at
local midnight, or later when the hall sets `day_starts_at_minute`, never at UTC midnight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain.errors import CapacityReached, Conflict, InvalidInput
from queue_server.domain.numbering import format_number, next_seq, service_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
THREE_AM = 3 * 60


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        # 16:30 UTC on the 26th is 00:30 on the 27th in the hall: already the next day
        (utc(2026, 11, 26, 16, 30), date(2026, 11, 27)),
        # the local day changes at 16:00 UTC
        (utc(2026, 11, 26, 15, 59, 59), date(2026, 11, 26)),
        (utc(2026, 11, 26, 16, 0), date(2026, 11, 27)),
        # UTC midnight is 08:00 in the hall, the same service day as 07:59 local
        (utc(2026, 11, 27, 0, 0), date(2026, 11, 27)),
        (utc(2026, 11, 26, 23, 59), date(2026, 11, 27)),
        (local(2026, 11, 27, 7, 59), date(2026, 11, 27)),
        (local(2026, 11, 27, 8, 0), date(2026, 11, 27)),
        # the last minute of the local day
        (local(2026, 11, 27, 23, 59, 59), date(2026, 11, 27)),
        # New Year's Eve late at night in UTC is New Year's Day in the hall
        (utc(2026, 12, 31, 17, 0), date(2027, 1, 1)),
    ],
)
def test_the_service_day_is_the_halls_local_date(instant, day):
    assert service_day(instant, "Asia/Shanghai") == day


def test_utc_midnight_is_no_boundary_but_local_midnight_is():
    just_before_utc_midnight = utc(2026, 11, 26, 23, 59, 59)  # 07:59:59 local
    assert service_day(just_before_utc_midnight) == service_day(utc(2026, 11, 27, 0, 0))
    assert service_day(local(2026, 11, 26, 23, 59, 59)) != service_day(local(2026, 11, 27, 0, 0))


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        # with the day starting at 03:00, the night belongs to the day before
        (local(2026, 11, 27, 0, 0), date(2026, 11, 26)),
        (local(2026, 11, 27, 1, 30), date(2026, 11, 26)),
        (utc(2026, 11, 26, 17, 30), date(2026, 11, 26)),  # 01:30 local, given in UTC
        (local(2026, 11, 27, 2, 59, 59), date(2026, 11, 26)),
        (local(2026, 11, 27, 3, 0), date(2026, 11, 27)),
        (local(2026, 11, 27, 23, 59), date(2026, 11, 27)),
        (utc(2026, 11, 27, 0, 0), date(2026, 11, 27)),  # 08:00 local
    ],
)
def test_a_later_day_start_keeps_the_night_in_the_previous_service_day(instant, day):
    assert service_day(instant, "Asia/Shanghai", day_starts_at_minute=THREE_AM) == day


def test_the_service_day_follows_the_halls_own_time_zone():
    """Xinjiang halls keep local time at UTC+6: 16:30 UTC is still the evening before."""
    instant = utc(2026, 11, 26, 16, 30)
    assert service_day(instant, "Asia/Urumqi") == date(2026, 11, 26)
    assert service_day(instant, "Asia/Shanghai") == date(2026, 11, 27)


def test_a_time_without_a_time_zone_is_refused(refused):
    with refused(InvalidInput, "时区", "time zone"):
        service_day(datetime(2026, 11, 27, 9, 0))


@pytest.mark.parametrize(
    ("prefix", "seq", "number"),
    [
        ("A", 1, "A001"),
        ("B", 12, "B012"),
        ("C", 100, "C100"),
        ("A", 999, "A999"),
        ("AB", 7, "AB007"),
    ],
)
def test_a_number_is_the_prefix_and_three_digits(prefix, seq, number):
    assert format_number(prefix, seq) == number


@pytest.mark.parametrize(("last", "following"), [(None, 1), (0, 1), (1, 2), (41, 42), (998, 999)])
def test_the_next_sequence_follows_the_last_one_of_the_day(last, following):
    assert next_seq(last, daily_cap=999, category_name="社保") == following


@pytest.mark.parametrize(("cap", "last"), [(1, 1), (50, 50), (50, 60), (999, 999)])
def test_no_ticket_past_the_daily_cap(refused, cap, last):
    with refused(
        CapacityReached,
        f"今日「社保医保」的号已取完（每日 {cap} 个）",
        f"Today's tickets for 社保医保 are all taken ({cap} a day)",
        names=("社保医保",),
    ) as caught:
        next_seq(last, daily_cap=cap, category_name="社保医保")
    assert isinstance(caught.value, Conflict), "a full queue is a 409 like any conflict"


def test_a_category_hands_out_exactly_its_cap_in_one_day(refused):
    numbers = []
    last = None
    for _ in range(30):
        last = next_seq(last, daily_cap=30, category_name="不动产登记")
        numbers.append(format_number("D", last))

    assert numbers[0] == "D001"
    assert numbers[-1] == "D030"
    assert len(set(numbers)) == 30
    with refused(CapacityReached, "不动产登记", "30 a day", names=("不动产登记",)):
        next_seq(last, daily_cap=30, category_name="不动产登记")
