"""The holiday schedule (节假日安排) of a year the `chinese_calendar` package does not cover yet,
entered by an admin from the State Council's notice: deployment-wide, for every hall.

The package always wins for the years it has, so such a year cannot be entered; one entered
before the package had it is kept and its differences from the package shown. A year neither
has is *provisional* (the statutory days by law). When the official schedule arrives, the
appointments that now fall on a holiday are listed and their citizens told to move them. From
1 November managers are warned, by a console banner and a hall alarm, while next year has no
official schedule. Managers may read the schedules; only admins (or an operator at the command
line) enter, replace or delete one, each change audited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select

from ...domain.calendar import (
    STANDARD_HOLIDAYS,
    HolidayCalendar,
    LayeredCalendar,
    PublicHoliday,
    TableCalendar,
    standard_holiday,
)
from ...domain.errors import InvalidInput, NotFound
from ...store.calendar_tables import HOLIDAY, WORKDAY, calendar_days, calendar_years
from ...store.tables import halls as halls_table
from .. import access, alarms, complaints
from ..booking import holidays as booking_holidays
from ..context import Actor, Deps, audit
from ..hours import PACKAGE, PROVISIONAL, official_calendar
from ..notify import Notifier
from ..scheduler import periodic
from ..unit_of_work import unit_of_work

# Who enters a year from the server's shell (`hallq calendar import`): an operator with the
# machine in hand, audited as "operator". No web request ever acts as this kind.
# Who entered a year is shown to managers by name; times in Beijing time, like the audit log.
BEIJING = ZoneInfo("Asia/Shanghai")
COMMAND_LINE = Actor("operator", name="命令行导入")

FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_HOLIDAY_DAYS = 60
MAX_SWAPPED_DAYS = 30
# The body of PUT /admin/calendar/{year} (and of `hallq calendar import`) is the model
# api.admin_models.CalendarYearEntry.


def package_version() -> str:
    """The installed version of the `chinesecalendar` package."""
    try:
        return version("chinesecalendar")
    except PackageNotFoundError:
        return ""


def _check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"年份须在 {FIRST_YEAR} 至 {LAST_YEAR} 之间",
            f"The year must be from {FIRST_YEAR} to {LAST_YEAR}",
        )
    return year


def _day(value: Any, where: tuple[str, str], year: int) -> date:
    zh, en = where
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            f"{zh}的日期「{value}」无效，请写成 {year}-01-01 这样的格式",
            f"{en}: {str(value)!a} is not a valid date (write it as {year}-01-01)",
        ) from None
    if day.year != year:
        raise InvalidInput(
            f"{zh}的日期 {day.isoformat()} 不在 {year} 年内",
            f"{en}: {day.isoformat()} is not in {year}",
        )
    return day


def _holiday_name(entry: Mapping[str, Any], where: tuple[str, str]) -> PublicHoliday:
    name = str(entry.get("name") or "").strip()
    name_en = str(entry.get("name_en") or "").strip()
    known = standard_holiday(name) or (standard_holiday(name_en) if name_en else None)
    if known is not None and (not name_en or known.name_zh == name):
        return known
    if not name or not name_en:
        raise InvalidInput(
            f"{where[0]}须写明节日的中文名和英文名（如 元旦 / New Year's Day）",
            f"{where[1]} needs the holiday's Chinese and English names (e.g. New Year's Day)",
        )
    return PublicHoliday(name, name_en)


def parse_year(year: int, data: Mapping[str, Any]) -> TableCalendar:
    """A year's schedule from a request, checked: every day in the year, no day twice, swapped
    working days only on a Saturday or Sunday that is no holiday."""
    holidays: dict[date, PublicHoliday] = {}
    for index, entry in enumerate(data.get("holidays") or []):
        where = (f"节假日第 {index + 1} 行", f"holiday line {index + 1}")
        first = _day(entry.get("day"), where, year)
        last = _day(entry["until"], where, year) if entry.get("until") else first
        if last < first:
            raise InvalidInput(
                f"{where[0]}：结束日期早于开始日期", f"{where[1]}: the last day is before the first"
            )
        holiday = _holiday_name(entry, where)
        day = first
        while day <= last:
            if day in holidays:
                raise InvalidInput(
                    f"{day.isoformat()} 重复填写了两次", f"{day.isoformat()} is entered twice"
                )
            holidays[day] = holiday
            day += timedelta(days=1)
    if len(holidays) > MAX_HOLIDAY_DAYS:
        raise InvalidInput(
            f"节假日最多 {MAX_HOLIDAY_DAYS} 天", f"At most {MAX_HOLIDAY_DAYS} holiday days"
        )
    swapped: list[date] = []
    for index, value in enumerate(data.get("swapped_workdays") or []):
        where = (f"调休上班第 {index + 1} 行", f"swapped working day {index + 1}")
        day = _day(value, where, year)
        if day in swapped:
            raise InvalidInput(
                f"调休上班日 {day.isoformat()} 重复填写了两次",
                f"The swapped working day {day.isoformat()} is entered twice",
            )
        swapped.append(day)
    return TableCalendar([year], holidays, swapped)


def _require_not_in_package(year: int) -> None:
    if PACKAGE.covers(year):
        raise InvalidInput(
            f"{year} 年的节假日安排已包含在 chinesecalendar {package_version()} 中，以其为准，"
            "不能另行录入",
            f"The holiday schedule for {year} is in chinesecalendar {package_version()}, which "
            "always applies; it cannot be entered by hand",
        )


def _days_view(calendar: HolidayCalendar, year: int) -> dict[str, Any]:
    holidays = []
    swapped = []
    day = date(year, 1, 1)
    while day.year == year:
        holiday = calendar.public_holiday(day)
        if holiday is not None:
            holidays.append({"day": day.isoformat(), "name": holiday.name_zh,
                             "name_en": holiday.name_en})  # fmt: skip
        elif calendar.is_swapped_workday(day):
            swapped.append(day.isoformat())
        day += timedelta(days=1)
    return {"holidays": holidays, "swapped_workdays": swapped}


def _stored(session: Any, year: int) -> dict[str, Any] | None:
    row = session.execute(select(calendar_years).where(calendar_years.c.year == year)).first()
    if row is None:
        return None
    days = session.execute(
        select(calendar_days).where(calendar_days.c.year == year).order_by(calendar_days.c.day)
    ).all()
    return {
        "holidays": [
            {"day": d.day.isoformat(), "name": d.name, "name_en": d.name_en}
            for d in days
            if d.kind == HOLIDAY
        ],
        "swapped_workdays": [d.day.isoformat() for d in days if d.kind == WORKDAY],
        "entered_by": row.entered_by,
        "entered_at": row.entered_at.astimezone(BEIJING).isoformat(),
    }


def _standard_names() -> list[dict[str, str]]:
    return [{"name": h.name_zh, "name_en": h.name_en} for h in STANDARD_HOLIDAYS]


def calendar_overview(deps: Deps, actor: Actor) -> dict[str, Any]:
    """The years the package covers, the years entered, and whether this year and the next
    are known (managers and admins)."""
    access.require_anywhere(actor, "calendar.read")
    this_year = deps.clock.now().year
    with deps.db.reading() as session:
        rows = session.execute(select(calendar_years).order_by(calendar_years.c.year)).all()
        counts: dict[tuple[int, str], int] = {}
        for year, kind in session.execute(select(calendar_days.c.year, calendar_days.c.kind)):
            counts[(year, kind)] = counts.get((year, kind), 0) + 1
        calendar = official_calendar(session)
    package_years = PACKAGE.years()
    entered = [
        {
            "year": row.year,
            "holiday_days": counts.get((row.year, HOLIDAY), 0),
            "swapped_workdays": counts.get((row.year, WORKDAY), 0),
            "entered_by": row.entered_by,
            "entered_at": row.entered_at.astimezone(BEIJING).isoformat(),
            # A package update that now covers the year makes the entered table unused.
            "in_use": not PACKAGE.covers(row.year),
        }
        for row in rows
    ]
    return {
        "package": {
            "name": "chinesecalendar",
            "version": package_version(),
            "first_year": package_years[0] if package_years else None,
            "last_year": package_years[-1] if package_years else None,
            "years": package_years,
        },  # fmt: skip
        "entered": entered,
        "coming": [
            {
                "year": year,
                "known": calendar.is_official(year),
                "source": calendar.source(year),
            }  # fmt: skip
            for year in (this_year, this_year + 1)
        ],
        "warning": missing_year_warning(calendar, deps.clock.now()),
        "standard_holidays": _standard_names(),
        "can_change": access.has_permission(None, actor, None, "deployment.configure"),
    }


# Where a year comes from, in words (`hallq calendar show`, the console).
SOURCE_TEXT = {
    "package": ("chinesecalendar 软件包（国务院通知）", "the chinesecalendar package (the notice)"),
    "entered": ("管理员按国务院通知录入", "entered by an admin from the notice"),
    "provisional": (
        "暂按法定节假日预计（国务院通知未到，无调休）",
        "provisional: the statutory days by law, no notice yet (no swapped days)",
    ),
    "missing": ("无法确定", "cannot be determined"),
}

# From this day of the year on, managers are warned while next year has no official schedule
# (and all year while this year has none).
WARN_FROM = (11, 1)
MISSING_ALARM = "calendar_missing"


def missing_year_warning(calendar: LayeredCalendar, now: datetime) -> dict[str, Any] | None:
    """While this year, or from 1 November next year, has no official schedule: what to tell
    managers and where to enter it; None otherwise."""
    local = now.astimezone(BEIJING)
    if not calendar.is_official(local.year):
        year = local.year
    elif (local.month, local.day) >= WARN_FROM and not calendar.is_official(local.year + 1):
        year = local.year + 1
    else:
        return None
    return {
        "year": year,
        "url": f"/admin/calendar/{year}",
        "message": f"尚无 {year} 年的节假日安排：请升级 chinesecalendar 或按国务院通知录入。"
        "在此之前按法定节假日预计工作日（不含调休）",
        "message_en": f"The holiday schedule for {year} is missing: upgrade chinesecalendar or "
        "enter the State Council's notice. Until then working days are estimated from the "
        "statutory holidays (without swapped days)",
    }


def calendar_warning(deps: Deps) -> dict[str, Any] | None:
    """The console banner's warning: next year's official schedule is missing (from 1 Nov)."""
    with deps.db.reading() as session:
        return missing_year_warning(official_calendar(session), deps.clock.now())


def _differences(
    package: HolidayCalendar, entered: HolidayCalendar, year: int
) -> list[dict[str, Any]]:
    """The days where an entered year and the package's disagree (the package applies)."""

    def kind(calendar: HolidayCalendar, day: date) -> tuple[str, str]:
        holiday = calendar.public_holiday(day)
        if holiday is not None:
            return "holiday", holiday.name_zh
        if calendar.is_swapped_workday(day):
            return "swapped_workday", "调休上班"
        return ("workday", "上班") if calendar.is_workday(day) else ("rest", "休息")

    found = []
    day = date(year, 1, 1)
    while day.year == year:
        ours, theirs = kind(entered, day), kind(package, day)
        if ours != theirs:
            found.append({"day": day.isoformat(), "package": theirs[1], "package_kind": theirs[0],
                          "entered": ours[1], "entered_kind": ours[0]})  # fmt: skip
        day += timedelta(days=1)
    return found


def calendar_year(deps: Deps, actor: Actor, year: int) -> dict[str, Any]:
    """One year's schedule and where it comes from: package, entered, provisional (the
    statutory days by law, the official schedule not out yet), or missing; with the bookings
    that fall on one of its holidays."""
    if actor.kind != COMMAND_LINE.kind:
        access.require_anywhere(actor, "calendar.read")
    _check_year(year)
    with deps.db.reading() as session:
        stored = _stored(session, year)
        halls = (
            None
            if actor.kind == COMMAND_LINE.kind
            else access.halls_with(session, actor, "calendar.read")
        )
    view: dict[str, Any]
    if PACKAGE.covers(year):
        view = {"year": year, "source": "package", "version": package_version(),
                **_days_view(PACKAGE, year)}  # fmt: skip
        if stored is not None:
            # Entered before the package had it: kept for the record, the package applies.
            entered = parse_year(year, stored)
            view["entered"] = stored
            view["differences"] = _differences(PACKAGE, entered, year)
    elif stored is not None:
        view = {"year": year, "source": "entered", **stored}
    elif PROVISIONAL.covers(year):
        view = {"year": year, "source": "provisional", **_days_view(PROVISIONAL, year)}
    else:
        view = {"year": year, "source": "missing", "holidays": [], "swapped_workdays": []}
    view["source_text"], view["source_text_en"] = SOURCE_TEXT[view["source"]]
    if view["source"] == "missing":
        return view
    view["bookings_on_holidays"] = (
        booking_holidays.bookings_on_holidays(deps, year, halls)
        if view["source"] != "provisional"
        else []
    )
    return view


def _require_changer(actor: Actor) -> None:
    if actor.kind != COMMAND_LINE.kind:
        access.require_anywhere(actor, "deployment.configure")


def save_year(
    deps: Deps,
    actor: Actor,
    year: int,
    data: Mapping[str, Any],
    notifier: Notifier | None = None,
) -> dict[str, Any]:
    """Enter or replace the schedule of a year the package lacks (admins only, audited). The
    provisional days give way at once; the appointments that now fall on a holiday are listed
    and, given a notifier, their citizens told to move them (else the server's housekeeping
    tells them within a minute)."""
    _require_changer(actor)
    _check_year(year)
    _require_not_in_package(year)
    table = parse_year(year, data)
    now = deps.clock.now()
    with unit_of_work(deps) as uow:
        s = uow.session
        before = _stored(s, year)
        s.execute(delete(calendar_days).where(calendar_days.c.year == year))
        s.execute(delete(calendar_years).where(calendar_years.c.year == year))
        s.execute(insert(calendar_years).values(year=year, entered_by=(actor.name or actor.label)[:80],
                                                entered_at=now))  # fmt: skip
        rows = [
            {"day": day, "year": year, "kind": HOLIDAY, "name": h.name_zh, "name_en": h.name_en}
            for day, h in table.holidays().items()
        ] + [
            {"day": day, "year": year, "kind": WORKDAY, "name": "", "name_en": ""}
            for day in table.swapped_workdays()
        ]
        if rows:
            s.execute(insert(calendar_days), rows)
        after = _stored(s, year)
        action = "calendar.year_saved" if before is None else "calendar.year_replaced"
        audit(s, at=now, actor=actor, action=action, hall_id=None, subject=f"节假日安排 {year}",
              detail={"before": _audited(before), "after": _audited(after)})  # fmt: skip
    if notifier is not None:
        booking_holidays.notify_holiday_moves(deps, notifier)
    _recompute_deadlines(deps)
    return calendar_year(deps, actor, year)


def _recompute_deadlines(deps: Deps) -> int:
    return complaints.recompute_estimated_deadlines(deps)


def _audited(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    return {"holidays": stored["holidays"], "swapped_workdays": stored["swapped_workdays"]}


def delete_year(deps: Deps, actor: Actor, year: int) -> dict[str, Any]:
    """Remove an entered year: its days are unknown again until the package covers them."""
    _require_changer(actor)
    _check_year(year)
    now = deps.clock.now()
    with unit_of_work(deps) as uow:
        s = uow.session
        before = _stored(s, year)
        if before is None:
            raise NotFound(f"尚未录入 {year} 年的节假日安排", f"No schedule was entered for {year}")
        s.execute(delete(calendar_days).where(calendar_days.c.year == year))
        s.execute(delete(calendar_years).where(calendar_years.c.year == year))
        audit(s, at=now, actor=actor, action="calendar.year_deleted", hall_id=None,
              subject=f"节假日安排 {year}", detail={"before": _audited(before), "after": None})  # fmt: skip
    return {"year": year, "deleted": True}


_LINE = re.compile(
    r"(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:至|到|~|～|\.\.|—|–)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s+(.+)"
)


def _iso_day(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


def parse_lines(holidays: str, swapped: str) -> dict[str, Any]:
    """A year's schedule as the console's form types it: one holiday day or range per line
    ("2027-01-01 元旦", "2027-02-06 至 2027-02-12 春节 / Spring Festival"), one swapped working
    day per line; as the API's body."""
    entries: list[dict[str, Any]] = []
    for number, line in enumerate(holidays.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = _LINE.fullmatch(line)
        if found is None:
            raise InvalidInput(
                f"节假日第 {number} 行看不懂：请写成「2027-01-01 元旦」或"
                "「2027-02-06 至 2027-02-12 春节」",
                f"Holiday line {number} cannot be read: write it as 2027-01-01 New Year's Day "
                "or 2027-02-06 .. 2027-02-12 Spring Festival",
            )
        first, last, names = found.groups()
        name, _, name_en = names.partition("/")
        entries.append({"day": _iso_day(first), "until": _iso_day(last) if last else None,
                        "name": name.strip(), "name_en": name_en.strip() or None})  # fmt: skip
    days: list[str] = []
    for number, line in enumerate(swapped.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", line):
            raise InvalidInput(
                f"调休上班第 {number} 行看不懂：每行写一个日期，如 2027-01-09",
                f"Swapped working day line {number} cannot be read: one date a line, "
                "like 2027-01-09",
            )
        days.append(_iso_day(line))
    return {"holidays": entries, "swapped_workdays": days}


def as_lines(view: Mapping[str, Any]) -> tuple[str, str]:
    """A year's schedule as the console's form shows it: consecutive days of one holiday on one
    line."""
    lines: list[str] = []
    run: list[dict[str, Any]] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0]["day"], run[-1]["day"]
        span = first if first == last else f"{first} 至 {last}"
        lines.append(f"{span} {run[0]['name']} / {run[0]['name_en']}")
        run.clear()

    for entry in view.get("holidays", []):
        if run and (
            entry["name"] != run[-1]["name"]
            or date.fromisoformat(entry["day"]) - date.fromisoformat(run[-1]["day"])
            != timedelta(days=1)
        ):
            flush()
        run.append(entry)
    flush()
    return "\n".join(lines), "\n".join(view.get("swapped_workdays", []))


@periodic("calendar_watch", every=timedelta(minutes=10))
def watch_calendar(deps: Deps) -> int:
    """Raise a hall alarm in every hall while this year's official schedule, or from 1 November
    next year's, is missing; clear it once it arrives. Estimated deadlines of a year now official (a newer
    package) are recomputed. Returns how many halls are warned."""
    _recompute_deadlines(deps)
    with deps.db.reading() as session:
        warning = missing_year_warning(official_calendar(session), deps.clock.now())
        hall_ids = list(session.execute(select(halls_table.c.id)).scalars())
    for hall_id in hall_ids:
        if warning is None:
            alarms.clear_alarms(deps, hall_id, MISSING_ALARM)
        else:
            year, url = warning["year"], warning["url"]
            alarms.raise_alarm(
                deps, hall_id, MISSING_ALARM,
                f"尚无 {year} 年的节假日安排：请升级 chinesecalendar 或在 {url} 录入国务院通知",
                f"The holiday schedule for {year} is missing: upgrade chinesecalendar or enter "
                f"the State Council's notice at {url}",
                detail={"year": year, "url": url},
            )  # fmt: skip
    return len(hall_ids) if warning else 0
