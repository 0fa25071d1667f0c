"""Opening hours of a hall and the appointment slots they offer.

`HallHours` is what a manager configures and the store keeps as JSON: regular hours on official
working days, "5+X" extra weekend days, extended hours (延时服务), holiday service (节假日受理),
365-day service (365天无休) and per-date overrides. `Schedule` reads those hours against the
official calendar to say what is open on a given day or moment. Weekdays are ISO numbers:
1 = Monday (周一) … 7 = Sunday (周日).

Which sessions apply on a day, first match wins:
1. a manager's override for that date (closed, or special sessions);
2. an official working day (including a 调休 weekend day): regular and extended sessions;
3. a public holiday: holiday-service sessions;
4. any other weekend day: the 5+X sessions of that weekday;
and if that leaves the day without sessions, the 365-day sessions, when configured.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_server.domain.calendar import CalendarYearMissing, HolidayCalendar
from queue_server.domain.errors import InvalidInput, in_english

__all__ = [
    "BilingualText",
    "DayOverride",
    "HallHours",
    "Schedule",
    "Session",
    "SessionKind",
    "Slot",
    "SlotRule",
    "check_bookable",
    "generate_slots",
    "opening_notice",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"
NEXT_OPENING_SEARCH_DAYS = 60

WEEKDAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
WEEKDAY_NAMES_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES_EN = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
WORKING_WEEKDAYS = frozenset({1, 2, 3, 4, 5})
WEEKEND_DAYS = frozenset({6, 7})

_TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class BilingualText(NamedTuple):
    """The same words in Chinese (first) and English."""

    zh: str
    en: str


class SessionKind(StrEnum):
    """Where a session comes from in the hall's hours."""

    REGULAR = "regular"  # 工作日常规时段
    EXTRA_DAY = "extra_day"  # 5+X 延伸服务日
    EXTENDED = "extended"  # 延时服务
    HOLIDAY = "holiday"  # 节假日受理
    YEAR_ROUND = "year_round"  # 365天无休
    SPECIAL = "special"  # 管理员按日期设定


SECTION_NAMES = {
    SessionKind.REGULAR: BilingualText("工作日常规时段", "regular hours"),
    SessionKind.EXTRA_DAY: BilingualText("5+X 延伸服务日", "5+X extra days"),
    SessionKind.EXTENDED: BilingualText("延时服务", "extended hours"),
    SessionKind.HOLIDAY: BilingualText("节假日受理", "holiday service"),
    SessionKind.YEAR_ROUND: BilingualText("365天无休服务", "365-day service"),
    SessionKind.SPECIAL: BilingualText("按日期调整", "date overrides"),
}


@dataclass(frozen=True)
class Session:
    """A stretch of one day during which the hall serves, e.g. 09:00–12:00."""

    start: time
    end: time
    appointment_only: bool = False
    kind: SessionKind = SessionKind.REGULAR

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput(
                f"结束时间 {self.end:%H:%M} 必须晚于开始时间 {self.start:%H:%M}",
                f"the end {self.end:%H:%M} must be after the start {self.start:%H:%M}",
            )

    @property
    def label(self) -> str:
        """The session as people write it, e.g. 09:00–12:00."""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def covers(self, moment: time) -> bool:
        """Whether the time of day falls in the session (start included, end excluded)."""
        return self.start <= moment < self.end


@dataclass(frozen=True)
class DayOverride:
    """A manager's decision for one date: closed all day, or these special sessions instead."""

    day: date
    sessions: tuple[Session, ...] = ()
    reason: str = ""

    @property
    def closed(self) -> bool:
        """Whether the hall is closed all day on this date."""
        return not self.sessions


@dataclass(frozen=True)
class HallHours:
    """A hall's configured opening hours, independent of any particular year's calendar."""

    regular: Mapping[int, tuple[Session, ...]] = field(default_factory=dict)
    extra_days: Mapping[int, tuple[Session, ...]] = field(default_factory=dict)
    extended: Mapping[int, tuple[Session, ...]] = field(default_factory=dict)
    holiday: tuple[Session, ...] = ()
    year_round: tuple[Session, ...] = ()
    overrides: Mapping[date, DayOverride] = field(default_factory=dict)
    # The weekday whose regular and extended sessions a 调休 working Saturday or Sunday follows.
    swapped_workday_follows: int = 1
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        _require_timezone(self.timezone)
        if self.swapped_workday_follows not in WORKING_WEEKDAYS:
            raise InvalidInput(
                "调休上班日参照的星期应为 1（周一）到 5（周五）",
                "a swapped working day must follow a weekday from 1 (Monday) to 5 (Friday)",
            )
        _require_weekdays(self.regular, WORKING_WEEKDAYS, SessionKind.REGULAR)
        _require_weekdays(self.extended, WORKING_WEEKDAYS, SessionKind.EXTENDED)
        _require_weekdays(self.extra_days, WEEKEND_DAYS, SessionKind.EXTRA_DAY)
        regular = _sorted_weekly(self.regular)
        extended = _sorted_weekly(self.extended)
        extra_days = _sorted_weekly(self.extra_days)
        for weekday in WORKING_WEEKDAYS:
            _require_no_overlap(
                [*regular.get(weekday, ()), *extended.get(weekday, ())],
                BilingualText(WEEKDAY_NAMES_ZH[weekday - 1], f"on {WEEKDAY_NAMES_EN[weekday - 1]}"),
            )
        for weekday, sessions in extra_days.items():
            _require_no_overlap(
                sessions,
                BilingualText(
                    f"5+X {WEEKDAY_NAMES_ZH[weekday - 1]}",
                    f"on 5+X {WEEKDAY_NAMES_EN[weekday - 1]}",
                ),
            )
        _require_no_overlap(self.holiday, _section_where(SessionKind.HOLIDAY))
        _require_no_overlap(self.year_round, _section_where(SessionKind.YEAR_ROUND))
        overrides: dict[date, DayOverride] = {}
        for day, override in sorted(self.overrides.items()):
            if override.day != day:
                raise InvalidInput(
                    f"按日期调整的日期不一致：{day.isoformat()} 与 {override.day.isoformat()}",
                    f"date override filed under {day.isoformat()} is for {override.day.isoformat()}",
                )
            _require_no_overlap(
                override.sessions, BilingualText(day.isoformat(), f"on {day.isoformat()}")
            )
            overrides[day] = replace(override, sessions=_by_start(override.sessions))
        object.__setattr__(self, "regular", regular)
        object.__setattr__(self, "extended", extended)
        object.__setattr__(self, "extra_days", extra_days)
        object.__setattr__(self, "holiday", _by_start(self.holiday))
        object.__setattr__(self, "year_round", _by_start(self.year_round))
        object.__setattr__(self, "overrides", overrides)

    @property
    def zone(self) -> ZoneInfo:
        """The hall's local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def year_round_service(self) -> bool:
        """Whether the hall offers 365-day service (every day has sessions)."""
        return bool(self.year_round)

    def with_override(self, override: DayOverride) -> HallHours:
        """These hours with a date override added or replaced."""
        return replace(self, overrides={**self.overrides, override.day: override})

    def without_override(self, day: date) -> HallHours:
        """These hours with the override of a date removed."""
        return replace(self, overrides={d: o for d, o in self.overrides.items() if d != day})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data that `from_dict` reads back into equal hours."""
        return {
            "timezone": self.timezone,
            "swapped_workday_follows": self.swapped_workday_follows,
            "regular": _weekly_to_list(self.regular),
            "extra_days": _weekly_to_list(self.extra_days),
            "extended": _weekly_to_list(self.extended),
            "holiday": [_session_to_dict(s) for s in self.holiday],
            "year_round": [_session_to_dict(s) for s in self.year_round],
            "overrides": [_override_to_dict(o) for o in self.overrides.values()],
        }

    @classmethod
    def from_dict(cls, data: Any) -> HallHours:
        """Hours from plain JSON data, refusing anything malformed with a bilingual message."""
        _require_mapping(data, BilingualText("办公时间设置", "the hours"))
        _refuse_unknown_keys(data, _HOURS_KEYS, BilingualText("办公时间设置", "the hours"))
        follows = data.get("swapped_workday_follows", 1)
        if not _is_int(follows):
            raise InvalidInput(
                "调休上班日参照的星期应为 1（周一）到 5（周五）",
                "a swapped working day must follow a weekday from 1 (Monday) to 5 (Friday)",
            )
        timezone = data.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(timezone, str):
            raise InvalidInput(
                "时区应为名称，例如 Asia/Shanghai",
                "the time zone must be a name such as Asia/Shanghai",
            )
        return cls(
            regular=_weekly_from_list(data.get("regular", []), SessionKind.REGULAR, False),
            extra_days=_weekly_from_list(data.get("extra_days", []), SessionKind.EXTRA_DAY, False),
            extended=_weekly_from_list(data.get("extended", []), SessionKind.EXTENDED, True),
            holiday=_sessions_from_list(data.get("holiday", []), SessionKind.HOLIDAY, False),
            year_round=_sessions_from_list(
                data.get("year_round", []), SessionKind.YEAR_ROUND, False
            ),
            overrides=_overrides_from_list(data.get("overrides", [])),
            swapped_workday_follows=follows,
            timezone=timezone,
        )


@dataclass(frozen=True)
class Schedule:
    """A hall's hours read against the official calendar: what is open, and when."""

    hours: HallHours
    calendar: HolidayCalendar

    def local_time(self, at: datetime) -> datetime:
        """The moment in the hall's local time; a datetime without a time zone is refused."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidInput(
                "时间必须带时区", "a moment in time must carry its time zone (an aware datetime)"
            )
        return at.astimezone(self.hours.zone)

    def sessions_on(self, day: date) -> list[Session]:
        """The sessions the hall holds on a date, earliest first; empty when closed."""
        override = self.hours.overrides.get(day)
        if override is not None:
            return list(override.sessions)
        sessions: list[Session]
        if self.calendar.is_workday(day):
            weekday = day.isoweekday() if day.weekday() < 5 else self.hours.swapped_workday_follows
            sessions = [
                *self.hours.regular.get(weekday, ()),
                *self.hours.extended.get(weekday, ()),
            ]
        elif self.calendar.is_public_holiday(day):
            sessions = list(self.hours.holiday)
        else:
            sessions = list(self.hours.extra_days.get(day.isoweekday(), ()))
        if not sessions:
            sessions = list(self.hours.year_round)
        return list(_by_start(sessions))

    def is_open(self, at: datetime) -> tuple[bool, Session | None]:
        """Whether the hall is in session at a moment, and which session (it may be appointment-only)."""
        local = self.local_time(at)
        for session in self.sessions_on(local.date()):
            if session.covers(local.time()):
                return True, session
        return False, None

    def closing_time(self, day: date) -> datetime | None:
        """When the day's last session ends, in local time; None when the hall is closed.

        For a year the calendar lacks, the weekly hours of that weekday (as if a working day):
        the day ends then at the latest, and ending it early on what proves a holiday is
        harmless (nobody is served)."""
        try:
            sessions = self.sessions_on(day)
        except CalendarYearMissing:
            override = self.hours.overrides.get(day)
            weekday = day.isoweekday()
            sessions = (
                list(override.sessions)
                if override is not None
                else [
                    *self.hours.regular.get(weekday, ()),
                    *self.hours.extended.get(weekday, ()),
                    *self.hours.extra_days.get(weekday, ()),
                    *self.hours.year_round,
                ]
            )
        if not sessions:
            return None
        return datetime.combine(day, max(s.end for s in sessions), tzinfo=self.hours.zone)

    def next_opening(
        self,
        after: datetime,
        *,
        walk_in_only: bool = False,
        within_days: int = NEXT_OPENING_SEARCH_DAYS,
    ) -> datetime | None:
        """The first time at or after `after` when the hall opens, in local time; None if not soon."""
        if within_days < 0:
            raise InvalidInput(
                "查找天数不能为负数", "the number of days to search cannot be negative"
            )
        local = self.local_time(after)
        zone = self.hours.zone
        for offset in range(within_days + 1):
            day = local.date() + timedelta(days=offset)
            previous_end: time | None = None
            for session in self.sessions_on(day):
                if walk_in_only and session.appointment_only:
                    continue
                # A session that starts as the previous one ends continues it: no new opening.
                continues = previous_end is not None and session.start <= previous_end
                previous_end = session.end
                opening = datetime.combine(day, session.start, tzinfo=zone)
                if not continues and opening >= local:
                    return opening
        return None

    def describe_day(self, day: date) -> BilingualText:
        """The day's hours in words, e.g. 10月1日（周三，国庆节）：休息."""
        sessions = self.sessions_on(day)
        notes_zh = [WEEKDAY_NAMES_ZH[day.weekday()]]
        notes_en = [WEEKDAY_NAMES_EN[day.weekday()]]
        if self.calendar.covers(day.year):
            holiday = self.calendar.public_holiday(day)
            if holiday is not None:
                notes_zh.append(holiday.name_zh)
                notes_en.append(holiday.name_en)
            elif self.calendar.is_swapped_workday(day):
                notes_zh.append("调休上班")
                notes_en.append("swapped working day")
        override = self.hours.overrides.get(day)
        if override is not None and override.reason:
            notes_zh.append(override.reason)
            notes_en.append(override.reason)
        if sessions:
            hours_zh = "、".join(
                s.label + ("（仅限预约）" if s.appointment_only else "") for s in sessions
            )
            hours_en = ", ".join(
                s.label + (" (appointment only)" if s.appointment_only else "") for s in sessions
            )
        else:
            hours_zh, hours_en = "休息", "closed"
        return BilingualText(
            f"{day.month}月{day.day}日（{'，'.join(notes_zh)}）：{hours_zh}",
            f"{day.day} {MONTH_NAMES_EN[day.month - 1]} ({', '.join(notes_en)}): {hours_en}",
        )


def opening_notice(opening: datetime, now: datetime | None = None) -> BilingualText:
    """The kiosk's notice of when the hall opens, e.g. 本厅将于 11月27日 09:00 开放, or
    本厅将于今天 09:00 开放 when that is later on the day of `now`."""
    if now is not None and now.astimezone(opening.tzinfo).date() == opening.date():
        return BilingualText(
            f"本厅将于今天 {opening:%H:%M} 开放", f"The hall opens today at {opening:%H:%M}"
        )
    return BilingualText(
        f"本厅将于 {opening.month}月{opening.day}日 {opening:%H:%M} 开放",
        f"The hall opens on {opening.day} {MONTH_NAMES_EN[opening.month - 1]} at {opening:%H:%M}",
    )


# ---------------------------------------------------------------------------- appointment slots


@dataclass(frozen=True)
class Slot:
    """An appointment slot: a stretch of local time and how many citizens it takes."""

    start: datetime
    end: datetime
    capacity: int


@dataclass(frozen=True)
class SlotRule:
    """How a hall cuts its sessions into appointment slots and how far ahead they can be booked."""

    slot_minutes: int = 30
    places_per_slot: int = 1
    # Bookable from today up to and including today + days_ahead.
    days_ahead: int = 7
    bookable_kinds: frozenset[SessionKind] = frozenset(SessionKind)
    # When set, walk-in sessions take no appointments: only appointment-only sessions do.
    only_appointment_sessions: bool = False

    def __post_init__(self) -> None:
        if not _is_int(self.slot_minutes) or not 5 <= self.slot_minutes <= 24 * 60:
            raise InvalidInput(
                "预约时段长度应为 5 到 1440 分钟", "a slot must last from 5 to 1440 minutes"
            )
        if not _is_int(self.places_per_slot) or not 1 <= self.places_per_slot <= 10_000:
            raise InvalidInput(
                "每个时段的名额应为 1 到 10000", "places per slot must be from 1 to 10000"
            )
        if not _is_int(self.days_ahead) or not 0 <= self.days_ahead <= 366:
            raise InvalidInput(
                "可提前预约的天数应为 0 到 366", "days bookable ahead must be from 0 to 366"
            )
        if not self.bookable_kinds:
            raise InvalidInput(
                "至少要有一类时段可以预约", "at least one kind of session must be bookable"
            )
        object.__setattr__(self, "bookable_kinds", frozenset(self.bookable_kinds))

    def allows(self, session: Session) -> bool:
        """Whether appointments may be booked in this session."""
        if self.only_appointment_sessions and not session.appointment_only:
            return False
        return session.kind in self.bookable_kinds

    def last_bookable_day(self, today: date) -> date:
        """The furthest date that can be booked from `today`."""
        return today + timedelta(days=self.days_ahead)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data that `from_dict` reads back into an equal rule."""
        return {
            "slot_minutes": self.slot_minutes,
            "places_per_slot": self.places_per_slot,
            "days_ahead": self.days_ahead,
            "bookable_kinds": sorted(kind.value for kind in self.bookable_kinds),
            "only_appointment_sessions": self.only_appointment_sessions,
        }

    @classmethod
    def from_dict(cls, data: Any) -> SlotRule:
        """A rule from plain JSON data, refusing anything malformed with a bilingual message."""
        where = BilingualText("预约规则", "the appointment rule")
        _require_mapping(data, where)
        _refuse_unknown_keys(data, _SLOT_RULE_KEYS, where)
        kinds_raw = data.get("bookable_kinds", [kind.value for kind in SessionKind])
        if not isinstance(kinds_raw, list) or not all(isinstance(k, str) for k in kinds_raw):
            raise InvalidInput("可预约的时段类型应为列表", "bookable_kinds must be a list of names")
        try:
            kinds = frozenset(SessionKind(k) for k in kinds_raw)
        except ValueError:
            allowed = ", ".join(kind.value for kind in SessionKind)
            raise InvalidInput(
                f"未知的时段类型，可选：{allowed}",
                f"unknown kind of session; choose from {allowed}",
            ) from None
        only_appointment = data.get("only_appointment_sessions", False)
        if not isinstance(only_appointment, bool):
            raise InvalidInput(
                "only_appointment_sessions 应为 true 或 false",
                "only_appointment_sessions must be true or false",
            )
        return cls(
            slot_minutes=data.get("slot_minutes", 30),
            places_per_slot=data.get("places_per_slot", 1),
            days_ahead=data.get("days_ahead", 7),
            bookable_kinds=kinds,
            only_appointment_sessions=only_appointment,
        )


def generate_slots(schedule: Schedule, rule: SlotRule, day: date, now: datetime) -> list[Slot]:
    """The bookable slots of a date: inside sessions, not begun yet, within the horizon."""
    local_now = schedule.local_time(now)
    if not local_now.date() <= day <= rule.last_bookable_day(local_now.date()):
        return []
    zone = schedule.hours.zone
    length = timedelta(minutes=rule.slot_minutes)
    slots: list[Slot] = []
    for session in schedule.sessions_on(day):
        if not rule.allows(session):
            continue
        start = datetime.combine(day, session.start, tzinfo=zone)
        session_end = datetime.combine(day, session.end, tzinfo=zone)
        while start + length <= session_end:
            if start >= local_now:
                slots.append(Slot(start=start, end=start + length, capacity=rule.places_per_slot))
            start += length
    return slots


def check_bookable(schedule: Schedule, rule: SlotRule, slot_start: datetime, now: datetime) -> Slot:
    """The slot beginning at `slot_start`, or a bilingual refusal saying why it cannot be booked."""
    start = schedule.local_time(slot_start)
    local_now = schedule.local_time(now)
    if start < local_now:
        raise InvalidInput("不能预约过去的时间", "cannot book a time in the past")
    last_day = rule.last_bookable_day(local_now.date())
    if start.date() > last_day:
        raise InvalidInput(
            f"最多可提前 {rule.days_ahead} 天预约，最晚可约 {last_day.month}月{last_day.day}日",
            f"appointments can be booked at most {rule.days_ahead} days ahead, "
            f"until {last_day.isoformat()}",
        )
    session = next((s for s in schedule.sessions_on(start.date()) if s.covers(start.time())), None)
    if session is None:
        holiday = schedule.calendar.public_holiday(start.date())
        if holiday is not None and not schedule.sessions_on(start.date()):
            raise InvalidInput(
                f"{start.month}月{start.day}日是{holiday.name_zh}，大厅不办公，请选择其他日期",
                f"{start.date().isoformat()} is a public holiday ({holiday.name_en}) and the hall "
                "is closed; please choose another day",
            )
        raise InvalidInput("该时间不在办公时间内", "that time is outside the hall's opening hours")
    if not rule.allows(session):
        raise InvalidInput(
            f"{session.label} 时段不接受预约，请现场取号",
            f"the {session.label} session takes no appointments; please take a ticket on site",
        )
    for slot in generate_slots(schedule, rule, start.date(), now):
        if slot.start == start:
            return slot
    raise InvalidInput(
        f"预约须从时段开始时间起，每段 {rule.slot_minutes} 分钟",
        f"an appointment must begin at the start of a {rule.slot_minutes}-minute slot",
    )


# ----------------------------------------------------------------------------- validation helpers

_HOURS_KEYS = frozenset(
    {
        "timezone",
        "swapped_workday_follows",
        "regular",
        "extra_days",
        "extended",
        "holiday",
        "year_round",
        "overrides",
    }
)
_WEEKLY_ENTRY_KEYS = frozenset({"weekdays", "start", "end", "appointment_only"})
_SESSION_KEYS = frozenset({"start", "end", "appointment_only"})
_OVERRIDE_KEYS = frozenset({"date", "closed", "sessions", "reason"})
_SLOT_RULE_KEYS = frozenset(
    {"slot_minutes", "places_per_slot", "days_ahead", "bookable_kinds", "only_appointment_sessions"}
)
_REASON_MAX_LENGTH = 200


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _section_where(kind: SessionKind) -> BilingualText:
    name = SECTION_NAMES[kind]
    return BilingualText(name.zh, f"in {name.en}")


def _by_start(sessions: Iterable[Session]) -> tuple[Session, ...]:
    return tuple(sorted(sessions, key=lambda s: (s.start, s.end)))


def _sorted_weekly(weekly: Mapping[int, Iterable[Session]]) -> dict[int, tuple[Session, ...]]:
    return {day: _by_start(sessions) for day, sessions in sorted(weekly.items()) if sessions}


def _require_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"未知的时区：{name}", f"unknown time zone: {name}; use a name such as Asia/Shanghai"
        ) from None


def _require_weekdays(
    weekly: Mapping[int, Iterable[Session]], allowed: frozenset[int], kind: SessionKind
) -> None:
    for weekday in weekly:
        if not _is_int(weekday) or not 1 <= weekday <= 7:
            raise _bad_weekday(weekday)
        if weekday in allowed:
            continue
        section = SECTION_NAMES[kind]
        if allowed == WEEKEND_DAYS:
            raise InvalidInput(
                f"{section.zh}只能是周六或周日；周一至周五请设为工作日常规时段",
                f"{section.en} can only be Saturday or Sunday; set Monday to Friday as "
                "regular hours",
            )
        raise InvalidInput(
            f"{section.zh}只能设在周一至周五；周六、周日的服务请设为 5+X 延伸服务日",
            f"{section.en} can only be on Monday to Friday; set Saturday and Sunday service "
            "as 5+X extra days",
        )


def _bad_weekday(value: object) -> InvalidInput:
    return InvalidInput(
        f"星期应为 1（周一）到 7（周日）之间的整数，收到 {value!r}",
        f"a weekday must be a number from 1 (Monday) to 7 (Sunday), got {value!r}",
    )


def _require_no_overlap(sessions: Iterable[Session], where: BilingualText) -> None:
    ordered = _by_start(sessions)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.start < earlier.end:
            raise InvalidInput(
                f"{where.zh}的时段 {earlier.label} 与 {later.label} 重叠",
                f"{where.en} the sessions {earlier.label} and {later.label} overlap",
            )


def _require_mapping(data: Any, where: BilingualText) -> None:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where.zh}应为对象", f"{where.en} must be a JSON object")


def _require_list(data: Any, where: BilingualText) -> list[Any]:
    if not isinstance(data, list):
        raise InvalidInput(f"{where.zh}应为列表", f"{where.en} must be a list")
    return data


def _refuse_unknown_keys(
    data: Mapping[str, Any], allowed: frozenset[str], where: BilingualText
) -> None:
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        names = ", ".join(unknown)
        expected = ", ".join(sorted(allowed))
        raise InvalidInput(
            f"{where.zh}中有无法识别的项：{names}（可用：{expected}）",
            f"{where.en} has unknown fields: {in_english(names)} (expected: {expected})",
        )


def _parse_time(raw: Any) -> time:
    match = _TIME_PATTERN.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise InvalidInput(
            f"时间格式应为“时:分”，例如 09:00 或 9:00，收到 {raw!r}",
            f"a time must look like 09:00 or 9:00, got {raw!r}",
        )
    return time(int(match.group(1)), int(match.group(2)))


def _session_from_dict(
    entry: Any, kind: SessionKind, appointment_only_default: bool, keys: frozenset[str]
) -> Session:
    where = SECTION_NAMES[kind]
    _require_mapping(entry, BilingualText(f"{where.zh}的每个时段", f"each session of {where.en}"))
    _refuse_unknown_keys(
        entry, keys, BilingualText(f"{where.zh}的时段", f"a session of {where.en}")
    )
    for required in ("start", "end"):
        if required not in entry:
            raise InvalidInput(
                f"{where.zh}的时段缺少 {required}", f"a session of {where.en} has no {required}"
            )
    appointment_only = entry.get("appointment_only", appointment_only_default)
    if not isinstance(appointment_only, bool):
        raise InvalidInput(
            "appointment_only 应为 true 或 false", "appointment_only must be true or false"
        )
    return Session(
        start=_parse_time(entry["start"]),
        end=_parse_time(entry["end"]),
        appointment_only=appointment_only,
        kind=kind,
    )


def _sessions_from_list(
    raw: Any, kind: SessionKind, appointment_only_default: bool
) -> tuple[Session, ...]:
    entries = _require_list(raw, SECTION_NAMES[kind])
    return tuple(
        _session_from_dict(entry, kind, appointment_only_default, _SESSION_KEYS)
        for entry in entries
    )


def _weekly_from_list(
    raw: Any, kind: SessionKind, appointment_only_default: bool
) -> dict[int, tuple[Session, ...]]:
    weekly: dict[int, list[Session]] = {}
    for entry in _require_list(raw, SECTION_NAMES[kind]):
        session = _session_from_dict(entry, kind, appointment_only_default, _WEEKLY_ENTRY_KEYS)
        weekdays = entry.get("weekdays")
        if not isinstance(weekdays, list) or not weekdays:
            section = SECTION_NAMES[kind]
            raise InvalidInput(
                f"{section.zh}的每个时段都要列出适用的星期，例如 [1, 2, 3, 4, 5]",
                f"each session of {section.en} needs its weekdays, e.g. [1, 2, 3, 4, 5]",
            )
        for weekday in weekdays:
            if not _is_int(weekday) or not 1 <= weekday <= 7:
                raise _bad_weekday(weekday)
        for weekday in sorted(set(weekdays)):
            weekly.setdefault(weekday, []).append(session)
    return {weekday: tuple(sessions) for weekday, sessions in weekly.items()}


def _overrides_from_list(raw: Any) -> dict[date, DayOverride]:
    where = SECTION_NAMES[SessionKind.SPECIAL]
    overrides: dict[date, DayOverride] = {}
    for entry in _require_list(raw, where):
        _require_mapping(entry, BilingualText(f"{where.zh}的每一项", f"each entry of {where.en}"))
        _refuse_unknown_keys(entry, _OVERRIDE_KEYS, where)
        raw_day = entry.get("date")
        try:
            day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput(
                f"日期格式应为 2025-11-27，收到 {raw_day!r}",
                f"a date must look like 2025-11-27, got {raw_day!r}",
            )
        if day in overrides:
            raise InvalidInput(
                f"{day.isoformat()} 重复设置了按日期调整",
                f"{day.isoformat()} has more than one date override",
            )
        closed = entry.get("closed", False)
        if not isinstance(closed, bool):
            raise InvalidInput("closed 应为 true 或 false", "closed must be true or false")
        sessions = _sessions_from_list(entry.get("sessions", []), SessionKind.SPECIAL, False)
        if closed == bool(sessions):
            raise InvalidInput(
                f"{day.isoformat()} 的调整须二选一：全天休息（closed），或给出当天的时段（sessions）",
                f"the override for {day.isoformat()} must either close the day (closed) or "
                "give that day's sessions (sessions), not both or neither",
            )
        reason = entry.get("reason", "")
        if not isinstance(reason, str) or len(reason) > _REASON_MAX_LENGTH:
            raise InvalidInput(
                f"调整原因应为不超过 {_REASON_MAX_LENGTH} 字的文字",
                f"the reason must be text of at most {_REASON_MAX_LENGTH} characters",
            )
        overrides[day] = DayOverride(day=day, sessions=sessions, reason=reason.strip())
    return overrides


def _session_to_dict(session: Session) -> dict[str, Any]:
    return {
        "start": f"{session.start:%H:%M}",
        "end": f"{session.end:%H:%M}",
        "appointment_only": session.appointment_only,
    }


def _weekly_to_list(weekly: Mapping[int, tuple[Session, ...]]) -> list[dict[str, Any]]:
    # Group identical sessions so Mon–Fri 09:00–12:00 is stored as one entry, as a manager writes it.
    weekdays_of: dict[Session, list[int]] = {}
    for weekday, sessions in sorted(weekly.items()):
        for session in sessions:
            weekdays_of.setdefault(session, []).append(weekday)
    return [
        {"weekdays": weekdays, **_session_to_dict(session)}
        for session, weekdays in sorted(
            weekdays_of.items(), key=lambda item: (item[0].start, item[0].end, item[1])
        )
    ]


def _override_to_dict(override: DayOverride) -> dict[str, Any]:
    entry: dict[str, Any] = {"date": override.day.isoformat()}
    if override.closed:
        entry["closed"] = True
    else:
        entry["sessions"] = [_session_to_dict(s) for s in override.sessions]
    if override.reason:
        entry["reason"] = override.reason
    return entry
