"""Appointments (预约) in the hall's own words: booking codes, who may book, and check-in.

Pure rules: no Flask, no SQL, no clock of its own. A booking is either an appointment at the
hall in a slot (`BookingKind.APPOINTMENT`) or a request for a home visit (上门服务) on a day,
which a manager assigns to a clerk and closes with an outcome.

The citizen's personal data stays out of every error message here: it may end up in logs.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from .calendar import CalendarYearMissing
from .errors import CapacityReached, Conflict, Forbidden, InvalidInput, NotFound, in_english
from .hours import WEEKDAY_NAMES_ZH, Schedule, SessionKind, SlotRule

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "Booking",
    "BookingKind",
    "BookingNotFound",
    "BookingPolicy",
    "BookingRule",
    "BookingState",
    "CheckInTiming",
    "HomeVisitOutcome",
    "ProxyReason",
    "RuleKey",
    "SESSION_KIND_NAMES",
    "check_in_timing",
    "format_code",
    "new_booking_code",
    "no_show_block_until",
    "normalize_code",
    "require_free_place",
    "require_no_other_booking",
    "require_not_blocked",
    "session_name",
    "validate_address",
    "validate_citizen_name",
    "walk_in_refusal",
]

# ------------------------------------------------------------------------------- booking codes

# No 0/O and no 1/I: what is read aloud or typed on a keypad cannot be mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 32^8 ≈ 10^12 codes: with wrong guesses rate-limited, none is found by trying
_CODE_PATTERN = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def new_booking_code(choose: Callable[[str], str] = secrets.choice) -> str:
    """A fresh random booking code of 8 unambiguous characters, e.g. K7WQ3MPA."""
    return "".join(choose(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: Any) -> str:
    """A typed or scanned code in its stored form: capitals, without spaces or dashes."""
    text = re.sub(r"[\s\-_]", "", raw).upper() if isinstance(raw, str) else ""
    if not _CODE_PATTERN.match(text):
        raise InvalidInput(
            f"预约码为 {CODE_LENGTH} 位字母或数字（不含 0、1、I、O），请核对后重新输入",
            f"a booking code has {CODE_LENGTH} letters or digits (never 0, 1, I or O); "
            "please check it",
        )
    return text


def format_code(code: str) -> str:
    """The code as shown to people, in two groups of four: K7WQ-3MPA."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


# ------------------------------------------------------------------------------------ kinds


class BookingKind(StrEnum):
    """An appointment at the hall, or a home visit (上门服务)."""

    APPOINTMENT = "appointment"
    HOME_VISIT = "home_visit"


class BookingState(StrEnum):
    """The life of a booking."""

    BOOKED = "booked"  # an appointment waiting for its day, or a home visit not yet assigned
    CHECKED_IN = "checked_in"  # the citizen came and has a ticket
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"  # the day passed without a check-in
    ASSIGNED = "assigned"  # a home visit given to a clerk
    CLOSED = "closed"  # a home visit done, with its outcome


STATE_NAMES = {
    BookingState.BOOKED: ("已预约", "Booked"),
    BookingState.CHECKED_IN: ("已签到", "Checked in"),
    BookingState.CANCELLED: ("已取消", "Cancelled"),
    BookingState.NO_SHOW: ("未到", "Missed"),
    BookingState.ASSIGNED: ("已派工", "Assigned"),
    BookingState.CLOSED: ("已办结", "Closed"),
}

# States that keep a place in a slot, and states that count as "an active booking".
HOLDS_A_PLACE = (BookingState.BOOKED, BookingState.CHECKED_IN)
ACTIVE = (BookingState.BOOKED, BookingState.CHECKED_IN, BookingState.ASSIGNED)


class ProxyReason(StrEnum):
    """Why a village agent (代办员) books on a citizen's behalf (免费代办)."""

    ELDERLY = "elderly"
    DISABLED = "disabled"
    OTHER = "other"


PROXY_REASON_NAMES = {
    ProxyReason.ELDERLY: ("老年人", "Elderly"),
    ProxyReason.DISABLED: ("残疾人", "Disabled"),
    ProxyReason.OTHER: ("其他行动不便群众", "Other citizen who cannot come easily"),
}


class HomeVisitOutcome(StrEnum):
    """How a home visit ended."""

    COMPLETED = "completed"
    REFERRED = "referred"
    UNREACHABLE = "unreachable"
    WITHDRAWN = "withdrawn"


HOME_VISIT_OUTCOME_NAMES = {
    HomeVisitOutcome.COMPLETED: ("已办结", "Completed"),
    HomeVisitOutcome.REFERRED: ("已转办", "Referred to another office"),
    HomeVisitOutcome.UNREACHABLE: ("未能联系到群众", "Citizen could not be reached"),
    HomeVisitOutcome.WITHDRAWN: ("群众撤回申请", "Withdrawn by the citizen"),
}


# --------------------------------------------------------------------------------- settings


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class BookingPolicy:
    """A hall's limits on booking: no-show blocking, the check-in window, reminders."""

    max_no_shows: int = 3  # this many missed appointments …
    no_show_window_days: int = 30  # … within this many days …
    block_days: int = 14  # … pause booking for this many days after the last one
    check_in_before_minutes: int = 30  # check-in opens this long before the slot
    check_in_after_minutes: int = 15  # and keeps appointment priority this long after its start
    remind_hours_before: int = 24
    keep_personal_days: int = 30  # name and phone of a finished booking are erased after this

    LIMITS = {
        "max_no_shows": (1, 100),
        "no_show_window_days": (1, 365),
        "block_days": (0, 365),
        "check_in_before_minutes": (0, 240),
        "check_in_after_minutes": (0, 240),
        "remind_hours_before": (1, 168),
        "keep_personal_days": (1, 3650),
    }

    def __post_init__(self) -> None:
        for key, (low, high) in self.LIMITS.items():
            value = getattr(self, key)
            if not _whole(value) or not low <= value <= high:
                raise InvalidInput(
                    f"预约设置 {key} 须为 {low} 到 {high} 之间的整数",
                    f"booking setting {key} must be a whole number from {low} to {high}",
                )
        if self.keep_personal_days < self.no_show_window_days:
            raise InvalidInput(
                "个人信息保留天数不能少于统计未到次数的天数",
                "personal data must be kept at least as long as no-shows are counted",
            )

    @classmethod
    def from_dict(cls, data: Any) -> BookingPolicy:
        """A policy from stored or sent JSON; missing keys keep their defaults."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidInput("预约设置应为对象", "booking settings must be a JSON object")
        unknown = sorted(str(k) for k in data if k not in cls.LIMITS)
        if unknown:
            raise InvalidInput(
                f"未知的预约设置：{', '.join(unknown)}",
                f"unknown booking settings: {in_english(', '.join(unknown))}",
            )
        return cls(**data)

    def to_dict(self) -> dict[str, int]:
        """Plain JSON that `from_dict` reads back."""
        return {key: getattr(self, key) for key in self.LIMITS}


@dataclass(frozen=True)
class BookingRule:
    """How a category or service item is booked: its slots, and sessions for booked citizens only.

    `appointment_only_kinds` names kinds of session (e.g. 5+X Saturdays) in which this category
    serves booked citizens only, even when the hall takes walk-ins then.
    """

    slot: SlotRule = field(default_factory=SlotRule)
    appointment_only_kinds: frozenset[SessionKind] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON that `from_dict` reads back into an equal rule."""
        return {
            **self.slot.to_dict(),
            "appointment_only_kinds": sorted(k.value for k in self.appointment_only_kinds),
        }

    @classmethod
    def from_dict(cls, data: Any) -> BookingRule:
        """A rule from JSON, refusing anything malformed with a bilingual message."""
        if not isinstance(data, dict):
            raise InvalidInput("预约规则应为对象", "the appointment rule must be a JSON object")
        data = dict(data)
        raw = data.pop("appointment_only_kinds", [])
        if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
            raise InvalidInput(
                "仅限预约的时段类型应为列表", "appointment_only_kinds must be a list of names"
            )
        try:
            kinds = frozenset(SessionKind(k) for k in raw)
        except ValueError:
            allowed = ", ".join(kind.value for kind in SessionKind)
            raise InvalidInput(
                f"未知的时段类型，可选：{allowed}",
                f"unknown kind of session; choose from {allowed}",
            ) from None
        return cls(slot=SlotRule.from_dict(data), appointment_only_kinds=kinds)


DEFAULT_RULE = BookingRule(SlotRule(slot_minutes=30, places_per_slot=3, days_ahead=7))
RuleKey = tuple[int | None, int | None]  # (category, item); (None, None) is the hall's default

# ------------------------------------------------------------------ walk-ins in booked sessions

SESSION_KIND_NAMES = {
    SessionKind.REGULAR: ("常规", "regular"),
    SessionKind.EXTRA_DAY: ("5+X", "5+X"),
    SessionKind.EXTENDED: ("延时服务", "extended hours"),
    SessionKind.HOLIDAY: ("节假日受理", "holiday service"),
    SessionKind.YEAR_ROUND: ("365天无休", "365-day service"),
    SessionKind.SPECIAL: ("特别安排", "special hours"),
}


_DAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def session_name(session: Any, day: date, appointment_only: bool) -> tuple[str, str]:
    """A session's name as a citizen reads it: a 5+X session is told by its weekday and part of
    the day (周六上午预约服务), since "5+X" means nothing outside the hall."""
    if session.kind != SessionKind.EXTRA_DAY:
        return SESSION_KIND_NAMES[session.kind]
    hour = session.start.hour
    part_zh, part_en = (
        ("上午", "morning")
        if hour < 12
        else ("下午", "afternoon")
        if hour < 18
        else ("晚间", "evening")
    )
    what_zh, what_en = ("预约服务", "appointments") if appointment_only else ("服务", "service")
    weekday = day.weekday()
    return (
        f"{WEEKDAY_NAMES_ZH[weekday]}{part_zh}{what_zh}",
        f"{_DAY_NAMES_EN[weekday]} {part_en} {what_en}",
    )


def walk_in_refusal(
    schedule: Schedule | None,
    rules: Mapping[RuleKey, BookingRule],
    category_id: int,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[str, str] | None:
    """Why a walk-in ticket of a category is refused now (a session its rule keeps for booked
    citizens only), or None. `schedule` is the hall's (None: no hours, always open), `rules`
    its booking rules by scope, `zone` its time zone. For the kiosk's ticket issuing to call."""
    if schedule is None:
        return None
    try:
        is_open, current = schedule.is_open(now)
    except CalendarYearMissing:
        return None
    if not is_open or current is None:
        return None
    rule = rules.get((category_id, None)) or rules.get((None, None)) or DEFAULT_RULE
    if current.kind not in rule.appointment_only_kinds:
        return None
    zh, en = session_name(current, now.astimezone(zone).date(), True)
    return (
        f"该业务在{zh}时段仅接待已预约的群众，请先预约或在其他时段办理",
        f"During {en} this service is for booked citizens only; book first or come at another time",
    )


# ----------------------------------------------------------------------------- citizen input

_NAME_PATTERN = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z·.\- ]{1,30}$")


def validate_citizen_name(raw: Any) -> str:
    """A citizen's name as on the ID card: 1 to 30 Chinese characters or letters."""
    name = re.sub(r"\s+", " ", raw).strip() if isinstance(raw, str) else ""
    if not name:
        raise InvalidInput("请填写姓名", "please give your name")
    if not _NAME_PATTERN.match(name):
        raise InvalidInput(
            "姓名应为 1 到 30 个汉字或字母，与身份证一致",
            "a name has 1 to 30 Chinese characters or letters, as on the ID card",
        )
    return name


def validate_address(raw: Any) -> str:
    """Where a home visit goes: 5 to 200 characters."""
    address = raw.strip() if isinstance(raw, str) else ""
    if not 5 <= len(address) <= 200:
        raise InvalidInput(
            "上门服务请填写详细地址（5 到 200 字）",
            "a home visit needs the full address (5 to 200 characters)",
        )
    return address


# -------------------------------------------------------------------------------- the limits


def _month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def require_free_place(capacity: int, taken: int) -> None:
    """A slot with every place taken is refused: never oversold."""
    if taken >= capacity:
        raise CapacityReached(
            "该时段已约满，请选择其他时段", "this slot is fully booked; please choose another"
        )


def require_no_other_booking(others: int) -> None:
    """One active booking per ID number, service item and day."""
    if others:
        raise Conflict(
            "您当天已预约过该事项，每人每天每个事项只能预约一次；如需更改请先取消或改约",
            "you already have a booking for this service on that day (one per person, service "
            "and day); cancel or move it instead",
        )


def no_show_block_until(policy: BookingPolicy, missed: Iterable[date], today: date) -> date | None:
    """The last day booking stays paused after repeated no-shows, or None when not blocked.

    `missed` are the days of missed appointments; those within the policy's window count.
    """
    since = today - timedelta(days=policy.no_show_window_days)
    recent = sorted(day for day in missed if since < day <= today)
    if len(recent) < policy.max_no_shows or policy.block_days == 0:
        return None
    until = recent[-1] + timedelta(days=policy.block_days)
    return until if until >= today else None


def require_not_blocked(policy: BookingPolicy, missed: Sequence[date], today: date) -> None:
    """Refuse a citizen whose repeated no-shows pause their booking for a while."""
    until = no_show_block_until(policy, missed, today)
    if until is not None:
        resume = until + timedelta(days=1)
        raise Forbidden(
            f"您近 {policy.no_show_window_days} 天内有 {policy.max_no_shows} 次或以上预约未到，"
            f"{_month_day(resume)}起可再次预约；如有急事请到大厅现场取号",
            f"you missed {policy.max_no_shows} or more appointments in the last "
            f"{policy.no_show_window_days} days, so you can book again from "
            f"{resume.isoformat()}; for urgent matters take a ticket at the hall",
        )


# ----------------------------------------------------------------------------------- check-in


class CheckInTiming(StrEnum):
    """How a check-in relates to the appointment time."""

    ON_TIME = "on_time"  # within the window: a ticket with appointment priority
    LATE = "late"  # after the window, same day: an ordinary ticket


def check_in_timing(
    policy: BookingPolicy, slot_start: datetime, now: datetime, zone: ZoneInfo
) -> CheckInTiming:
    """On time or late, or a bilingual refusal: too early, another day, or already past."""
    start = slot_start.astimezone(zone)
    local_now = now.astimezone(zone)
    opens = start - timedelta(minutes=policy.check_in_before_minutes)
    closes = start + timedelta(minutes=policy.check_in_after_minutes)
    if local_now.date() < start.date():
        raise Conflict(
            f"您预约的是 {_month_day(start.date())} {start:%H:%M}，请在当天签到",
            f"your appointment is on {start.date().isoformat()} at {start:%H:%M}; "
            "please check in on that day",
        )
    if local_now.date() > start.date():
        raise Conflict(
            f"该预约（{_month_day(start.date())} {start:%H:%M}）已过期，请重新预约或现场取号",
            f"this appointment ({start.date().isoformat()} {start:%H:%M}) has expired; "
            "book again or take a ticket",
        )
    if local_now < opens:
        raise Conflict(
            f"签到时间未到：请于 {opens:%H:%M} 以后签到（预约时间 {start:%H:%M}）",
            f"too early to check in: check in from {opens:%H:%M} (appointment at {start:%H:%M})",
        )
    return CheckInTiming.ON_TIME if local_now <= closes else CheckInTiming.LATE


# ----------------------------------------------------------------------------------- booking


@dataclass(eq=False)
class Booking:
    """One booking as the store keeps it; personal data only as needed to serve.

    The ID number itself is never kept: `id_digest` (a keyed hash) enforces the limits and
    `id_masked` (3701**********1234) lets a clerk compare it with the card.
    """

    hall_id: int
    kind: BookingKind
    code: str
    service_item_id: int
    category_id: int | None
    pool: str  # the places this booking takes from: "item:7" or "category:2"
    day: date
    citizen_name: str
    phone: str
    id_digest: str
    id_masked: str
    created_at: datetime
    state: BookingState = BookingState.BOOKED
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    proxy: bool = False
    proxy_reason: str | None = None
    agent_id: int | None = None
    address: str = ""
    note: str = ""
    assigned_clerk_id: int | None = None
    outcome: str | None = None
    outcome_note: str = ""
    ticket_id: int | None = None
    late: bool = False
    moves: int = 0
    updated_at: datetime | None = None
    checked_in_at: datetime | None = None
    cancelled_at: datetime | None = None
    closed_at: datetime | None = None
    reminded_at: datetime | None = None
    id: int | None = None

    @property
    def is_home_visit(self) -> bool:
        """Whether this is a request for a home visit (上门服务)."""
        return self.kind == BookingKind.HOME_VISIT

    def missed(self, today: date) -> bool:
        """An appointment whose day passed without a check-in counts as a no-show."""
        if self.state == BookingState.NO_SHOW:
            return True
        return (
            self.kind == BookingKind.APPOINTMENT
            and self.state == BookingState.BOOKED
            and self.day < today
        )

    def _require_changeable(self, now: datetime, doing: tuple[str, str]) -> None:
        if self.state not in (BookingState.BOOKED, BookingState.ASSIGNED):
            zh, en = STATE_NAMES[self.state]
            raise Conflict(
                f"该预约{zh}，无法{doing[0]}",
                f"this booking is {en.lower()}; it cannot be {doing[1]}",
            )
        if self.slot_start is not None and self.slot_start <= now:
            raise Conflict(
                f"预约时间已到，无法{doing[0]}；请到大厅签到或现场取号",
                f"the appointment time has come; it cannot be {doing[1]}. Check in at the hall",
            )

    def cancel(self, now: datetime) -> None:
        """The citizen (or staff) gives up the booking before its time."""
        self._require_changeable(now, ("取消", "cancelled"))
        self.state = BookingState.CANCELLED
        self.cancelled_at = now
        self.updated_at = now

    def move(self, start: datetime, end: datetime, day: date, pool: str, now: datetime) -> None:
        """改约: the same booking (and code) in another slot."""
        if self.is_home_visit:
            raise Conflict(
                "上门服务请取消后重新申请", "cancel a home visit and request a new one instead"
            )
        self._require_changeable(now, ("改约", "moved"))
        if start == self.slot_start:
            raise InvalidInput("新时段与原时段相同", "the new slot is the same as the old one")
        self.slot_start, self.slot_end, self.day, self.pool = start, end, day, pool
        self.moves += 1
        self.reminded_at = None
        self.updated_at = now

    def check_in(self, policy: BookingPolicy, now: datetime, zone: ZoneInfo) -> CheckInTiming:
        """The citizen arrived: the booking is used, on time or late (or refused, saying why)."""
        if self.is_home_visit or self.slot_start is None:
            raise Conflict(
                "上门服务无需到大厅签到，工作人员会电话联系您约定上门时间",
                "a home visit needs no check-in at the hall; staff will phone you to agree a time",
            )
        if self.state == BookingState.CHECKED_IN:
            raise Conflict(
                "该预约已签到，请留意叫号", "this booking is already checked in; wait for your call"
            )
        if self.state != BookingState.BOOKED:
            zh, en = STATE_NAMES[self.state]
            raise Conflict(
                f"该预约{zh}，无法签到；请重新预约，或现场取号",
                f"this booking is {en.lower()} and cannot be checked in; book again or take a ticket",
            )
        timing = check_in_timing(policy, self.slot_start, now, zone)
        self.state = BookingState.CHECKED_IN
        self.late = timing == CheckInTiming.LATE
        self.checked_in_at = now
        self.updated_at = now
        return timing

    def undo_check_in(self, now: datetime) -> None:
        """The ticket could not be issued after all: the booking waits again."""
        self.state = BookingState.BOOKED
        self.late = False
        self.checked_in_at = None
        self.updated_at = now

    def assign(self, clerk_id: int, now: datetime) -> None:
        """A manager gives a home visit to a clerk (again, to reassign it)."""
        if not self.is_home_visit:
            raise Conflict("只有上门服务需要派工", "only a home visit is assigned to a clerk")
        if self.state not in (BookingState.BOOKED, BookingState.ASSIGNED):
            zh, en = STATE_NAMES[self.state]
            raise Conflict(
                f"该上门服务{zh}，无法派工",
                f"this home visit is {en.lower()}; it cannot be assigned",
            )
        self.state = BookingState.ASSIGNED
        self.assigned_clerk_id = clerk_id
        self.updated_at = now

    def close(self, outcome: HomeVisitOutcome, note: str, now: datetime) -> None:
        """A home visit ends with its outcome."""
        if not self.is_home_visit:
            raise Conflict("只有上门服务可以这样办结", "only a home visit is closed this way")
        if self.state != BookingState.ASSIGNED:
            raise Conflict(
                "请先把上门服务派给工作人员，再登记结果",
                "assign the home visit to a clerk before recording its outcome",
            )
        self.state = BookingState.CLOSED
        self.outcome = outcome.value
        self.outcome_note = note
        self.closed_at = now
        self.updated_at = now


def parse_home_visit_outcome(value: Any) -> HomeVisitOutcome:
    """The outcome of a home visit from a request."""
    try:
        return HomeVisitOutcome(value)
    except ValueError:
        allowed = ", ".join(o.value for o in HomeVisitOutcome)
        raise InvalidInput(
            f"上门服务结果须为以下之一：{allowed}", f"the outcome must be one of: {allowed}"
        ) from None


def parse_proxy_reason(value: Any) -> ProxyReason:
    """Why an agent books for a citizen (default: other)."""
    if value in (None, ""):
        return ProxyReason.OTHER
    try:
        return ProxyReason(value)
    except ValueError:
        raise InvalidInput(
            "代办原因须为 elderly、disabled 或 other",
            "the proxy reason must be elderly, disabled or other",
        ) from None


class BookingNotFound(NotFound):
    """No booking has this code (404); callers count these to stop guessing."""


def no_such_booking() -> BookingNotFound:
    """The one refusal for a code that matches nothing (it never says why)."""
    return BookingNotFound(
        "找不到该预约，请核对预约码", "no booking has this code; please check the code"
    )
