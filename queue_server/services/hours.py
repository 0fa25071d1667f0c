"""A hall's opening hours read against the official calendar, for kiosks and bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.calendar import CalendarYearMissing, HolidayCalendar, OfficialCalendar
from ..domain.errors import Conflict
from ..domain.hours import HallHours, Schedule, opening_notice
from ..domain.model import Hall

OFFICIAL = OfficialCalendar()


def hall_schedule(hall: Hall, calendar: HolidayCalendar = OFFICIAL) -> Schedule | None:
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


def open_state(hall: Hall, now: datetime, calendar: HolidayCalendar = OFFICIAL) -> OpenState:
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
        text = opening_notice(opening)
        zh, en = text.zh, text.en
    else:
        zh, en = "本厅近期不对外办公", "The hall has no opening hours coming up"
    if is_open and session is not None:
        zh = "当前为预约服务时段，仅接待已预约的群众。" + zh
        en = "This session is for appointments only. " + en
    return OpenState(False, bool(is_open), session.label if session else None, opening, zh, en)


def require_walk_in_open(hall: Hall, now: datetime) -> None:
    """Refuse a walk-in ticket outside opening hours, saying when the hall opens."""
    state = open_state(hall, now)
    if not state.open:
        raise Conflict(state.notice, state.notice_en)
