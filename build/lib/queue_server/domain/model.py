"""The queue in the hall's own words: halls, windows, categories, service items, clerks, tickets.

Pure Python: no Flask, no SQL, no clock of its own. The store maps these classes onto tables;
every state change is a method that checks the rule, changes the object and returns the events
that happened, for the service layer to publish after the commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from . import events as ev
from .errors import Conflict, InvalidInput, in_english


class HallKind(StrEnum):
    """Where a hall sits in the city → county → town → village tree."""

    CITY = "city"
    COUNTY = "county"
    TOWN = "town"  # 乡镇（街道）便民服务中心
    VILLAGE = "village"  # 村（社区）便民服务站


class WindowType(StrEnum):
    """固定窗口 / 机动窗口 / 综合窗口."""

    FIXED = "fixed"
    FLEXIBLE = "flexible"
    COMPREHENSIVE = "comprehensive"


WINDOW_TYPE_NAMES = {
    WindowType.FIXED: ("固定窗口", "Fixed window"),
    WindowType.FLEXIBLE: ("机动窗口", "Flexible window"),
    WindowType.COMPREHENSIVE: ("综合窗口", "Comprehensive window"),
}


class WindowStatus(StrEnum):
    """Whether a window takes calls now."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class TicketState(StrEnum):
    """The life of a ticket: waiting → called → serving → done, and the side roads."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"  # 暂离: parked while the citizen fetches a document
    DONE = "done"
    NO_SHOW = "no_show"  # 过号
    CANCELLED = "cancelled"


ACTIVE_AT_WINDOW = (TicketState.CALLED, TicketState.SERVING)

# The one name of each state, on every page and screen (static/common/labels.js is made from it).
TICKET_STATE_NAMES = {
    TicketState.WAITING: ("等候中", "Waiting"),
    TicketState.CALLED: ("已叫号", "Called"),
    TicketState.SERVING: ("办理中", "Being served"),
    TicketState.HELD: ("暂离", "On hold"),
    TicketState.DONE: ("已办结", "Finished"),
    TicketState.NO_SHOW: ("已过号", "Missed"),
    TicketState.CANCELLED: ("已取消", "Cancelled"),
}


class Priority(StrEnum):
    """绿色通道: who is served first."""

    NONE = "none"
    ELDERLY = "elderly"
    DISABLED = "disabled"
    PREGNANT = "pregnant"
    MILITARY = "military"


PRIORITY_NAMES = {
    Priority.NONE: ("普通", "Regular"),
    Priority.ELDERLY: ("老年人", "Elderly"),
    Priority.DISABLED: ("残疾人", "Disabled"),
    Priority.PREGNANT: ("孕妇", "Pregnant"),
    Priority.MILITARY: ("军人", "Military"),
}


class Outcome(StrEnum):
    """How a service ended."""

    COMPLETED = "completed"  # 办结
    NEEDS_CORRECTION = "needs_correction"  # 需补正
    BACK_OFFICE = "back_office"  # 转后台
    TRANSFERRED = "transferred"  # 转移
    NO_SHOW = "no_show"  # 过号


OUTCOME_NAMES = {
    Outcome.COMPLETED: ("办结", "Completed"),
    Outcome.NEEDS_CORRECTION: ("需补正", "Needs more documents"),
    Outcome.BACK_OFFICE: ("转后台", "Passed to back office"),
    Outcome.TRANSFERRED: ("转移", "Transferred"),
    Outcome.NO_SHOW: ("过号", "No-show"),
}

FINISH_OUTCOMES = (Outcome.COMPLETED, Outcome.NEEDS_CORRECTION, Outcome.BACK_OFFICE)


class Role(StrEnum):
    """What a signed-in person may do."""

    CLERK = "clerk"
    AGENT = "agent"  # 代办员
    MANAGER = "manager"
    ADMIN = "admin"


class Post(StrEnum):
    """AB岗: the A post and the B post of a window."""

    A = "A"
    B = "B"


@dataclass
class QueueRules:
    """A hall's queue settings."""

    min_calls_before_no_show: int = 2
    min_seconds_before_no_show: int = 60
    return_places_from_front: int = 2
    max_priority_in_row: int = 3
    allow_call_out_of_order: bool = False
    appointment_lead_minutes: int = 10
    # 综合窗口先办无专窗业务: a comprehensive window first calls the categories that no open
    # fixed or flexible window serves, then whoever has waited longest (off: whoever has waited
    # longest in any category).
    comprehensive_prefers_unserved: bool = False
    # A ticket called (or recalled) less than this many seconds ago and not yet being served is
    # not finished by a call-next without an Idempotency-Key: a double tap or a retry must not
    # end the visit of a citizen who is still walking to the window.
    call_next_guard_seconds: int = 10

    SWITCHES = ("allow_call_out_of_order", "comprehensive_prefers_unserved")
    # What a hall created today starts with. The field defaults above stay what a hall stored
    # before got, so that no existing hall changes its behaviour; new halls prefer the unserved
    # queues, which brings the p95 wait 25 % below per-window FIFO in bench/hall_day.py.
    FOR_NEW_HALLS = {"comprehensive_prefers_unserved": True}
    # Rules a client may leave out when it sets the others: they keep their value.
    OPTIONAL = ("call_next_guard_seconds",)

    LIMITS = {
        "min_calls_before_no_show": (1, 10),
        "min_seconds_before_no_show": (0, 3600),
        "return_places_from_front": (0, 100),
        "max_priority_in_row": (1, 100),
        "appointment_lead_minutes": (0, 120),
        "call_next_guard_seconds": (0, 300),
    }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QueueRules:
        """Build rules from stored settings, keeping defaults for what is missing."""
        if data is not None and not isinstance(data, dict):
            raise InvalidInput("队列设置须为“名称: 值”的对象", "Queue settings must be an object")
        rules = cls()
        for key, value in (data or {}).items():
            if key in cls.SWITCHES:
                if not isinstance(value, bool):
                    raise InvalidInput(
                        f"设置 {key} 须为是或否", f"Setting {key} must be true or false"
                    )
                setattr(rules, key, value)
            elif key in cls.LIMITS:
                low, high = cls.LIMITS[key]
                if (
                    not isinstance(value, int)
                    or isinstance(value, bool)
                    or not low <= value <= high
                ):
                    raise InvalidInput(
                        f"设置 {key} 须为 {low} 到 {high} 之间的整数",
                        f"Setting {key} must be a whole number from {low} to {high}",
                    )
                setattr(rules, key, value)
            else:
                raise InvalidInput(f"未知设置：{key}", f"Unknown setting: {in_english(key)}")
        return rules

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON."""
        return {key: getattr(self, key) for key in [*self.LIMITS, *self.SWITCHES]}


def new_hall_settings() -> dict[str, Any]:
    """The stored settings a newly created hall starts with."""
    return {"queue": dict(QueueRules.FOR_NEW_HALLS)}


DAY_END_GRACE_MINUTES = 30


@dataclass(eq=False)
class Hall:
    """A 便民服务中心 (town) or 便民服务站 (village), or an office above them."""

    name: str
    kind: HallKind = HallKind.TOWN
    name_en: str = ""
    parent_id: int | None = None
    timezone: str = "Asia/Shanghai"
    day_starts_at_minute: int = 0  # the service day starts at this local minute after midnight
    settings: dict[str, Any] = field(default_factory=dict)
    hours: dict[str, Any] = field(default_factory=dict)
    notice: str = ""
    id: int | None = None

    @property
    def rules(self) -> QueueRules:
        """The queue settings of this hall."""
        return QueueRules.from_dict(self.settings.get("queue"))

    @property
    def day_end_grace(self) -> timedelta:
        """日终: this long after the day's last session ends, the hall's windows are closed and
        the day's open tickets settled (`services/jobs.py`): the setting `day_end` →
        `grace_minutes` (0 to 240), 30 minutes when not set or not a whole number in range."""
        day_end = self.settings.get("day_end") if isinstance(self.settings, dict) else None
        minutes = day_end.get("grace_minutes") if isinstance(day_end, dict) else None
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 240:
            minutes = DAY_END_GRACE_MINUTES
        return timedelta(minutes=minutes)


@dataclass(eq=False)
class Category:
    """业务类别: one queue of tickets with a letter prefix (A001…)."""

    hall_id: int
    prefix: str
    name: str
    name_en: str = ""
    daily_cap: int = 999
    target_wait_minutes: int = 20
    default_service_minutes: int = 6
    sort_order: int = 0
    active: bool = True
    id: int | None = None

    def validate(self) -> None:
        """Check the category's own fields."""
        if not (1 <= len(self.prefix) <= 2 and self.prefix.isascii() and self.prefix.isalpha()) or (
            self.prefix != self.prefix.upper()
        ):
            raise InvalidInput(
                "类别前缀须为一到两个大写字母", "A category prefix is one or two capital letters"
            )
        if not 1 <= self.daily_cap <= 999:
            raise InvalidInput("每日上限须在 1 到 999 之间", "The daily cap must be from 1 to 999")
        if not self.name.strip():
            raise InvalidInput("类别名称不能为空", "A category needs a name")


@dataclass(eq=False)
class ServiceItem:
    """事项: one service from the catalogue, with its one-time notice (一次性告知)."""

    hall_id: int
    code: str  # unified code of the province's catalogue
    name: str
    category_id: int | None = None
    name_en: str = ""
    item_type: str = "公共服务"
    legal_basis: str = ""
    time_limit_days: int = 0  # working days; 0 = on the spot (即办)
    conditions: str = ""
    steps: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    fee: str = "不收费"
    department: str = ""
    review_departments: list[str] = field(default_factory=list)  # 并联办理; empty: department
    village_proxy: bool = False  # a village station may take it in on the citizen's behalf
    online: bool = False
    active: bool = True
    id: int | None = None
    # English for the kiosk's English mode; an empty field shows the Chinese one instead
    conditions_en: str = ""
    steps_en: list[str] = field(default_factory=list)
    materials_en: list[str] = field(default_factory=list)
    fee_en: str = ""
    department_en: str = ""


@dataclass(eq=False)
class Clerk:
    """A member of staff: window clerk, village agent, manager or admin."""

    hall_id: int
    staff_no: str
    name: str
    role: Role = Role.CLERK
    department: str = ""
    photo_url: str = ""
    password_hash: str = ""
    active: bool = True
    must_change_password: bool = False
    id: int | None = None


@dataclass(eq=False)
class WindowPost:
    """AB岗: which clerk holds the A or B post of a window."""

    window_id: int
    post: Post
    clerk_id: int
    id: int | None = None


@dataclass(eq=False)
class Window:
    """A service window (窗口) and what it is doing now."""

    hall_id: int
    number: int
    name: str
    type: WindowType = WindowType.COMPREHENSIVE
    category_ids: list[int] = field(default_factory=list)
    status: WindowStatus = WindowStatus.CLOSED
    pause_reason: str = ""
    active_clerk_id: int | None = None
    priority_streak: int = 0
    opened_at: datetime | None = None  # when a clerk last put it into service
    id: int | None = None

    def serves(self, category_id: int) -> bool:
        """Whether tickets of this category may be called here."""
        if self.type == WindowType.COMPREHENSIVE and not self.category_ids:
            return True
        return category_id in self.category_ids

    def category_rank(self, category_id: int) -> int:
        """The category's place in this window's order (fixed and flexible windows)."""
        try:
            return self.category_ids.index(category_id)
        except ValueError:
            return len(self.category_ids)

    def open(self, clerk_id: int, now: datetime | None = None) -> list[ev.Event]:
        """A clerk opens the window, or takes it over from a paused or absent colleague."""
        if (
            self.status == WindowStatus.OPEN
            and self.active_clerk_id is not None
            and self.active_clerk_id != clerk_id
        ):
            raise Conflict(
                "本窗口正由另一位工作人员使用，请对方暂停或签退后再接岗",
                "Another clerk is working this window; they must pause or sign out first",
            )
        self.status = WindowStatus.OPEN
        self.pause_reason = ""
        self.active_clerk_id = clerk_id
        if now is not None:
            self.opened_at = now
        return [ev.WindowChanged(self.hall_id, self.id or 0)]

    def close(self) -> list[ev.Event]:
        """The window stops taking calls and nobody staffs it."""
        self.status = WindowStatus.CLOSED
        self.pause_reason = ""
        self.active_clerk_id = None
        self.priority_streak = 0
        return [ev.WindowChanged(self.hall_id, self.id or 0)]

    def pause(self, reason: str) -> list[ev.Event]:
        """暂停服务 with a reason the displays show."""
        if self.status == WindowStatus.CLOSED:
            raise Conflict("窗口未开放，无法暂停", "The window is closed; it cannot be paused")
        reason = (reason or "").strip()
        if not reason or len(reason) > 40:
            raise InvalidInput(
                "请填写暂停原因（不超过 40 字）",
                "Give a reason for the pause (at most 40 characters)",
            )
        self.status = WindowStatus.PAUSED
        self.pause_reason = reason
        return [ev.WindowChanged(self.hall_id, self.id or 0)]

    def resume(self, clerk_id: int, now: datetime | None = None) -> list[ev.Event]:
        """Back from a pause; the B-post colleague may resume in the A clerk's place."""
        if self.status != WindowStatus.PAUSED:
            raise Conflict("窗口未处于暂停状态", "The window is not paused")
        self.status = WindowStatus.OPEN
        self.pause_reason = ""
        self.active_clerk_id = clerk_id
        if now is not None:
            self.opened_at = now
        return [ev.WindowChanged(self.hall_id, self.id or 0)]

    def require_open(self) -> None:
        """Calls happen only at an open window."""
        if self.status != WindowStatus.OPEN:
            raise Conflict(
                "窗口未开放或已暂停，请先开始服务", "The window is closed or paused; open it first"
            )


@dataclass(eq=False)
class Ticket:
    """号: a citizen's place in a category's queue."""

    hall_id: int
    category_id: int
    service_day: date
    seq: int
    number: str
    token: str
    issued_at: datetime
    sort_key: float  # FIFO order within equal rank; a returned ticket gets a key near the front
    priority: Priority = Priority.NONE
    state: TicketState = TicketState.WAITING
    phone: str | None = None
    source: str = "kiosk"
    service_item_id: int | None = None
    appointment_id: int | None = None
    appointment_due_at: datetime | None = None
    target_window_id: int | None = None
    target_clerk_id: int | None = None
    window_id: int | None = None
    clerk_id: int | None = None
    times_called: int = 0
    called_at: datetime | None = None
    last_called_at: datetime | None = None
    started_at: datetime | None = None
    held_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: Outcome | None = None
    items: list[int] = field(default_factory=list)
    note: str = ""
    device_id: int | None = None
    agent_id: int | None = None
    id: int | None = None

    # -- calling ---------------------------------------------------------------------------
    def call(self, window: Window, clerk_id: int, now: datetime) -> list[ev.Event]:
        """A window calls this ticket."""
        if self.state != TicketState.WAITING:
            raise Conflict(
                f"{self.number} 号不在等候中，无法叫号",
                f"Ticket {self.number} is not waiting; it cannot be called",
            )
        self.state = TicketState.CALLED
        self.window_id = window.id
        self.clerk_id = clerk_id
        self.times_called = 1
        self.called_at = now
        self.last_called_at = now
        self.target_window_id = None
        self.target_clerk_id = None
        return [ev.TicketCalled(self.hall_id, self.id or 0, window.id or 0, recall=False)]

    def recall(self, now: datetime) -> list[ev.Event]:
        """重呼: call the same number again."""
        if self.state != TicketState.CALLED:
            raise Conflict(
                "只有已叫号、尚未开始办理的号可以重呼",
                "Only a called ticket not yet being served can be recalled",
            )
        self.times_called += 1
        self.last_called_at = now
        return [ev.TicketCalled(self.hall_id, self.id or 0, self.window_id or 0, recall=True)]

    def called_moments_ago(self, rules: QueueRules, now: datetime) -> bool:
        """Called (or recalled) less than `call_next_guard_seconds` ago and not being served."""
        if self.state != TicketState.CALLED or self.last_called_at is None:
            return False
        return now - self.last_called_at < timedelta(seconds=rules.call_next_guard_seconds)

    def no_show_allowed_at(self, rules: QueueRules) -> datetime | None:
        """When 过号 becomes allowed, or None when more calls are needed first."""
        if self.state != TicketState.CALLED or self.last_called_at is None:
            return None
        if self.times_called < rules.min_calls_before_no_show:
            return None
        return self.last_called_at + timedelta(seconds=rules.min_seconds_before_no_show)

    def mark_no_show(self, rules: QueueRules, now: datetime) -> list[ev.Event]:
        """过号: the citizen did not come after the required calls and wait."""
        if self.state != TicketState.CALLED:
            raise Conflict(
                "只有已叫号的号可以标记过号", "Only a called ticket can be marked as a no-show"
            )
        if self.times_called < rules.min_calls_before_no_show:
            raise Conflict(
                f"请至少呼叫 {rules.min_calls_before_no_show} 次后再标记过号",
                f"Call at least {rules.min_calls_before_no_show} times before marking a no-show",
            )
        allowed_at = self.no_show_allowed_at(rules)
        if allowed_at is not None and now < allowed_at:
            wait = math.ceil((allowed_at - now).total_seconds())  # 1 s left says 1 s, not 2
            raise Conflict(
                f"距上次呼叫时间太短，请 {wait} 秒后再标记过号",
                f"Too soon after the last call; mark the no-show in {wait} s",
            )
        self.state = TicketState.NO_SHOW
        self.outcome = Outcome.NO_SHOW
        self.finished_at = now
        return [ev.TicketFinished(self.hall_id, self.id or 0, self.window_id or 0, Outcome.NO_SHOW)]

    def start(self, now: datetime) -> list[ev.Event]:
        """The citizen has come to the window: service begins."""
        if self.state != TicketState.CALLED:
            raise Conflict(
                "只有已叫号的号可以开始办理", "Only a called ticket can start being served"
            )
        self.state = TicketState.SERVING
        self.started_at = now
        return [ev.TicketStarted(self.hall_id, self.id or 0, self.window_id or 0)]

    def finish(self, outcome: Outcome, items: list[int], now: datetime) -> list[ev.Event]:
        """The service ends with an outcome and the service items done."""
        if self.state not in ACTIVE_AT_WINDOW:
            raise Conflict(
                "只有正在办理或已叫号的号可以办结", "Only a called or served ticket can be finished"
            )
        if outcome not in FINISH_OUTCOMES:
            raise InvalidInput(
                "办理结果须为 办结、需补正 或 转后台",
                "The outcome must be completed, needs_correction or back_office",
            )
        if self.started_at is None:
            self.started_at = now
        self.state = TicketState.DONE
        self.outcome = outcome
        self.items = list(items)
        self.finished_at = now
        return [ev.TicketFinished(self.hall_id, self.id or 0, self.window_id or 0, outcome)]

    # -- side roads ------------------------------------------------------------------------
    def hold(self, now: datetime) -> list[ev.Event]:
        """暂离: park the ticket while the citizen fetches a document."""
        if self.state not in ACTIVE_AT_WINDOW:
            raise Conflict(
                "只有已叫号或正在办理的号可以暂离", "Only a called or served ticket can be held"
            )
        self.state = TicketState.HELD
        self.held_at = now
        return [ev.TicketHeld(self.hall_id, self.id or 0, self.window_id or 0)]

    def resume_held(self, window: Window, now: datetime) -> list[ev.Event]:
        """The citizen is back with the document: service goes on at the same window."""
        if self.state != TicketState.HELD:
            raise Conflict(f"{self.number} 号不在暂离中", f"Ticket {self.number} is not on hold")
        if self.window_id != window.id:
            raise Conflict(
                "暂离的号只能在原窗口继续办理",
                "A held ticket can only be resumed at the window that held it",
            )
        self.state = TicketState.SERVING
        self.held_at = None
        if self.started_at is None:
            self.started_at = now
        return [ev.TicketStarted(self.hall_id, self.id or 0, self.window_id or 0)]

    def return_after_no_show(self, sort_key: float, now: datetime) -> list[ev.Event]:
        """The citizen who missed the call comes back and re-enters near the front."""
        if self.state != TicketState.NO_SHOW:
            raise Conflict(
                f"{self.number} 号未过号，无需重新排队",
                f"Ticket {self.number} was not a no-show; it needs no return",
            )
        self.state = TicketState.WAITING
        self.sort_key = sort_key
        self.outcome = None
        self.finished_at = None
        self.times_called = 0
        self.window_id = None
        self.clerk_id = None
        return [ev.TicketReturned(self.hall_id, self.id or 0, self.category_id)]

    def transfer(
        self,
        *,
        category_id: int | None,
        window_id: int | None,
        clerk_id: int | None,
        note: str,
        now: datetime,
    ) -> list[ev.Event]:
        """转移 to another category, window or named clerk, keeping its place by issue time."""
        if self.state not in (*ACTIVE_AT_WINDOW, TicketState.HELD):
            raise Conflict(
                "只有正在办理的号可以转移",
                "Only a ticket being served at a window can be transferred",
            )
        if category_id is None and window_id is None and clerk_id is None:
            raise InvalidInput(
                "请选择转移到的类别、窗口或工作人员",
                "Choose a category, window or clerk to transfer to",
            )
        from_window = self.window_id or 0
        if category_id is not None:
            self.category_id = category_id
        self.target_window_id = window_id
        self.target_clerk_id = clerk_id
        self.state = TicketState.WAITING
        self.window_id = None
        self.clerk_id = None
        self.times_called = 0
        self.started_at = None
        self.held_at = None
        self.note = note[:200]
        return [ev.TicketTransferred(self.hall_id, self.id or 0, from_window)]

    def cancel(self, now: datetime) -> list[ev.Event]:
        """The citizen gives up the ticket before being served."""
        if self.state not in (TicketState.WAITING, TicketState.CALLED, TicketState.NO_SHOW):
            raise Conflict(
                f"{self.number} 号已在办理或已结束，无法取消",
                f"Ticket {self.number} is being served or finished; it cannot be cancelled",
            )
        self.state = TicketState.CANCELLED
        self.finished_at = now
        return [ev.TicketCancelled(self.hall_id, self.id or 0, self.window_id or 0)]

    def expire(self, now: datetime) -> list[ev.Event]:
        """The service day is over: a ticket still waiting is cancelled, one called but never
        served is a no-show (过号). Tickets at a window or on hold stay for the clerk to settle."""
        if self.state == TicketState.WAITING:
            return self.cancel(now)
        if self.state != TicketState.CALLED:
            return []
        self.state = TicketState.NO_SHOW
        self.outcome = Outcome.NO_SHOW
        self.finished_at = now
        return [ev.TicketFinished(self.hall_id, self.id or 0, self.window_id or 0, Outcome.NO_SHOW)]

    def end_of_day(self, now: datetime) -> list[ev.Event]:
        """日终: the hall's day is over and its windows close. A ticket still waiting is
        cancelled; one called but never served, or on hold and never back, is a no-show (过号);
        one being served is counted done (办结), as its clerk did not say otherwise."""
        if self.state == TicketState.HELD:
            self.state = TicketState.NO_SHOW
            self.outcome = Outcome.NO_SHOW
            self.held_at = None
            self.finished_at = now
            return [
                ev.TicketFinished(self.hall_id, self.id or 0, self.window_id or 0, Outcome.NO_SHOW)
            ]
        if self.state == TicketState.SERVING:
            return self.finish(Outcome.COMPLETED, self.items, now)
        return self.expire(now)

    # -- ranking ---------------------------------------------------------------------------
    def rank(self, now: datetime, rules: QueueRules) -> int:
        """0: appointment due now; 1: 绿色通道; 2: everyone else."""
        return queue_rank(self.appointment_due_at, self.priority, now, rules)


def queue_rank(
    appointment_due_at: datetime | None, priority: Priority, now: datetime, rules: QueueRules
) -> int:
    """0: appointment due now; 1: 绿色通道; 2: everyone else."""
    if appointment_due_at is not None:
        lead = timedelta(minutes=rules.appointment_lead_minutes)
        if appointment_due_at - lead <= now:
            return 0
    if priority != Priority.NONE:
        return 1
    return 2


@dataclass(slots=True)
class WaitingTicket:
    """A light read of a waiting ticket: what the calling policy and positions need."""

    id: int
    hall_id: int
    category_id: int
    number: str
    token: str
    priority: Priority
    appointment_due_at: datetime | None
    sort_key: float
    target_window_id: int | None
    target_clerk_id: int | None
    state: TicketState = TicketState.WAITING

    def rank(self, now: datetime, rules: QueueRules) -> int:
        """0: appointment due now; 1: 绿色通道; 2: everyone else."""
        return queue_rank(self.appointment_due_at, self.priority, now, rules)


@dataclass(eq=False)
class ServiceRecord:
    """One visit of a ticket at a window: called, served, ended (a transfer makes a second)."""

    ticket_id: int
    hall_id: int
    window_id: int
    clerk_id: int | None
    category_id: int
    called_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: Outcome | None = None
    items: list[int] = field(default_factory=list)
    previous_id: int | None = None
    id: int | None = None

    @property
    def service_seconds(self) -> float | None:
        """How long the clerk served, when it is over."""
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()
