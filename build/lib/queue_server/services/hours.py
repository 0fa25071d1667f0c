"""A hall's opening hours read against the official calendar, for kiosks and bookings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.calendar import (
    CalendarYearMissing,
    HolidayCalendar,
    LayeredCalendar,
    OfficialCalendar,
    ProvisionalCalendar,
    PublicHoliday,
    TableCalendar,
)
from ..domain.errors import Conflict
from ..domain.hours import HallHours, Schedule, opening_notice
from ..domain.model import Hall
from ..domain.numbering import service_day
from ..store.calendar_tables import HOLIDAY, calendar_days, calendar_years
from ..store.db import CALENDAR_GENERATION

# The State Council schedule as the installed `chinese_calendar` package has it.
PACKAGE = OfficialCalendar()
# A year neither the package nor an admin has yet: the statutory days by law, provisionally.
PROVISIONAL = ProvisionalCalendar()
# How long a process keeps the entered years it read; a write in this process drops them at once,
# one in another process is seen within this time.
CALENDAR_SECONDS = 10.0
_CACHE_KEY = "official_calendar"


def entered_years(session: Session) -> TableCalendar:
    """The holiday schedules an admin entered, as one table (years the package lacks)."""
    years = list(session.execute(select(calendar_years.c.year)).scalars())
    holidays: dict[date, PublicHoliday] = {}
    swapped: list[date] = []
    for row in session.execute(select(calendar_days)).all():
        if row.kind == HOLIDAY:
            holidays[row.day] = PublicHoliday(row.name, row.name_en)
        else:
            swapped.append(row.day)
    return TableCalendar(years, holidays, swapped)


def official_calendar(session: Session) -> LayeredCalendar:
    """The calendar every use case reads: the package's years, then the years an admin entered
    (kept for CALENDAR_SECONDS, dropped at once by a write to those tables), then the
    provisional statutory days for a year neither has."""
    cache: dict[str, Any] = session.info.setdefault("cache", {})
    generation = cache.get(CALENDAR_GENERATION, 0)
    found = cache.get(_CACHE_KEY)
    now = time.monotonic()
    if found is not None and found[0] == generation and now - found[1] < CALENDAR_SECONDS:
        return found[2]
    calendar = LayeredCalendar(PACKAGE, entered_years(session), PROVISIONAL)
    # A write that happened while reading bumped the generation: such a read is not kept.
    if cache.get(CALENDAR_GENERATION, 0) == generation:
        cache[_CACHE_KEY] = (generation, now, calendar)
    return calendar


def hall_schedule(hall: Hall, calendar: HolidayCalendar) -> Schedule | None:
    """The hall's schedule, or None when no hours are configured (always open)."""
    if not hall.hours:
        return None
    return Schedule(HallHours.from_dict(hall.hours), calendar)


@dataclass(frozen=True)
class OpenState:
    """Whether citizens may walk in now, and when the hall opens next."""

    open: bool
    appointment_only: bool
    session: str | None
    next_opening: datetime | None
    notice: str
    notice_en: str

    def as_dict(self) -> dict[str, Any]:
        """As JSON for pages."""
        return {
            "open": self.open,
            "appointment_only": self.appointment_only,
            "session": self.session,
            "next_opening": self.next_opening.isoformat() if self.next_opening else None,
            "notice": self.notice,
            "notice_en": self.notice_en,
        }


def open_state(hall: Hall, now: datetime, calendar: HolidayCalendar) -> OpenState:
    """Open for walk-ins now? If not, the bilingual notice of the next opening."""
    schedule = hall_schedule(hall, calendar)
    if schedule is None:
        return OpenState(True, False, None, None, "", "")
    try:
        is_open, session = schedule.is_open(now)
    except CalendarYearMissing as missing:
        # Never guess a holiday: say so, and let staff serve by hand.
        return OpenState(False, False, None, None, missing.message, missing.message_en)
    if is_open and session is not None and not session.appointment_only:
        return OpenState(True, False, session.label, None, "", "")
    try:
        opening = schedule.next_opening(now, walk_in_only=True)
    except CalendarYearMissing:
        opening = None
    if opening is not None:
        text = opening_notice(opening, now)
        zh, en = text.zh, text.en
    else:
        zh, en = "本厅近期不对外办公", "The hall has no opening hours coming up"
    if is_open and session is not None:
        zh = "当前为预约服务时段，仅接待已预约的群众。" + zh
        en = "This session is for appointments only. " + en
    return OpenState(False, bool(is_open), session.label if session else None, opening, zh, en)


def require_walk_in_open(hall: Hall, now: datetime, calendar: HolidayCalendar) -> None:
    """Refuse a walk-in ticket outside opening hours, saying when the hall opens."""
    state = open_state(hall, now, calendar)
    if not state.open:
        raise Conflict(state.notice, state.notice_en)


def day_end(hall: Hall, day: date, calendar: HolidayCalendar) -> datetime:
    """When the hall's service day `day` ends (日终): its last session's end plus the hall's
    grace; a day without sessions (closed, no hours set) ends when the next service day
    begins."""
    schedule = hall_schedule(hall, calendar)
    closing = schedule.closing_time(day) if schedule is not None else None
    if closing is not None:
        return closing + hall.day_end_grace
    next_day = datetime.combine(
        day + timedelta(days=1), clock_time(), tzinfo=ZoneInfo(hall.timezone)
    )
    return next_day + timedelta(minutes=hall.day_starts_at_minute)


def last_day_end(hall: Hall, now: datetime, calendar: HolidayCalendar) -> datetime:
    """The latest day end of the hall at or before `now`."""
    day = service_day(now, hall.timezone, hall.day_starts_at_minute)
    for back in range(3):
        ended = day_end(hall, day - timedelta(days=back), calendar)
        if ended <= now:
            return ended
    return day_end(hall, day - timedelta(days=3), calendar)
