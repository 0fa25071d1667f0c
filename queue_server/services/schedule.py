"""A hall's opening hours and its calendar, as managers change them and everyone reads them.

Hours are the domain's `HallHours`, kept as JSON on the hall; the official calendar is
`services.hours.official_calendar` (public holidays and 调休 from the `chinese_calendar` package). A day
in a year the package does not cover is reported as unknown, with the reason, never guessed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from ..domain.booking import HOLDS_A_PLACE, SESSION_KIND_NAMES, BookingKind
from ..domain.calendar import CalendarYearMissing, HolidayCalendar
from ..domain.errors import InvalidInput, NotFound
from ..domain.hours import (
    MONTH_NAMES_EN,
    WEEKDAY_NAMES_EN,
    WEEKDAY_NAMES_ZH,
    DayOverride,
    HallHours,
    Schedule,
)
from ..domain.model import ServiceItem
from ..store import booking_tables as bt
from . import access, views
from .context import Actor, Deps, audit
from .hours import hall_schedule, official_calendar, open_state
from .queue_messages import Outbox
from .unit_of_work import run

MAX_DAYS = 62


def parse_day(raw: Any, what: str = "date") -> date:
    """A date written as 2026-11-27 (or already a date), or a bilingual refusal."""
    if isinstance(raw, date):
        return raw
    try:
        if isinstance(raw, str) and len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise InvalidInput(
        f"日期格式应为 2026-11-27（{what}）", f"{what} must be a date such as 2026-11-27"
    )


def session_view(session: Any) -> dict[str, Any]:
    """One session of a day."""
    zh, en = SESSION_KIND_NAMES[session.kind]
    return {
        "start": f"{session.start:%H:%M}",
        "end": f"{session.end:%H:%M}",
        "label": session.label,
        "kind": session.kind.value,
        "kind_name": zh,
        "kind_name_en": en,
        "appointment_only": session.appointment_only,
    }


def day_view(schedule: Schedule | None, calendar: HolidayCalendar, day: date) -> dict[str, Any]:
    """What a date holds: working day or not, holiday, 调休, sessions, in words."""
    view: dict[str, Any] = {
        "date": day.isoformat(),
        "weekday": day.isoweekday(),
        "weekday_name": WEEKDAY_NAMES_ZH[day.weekday()],
        "weekday_name_en": WEEKDAY_NAMES_EN[day.weekday()],
        "label": f"{day.month}月{day.day}日 {WEEKDAY_NAMES_ZH[day.weekday()]}",
        "label_en": f"{WEEKDAY_NAMES_EN[day.weekday()]} {day.day} {MONTH_NAMES_EN[day.month - 1]}",
    }
    override = schedule.hours.overrides.get(day) if schedule else None
    view["override"] = (
        {"closed": override.closed, "reason": override.reason} if override is not None else None
    )
    try:
        holiday = calendar.public_holiday(day)
        view.update(
            known=True,
            workday=calendar.is_workday(day),
            holiday=holiday.name_zh if holiday else None,
            holiday_en=holiday.name_en if holiday else None,
            swapped_workday=calendar.is_swapped_workday(day),
        )
        view["provisional"] = calendar.is_provisional(day.year)
    except CalendarYearMissing as missing:
        view.update(
            known=False,
            workday=None,
            holiday=None,
            holiday_en=None,
            swapped_workday=None,
            message=missing.message,
            message_en=missing.message_en,
        )
    if schedule is None:
        view.update(sessions=None, text="未设置办公时间", text_en="no hours configured")
        return view
    try:
        view["sessions"] = [session_view(s) for s in schedule.sessions_on(day)]
        words = schedule.describe_day(day)
        view["text"], view["text_en"] = words.zh, words.en
    except CalendarYearMissing as missing:
        view.update(sessions=None, text=missing.message, text_en=missing.message_en)
    return view


def _require_days(days: Any) -> int:
    try:
        count = int(days)
    except (TypeError, ValueError):
        count = -1
    if not 1 <= count <= MAX_DAYS:
        raise InvalidInput(
            f"天数须为 1 到 {MAX_DAYS} 的整数", f"days must be a whole number from 1 to {MAX_DAYS}"
        )
    return count


def hours_view(
    deps: Deps,
    hall_id: int,
    start: Any = None,
    days: Any = 14,
    calendar: HolidayCalendar | None = None,
) -> dict[str, Any]:
    """The hall's configured hours, the calendar years known, and the coming days in words."""
    count = _require_days(days)
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        now = deps.clock.now()
        first = views.today(hall, now) if start in (None, "") else parse_day(start, "from")
        calendar = calendar or official_calendar(session)
        schedule = hall_schedule(hall, calendar)
        day_list = [day_view(schedule, calendar, first + timedelta(days=n)) for n in range(count)]
        years = sorted({first.year, (first + timedelta(days=count - 1)).year, first.year + 1})
        coverage = {str(year): calendar.covers(year) for year in years}
        provisional = [year for year in years if calendar.is_provisional(year)]
        problems = [
            {
                "year": int(year),
                "message": CalendarYearMissing(int(year)).message,
                "message_en": CalendarYearMissing(int(year)).message_en,
            }
            for year, known in coverage.items()
            if not known
        ]
        return {
            "hall": views.hall_view(hall),
            "configured": schedule is not None,
            "hours": schedule.hours.to_dict() if schedule else None,
            "year_round": bool(schedule and schedule.hours.year_round_service),
            "open_now": open_state(hall, now, calendar).as_dict(),
            "calendar": {
                "source": "chinese_calendar",
                "years": coverage,
                "provisional": provisional,
            },  # fmt: skip
            "problems": problems,
            "days": day_list,
        }


def _active_bookings_on(session: Any, hall_id: int, day: date) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                bt.bookings.c.hall_id == hall_id,
                bt.bookings.c.day == day,
                bt.bookings.c.kind == BookingKind.APPOINTMENT,
                bt.bookings.c.state.in_([s.value for s in HOLDS_A_PLACE]),
            )
        )
        or 0
    )


def _save_hours(out: Outbox, actor: Actor, hours: HallHours, action: str, **detail: Any) -> None:
    hall = out.hall
    before = hall.hours
    hall.hours = hours.to_dict()
    audit(
        out.session,
        at=out.now,
        actor=actor,
        action=action,
        hall_id=hall.id,
        subject=hall.name,
        detail={"before": before, "after": hall.hours, **detail},
    )
    out.add("hours_changed", [f"hall:{hall.id}"], {"hall": hall.id})


def set_hours(deps: Deps, actor: Actor, hall_id: int, data: Any) -> dict[str, Any]:
    """Replace a hall's hours (manager). Date overrides are kept unless `overrides` is given."""
    if not isinstance(data, dict):
        raise InvalidInput("办公时间设置应为对象", "the hours must be a JSON object")

    def work(out: Outbox) -> None:
        access.require(out.session, actor, out.hall, "hall.hours")
        merged = dict(data)
        if "overrides" not in merged and out.hall.hours:
            merged["overrides"] = out.hall.hours.get("overrides", [])
        hours = HallHours.from_dict(merged)
        _save_hours(out, actor, hours, "hours.set")

    run(deps, hall_id, work)
    return hours_view(deps, hall_id)


def set_override(deps: Deps, actor: Actor, hall_id: int, day: Any, data: Any) -> dict[str, Any]:
    """按日期调整: close one date, or give it special sessions (manager)."""
    when = parse_day(day)
    if not isinstance(data, dict):
        raise InvalidInput("按日期调整应为对象", "the date override must be a JSON object")
    if "date" in data and data["date"] != when.isoformat():
        raise InvalidInput("日期与地址中的日期不一致", "the date differs from the one in the path")
    override: DayOverride = HallHours.from_dict(
        {"overrides": [{**data, "date": when.isoformat()}]}
    ).overrides[when]

    def work(out: Outbox) -> int:
        access.require(out.session, actor, out.hall, "hall.hours")
        current = HallHours.from_dict(out.hall.hours) if out.hall.hours else HallHours()
        _save_hours(out, actor, current.with_override(override), "hours.override", date=str(when))
        return _active_bookings_on(out.session, hall_id, when)

    affected = run(deps, hall_id, work)
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        calendar = official_calendar(session)
        view = day_view(hall_schedule(hall, calendar), calendar, when)
    return {"day": view, "bookings_on_that_day": affected}


def remove_override(deps: Deps, actor: Actor, hall_id: int, day: Any) -> dict[str, Any]:
    """Drop a date's override: the day follows the weekly hours and the calendar again."""
    when = parse_day(day)

    def work(out: Outbox) -> None:
        access.require(out.session, actor, out.hall, "hall.hours")
        current = HallHours.from_dict(out.hall.hours) if out.hall.hours else HallHours()
        if when not in current.overrides:
            raise NotFound("该日期没有按日期调整", "That date has no override")
        _save_hours(out, actor, current.without_override(when), "hours.override_removed")

    run(deps, hall_id, work)
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        calendar = official_calendar(session)
        return {"day": day_view(hall_schedule(hall, calendar), calendar, when)}


def deadline(
    deps: Deps,
    hall_id: int,
    item_id: int,
    start: Any = None,
    calendar: HolidayCalendar | None = None,
) -> dict[str, Any]:
    """A service item's 办理时限 counted in official working days from a date (default today)."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        item = session.get(ServiceItem, item_id)
        if item is None or item.hall_id != hall.id or not item.active:
            raise NotFound("本大厅没有该事项", "This hall has no such service item")
        first = (
            views.today(hall, deps.clock.now()) if start in (None, "") else parse_day(start, "from")
        )
        return deadline_view(item, first, calendar or official_calendar(session))


def deadline_view(item: ServiceItem, start: date, calendar: HolidayCalendar) -> dict[str, Any]:
    """The due date of an item taken in on `start`; `provisional` when it counts days of a year
    whose official schedule is not out yet (it may move when the schedule arrives)."""
    days = item.time_limit_days
    due = calendar.add_working_days(start, days) if days > 0 else start
    provisional = days > 0 and any(
        calendar.is_provisional(year) for year in range(start.year, due.year + 1)
    )
    if days <= 0:
        text, text_en = "即办：当场办结", "Done on the spot"
    else:
        text = f"{days} 个工作日，最迟 {due.month}月{due.day}日 办结"
        text_en = f"{days} working days: done by {due.isoformat()}"
        if provisional:
            text += "（按法定节假日预计，以正式放假安排为准）"
            text_en += " (estimated from the statutory holidays; the official schedule applies)"
    return {
        "item": item.id,
        "from": start.isoformat(),
        "working_days": days,
        "due": due.isoformat(),
        "provisional": provisional,
        "text": text,
        "text_en": text_en,
    }
