"""办件: one application for one service item, from 受理 at a window through the back office's
审批 to 统一出件 (受审分离, 限时办结).

A case is received at a comprehensive window, at a village station on a citizen's behalf (代办)
or from a booking; the back office's departments sign it off, in parallel when an item needs
several (并联办理); it may wait for the applicant's missing materials (需补正, the deadline's
clock stops meanwhile) or be extended (延期); it is approved or refused, then handed out (出件).

Everything here is pure: the service layer loads a `Case`, calls one of its actions with the
actor and the day, stores the result and publishes the events the action returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from queue_server.domain.calendar import HolidayCalendar
from queue_server.domain.errors import Conflict, InvalidInput, in_english

__all__ = [
    "Case",
    "CaseEvent",
    "CaseState",
    "Delivery",
    "Light",
    "Material",
    "ReviewStep",
    "Source",
    "StepState",
    "case_number",
    "check_materials",
    "default_hall_code",
    "deadline",
    "light",
]

MAX_EXTENSION_DAYS = 60  # working days one extension may add


class CaseState(StrEnum):
    """Where a case stands; each state has its name in the hall's words."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    CORRECTION = "correction"
    APPROVED = "approved"
    REFUSED = "refused"
    DELIVERED = "delivered"

    @property
    def label(self) -> str:
        """The state's Chinese name as citizens and clerks read it."""
        return _STATE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The state's English name."""
        return _STATE_LABELS[self][1]

    @property
    def decided(self) -> bool:
        """Whether the back office has decided (approved or refused), delivered or not."""
        return self in (CaseState.APPROVED, CaseState.REFUSED, CaseState.DELIVERED)


_STATE_LABELS = {
    CaseState.RECEIVED: ("已受理", "Received"),
    CaseState.IN_REVIEW: ("审批中", "In review"),
    CaseState.CORRECTION: ("需补正", "Materials needed"),
    CaseState.APPROVED: ("已办结", "Ready for pickup"),
    CaseState.REFUSED: ("不予许可", "Refused"),
    CaseState.DELIVERED: ("已出件", "Delivered"),
}


class Source(StrEnum):
    """Where the application came in."""

    WINDOW = "window"  # a visit at a window, linked to its ticket
    STATION = "station"  # a village station on the citizen's behalf (代办)
    BOOKING = "booking"


class Material(StrEnum):
    """One required material of the item, as the receiving clerk checked it."""

    PROVIDED = "provided"
    MISSING = "missing"
    NOT_APPLICABLE = "na"


class StepState(StrEnum):
    """One department's sign-off."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Delivery(StrEnum):
    """How the result reached the applicant (出件)."""

    WINDOW = "window"
    POST = "post"
    STATION = "station"


class Light(StrEnum):
    """The traffic light of a case's deadline: green, yellow with one working day or less
    left, red when overdue."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class CaseEvent:
    """Something that happened to a case; `what` is the action's name (received, claimed,
    approved, returned, resubmitted, refused, extended, delivered)."""

    hall_id: int
    case_id: int | None
    what: str


_HALL_CODE = re.compile(r"[A-Z]{1,6}")


def case_number(hall_code: str, service_day: date, sequence: int) -> str:
    """The case number, unique in the city and readable aloud: XL-20261208-0007."""
    if not _HALL_CODE.fullmatch(hall_code):
        raise InvalidInput(
            "大厅编码须为 1 到 6 个大写字母",
            "A hall code is 1 to 6 capital letters",
        )
    if not 1 <= sequence <= 9999:
        raise InvalidInput(
            "一个大厅一天最多受理 9999 件",
            "A hall receives at most 9,999 cases a day",
        )
    return f"{hall_code}-{service_day:%Y%m%d}-{sequence:04d}"


def default_hall_code(hall_id: int) -> str:
    """The case code of a hall that has not chosen one: H and its id in letters (1 → HB, 26 →
    HBA), unique among the halls and readable aloud like the number that follows it."""
    if hall_id < 0:
        raise InvalidInput("大厅编号无效", "A hall's id is not negative")
    letters = ""
    value = hall_id
    while True:
        value, digit = divmod(value, 26)
        letters = chr(ord("A") + digit) + letters
        if value == 0:
            break
    if len(letters) > 5:
        raise InvalidInput("请为大厅设置办件编码", "Set the hall's case code")
    return "H" + letters


def check_materials(
    required: Iterable[str],
    checklist: Mapping[str, str],
    accept_with_missing: bool = False,
) -> dict[str, Material]:
    """The checklist of a new case: every required material marked provided, missing or not
    applicable. A missing material refuses the application (and names what is missing, for the
    一次性告知) unless the clerk accepts it with materials to follow (容缺受理)."""
    required = list(required)
    unknown = [name for name in checklist if name not in required]
    if unknown:
        raise InvalidInput(
            f"事项没有这些材料：{'、'.join(unknown)}",
            f"The item has no such materials: {in_english(', '.join(unknown))}",
        )
    result: dict[str, Material] = {}
    unmarked = []
    for name in required:
        value = checklist.get(name)
        if value is None:
            unmarked.append(name)
            continue
        try:
            result[name] = Material(value)
        except ValueError:
            raise InvalidInput(
                f"材料“{name}”的情况须为 provided、missing 或 na",
                f"A material's status is provided, missing or na, not {in_english(value)}",
            ) from None
    if unmarked:
        raise InvalidInput(
            f"请逐项核对材料：{'、'.join(unmarked)}",
            f"Check every material: {in_english(', '.join(unmarked))}",
        )
    missing = [name for name, status in result.items() if status is Material.MISSING]
    if missing and not accept_with_missing:
        raise MaterialsMissing(missing)
    return result


class MaterialsMissing(InvalidInput):
    """Required materials are missing and the clerk did not accept the case with them to follow."""

    code = "materials_missing"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"材料不全，缺少：{'、'.join(missing)}（可选择容缺受理）",
            f"Materials are missing: {in_english(', '.join(missing))} "
            "(the case may be accepted with them to follow)",
        )
        self.missing = missing

    def details(self) -> dict[str, object]:
        return {"missing": self.missing}


@dataclass
class ReviewStep:
    """One back-office department's sign-off of a case."""

    department: str
    state: StepState = StepState.PENDING
    approver_id: int | None = None  # who claimed the step
    note: str = ""


@dataclass
class Pause:
    """A spell in 需补正: from the day the case was returned to the day the materials came."""

    started: date
    ended: date | None = None


@dataclass
class Extension:
    """延期: working days added to the promised time, with the reason."""

    days: int
    reason: str
    on: date


@dataclass(eq=False)
class Case:
    """办件: one application for one service item, followed until it is handed out."""

    hall_id: int
    number: str
    item_id: int
    received_on: date
    time_limit_days: int  # the item's 承诺时限 in working days; 0 = on the spot (即办)
    source: Source = Source.WINDOW
    state: CaseState = CaseState.RECEIVED
    materials: dict[str, Material] = field(default_factory=dict)
    steps: list[ReviewStep] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what the applicant must bring (需补正)
    refusal_reason: str = ""
    decided_on: date | None = None
    delivered_how: Delivery | None = None
    tracking: str = ""
    station_id: int | None = None  # 代办: the village station that received it (转报)
    sent_to_station_on: date | None = None  # the decision went back to the station that day
    id: int | None = None

    # -- the back office -----------------------------------------------------------------------

    def send_to_review(self, departments: Iterable[str]) -> list[CaseEvent]:
        """Forward a received case to the back office: one step per department, in parallel."""
        self._require(CaseState.RECEIVED, "转后台审批", "sent to review")
        names = list(dict.fromkeys(d.strip() for d in departments if d.strip()))
        if not names:
            raise InvalidInput(
                "请指定审批部门",
                "Name the back-office department that reviews the case",
            )
        self.steps = [ReviewStep(name) for name in names]
        self.state = CaseState.IN_REVIEW
        return [self._event("sent_to_review")]

    def approve_on_the_spot(self, on: date) -> list[CaseEvent]:
        """即办: an item without a time limit is approved when it is received."""
        self._require(CaseState.RECEIVED, "即办", "approved on the spot")
        if self.time_limit_days != 0:
            raise Conflict(
                "该事项不是即办件，须转后台审批",
                "This item is not decided on the spot: send it to review",
            )
        self.state = CaseState.APPROVED
        self.decided_on = on
        return [self._event("approved")]

    def claim(self, department: str, approver_id: int) -> list[CaseEvent]:
        """An approver of the department takes the department's step; one approver wins."""
        self._require(CaseState.IN_REVIEW, "认领", "claimed")
        step = self._step(department)
        if step.state is not StepState.PENDING:
            raise Conflict("本部门已审批该件", "The department has already decided this case")
        if step.approver_id is not None and step.approver_id != approver_id:
            raise Conflict(
                "该件已被本部门其他审批人认领",
                "Another approver of the department has claimed this case",
            )
        step.approver_id = approver_id
        return [self._event("claimed")]

    def approve(self, department: str, approver_id: int, on: date) -> list[CaseEvent]:
        """The department signs off; the case is approved once every department has."""
        step = self._own_step(department, approver_id, "审批通过", "approved")
        step.state = StepState.APPROVED
        if all(s.state is StepState.APPROVED for s in self.steps):
            self.state = CaseState.APPROVED
            self.decided_on = on
            return [self._event("approved")]
        return [self._event("step_approved")]

    def refuse(self, department: str, approver_id: int, reason: str, on: date) -> list[CaseEvent]:
        """不予许可: one department's refusal refuses the case; the reason is required."""
        reason = reason.strip()
        if not reason:
            raise InvalidInput("不予许可须写明理由", "A refusal needs its reason")
        step = self._own_step(department, approver_id, "不予许可", "refused")
        step.state = StepState.REFUSED
        step.note = reason
        self.state = CaseState.REFUSED
        self.refusal_reason = reason
        self.decided_on = on
        return [self._event("refused")]

    def return_for_correction(
        self, department: str, approver_id: int, missing: Iterable[str], note: str, on: date
    ) -> list[CaseEvent]:
        """需补正: the applicant must bring what is missing; the deadline's clock stops."""
        wanted = list(dict.fromkeys(m.strip() for m in missing if m.strip()))
        if not wanted:
            raise InvalidInput(
                "退回补正须列明缺少的材料",
                "Returning a case for correction needs the list of missing materials",
            )
        step = self._own_step(department, approver_id, "退回补正", "returned")
        step.note = note.strip()
        self.missing = wanted
        self.state = CaseState.CORRECTION
        self.pauses.append(Pause(started=on))
        return [self._event("returned")]

    def resubmit(self, on: date) -> list[CaseEvent]:
        """The missing materials arrived: the case goes back to review, the clock runs again."""
        self._require(CaseState.CORRECTION, "补正后重新提交", "resubmitted")
        for name in self.missing:
            if name in self.materials:
                self.materials[name] = Material.PROVIDED
        self.missing = []
        self.pauses[-1].ended = on
        self.state = CaseState.IN_REVIEW
        return [self._event("resubmitted")]

    def extend(self, days: int, reason: str, on: date) -> list[CaseEvent]:
        """延期: more working days, with the reason; only while the case is undecided."""
        if self.state.decided:
            raise Conflict(
                f"办件{self.state.label}，不能延期",
                f"The case is {self.state.label_en.lower()}: it cannot be extended",
            )
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InvalidInput(
                f"延期天数须在 1 到 {MAX_EXTENSION_DAYS} 个工作日之间",
                f"An extension is 1 to {MAX_EXTENSION_DAYS} working days",
            )
        reason = reason.strip()
        if not reason:
            raise InvalidInput("延期须写明理由", "An extension needs its reason")
        self.extensions.append(Extension(days=days, reason=reason, on=on))
        return [self._event("extended")]

    # -- 统一出件 ------------------------------------------------------------------------------

    def send_to_station(self, on: date) -> list[CaseEvent]:
        """A decided case received at a village station goes back there to be handed out."""
        if self.state not in (CaseState.APPROVED, CaseState.REFUSED):
            raise Conflict(
                f"办件{self.state.label}，尚不能送回站点",
                f"The case is {self.state.label_en.lower()}: there is nothing to send back yet",
            )
        if self.source is not Source.STATION:
            raise Conflict(
                "只有村（社区）代办的件可以送回站点",
                "Only a case received at a village station can be sent back there",
            )
        if self.sent_to_station_on is not None:
            raise Conflict("该件已送回站点", "The case has already been sent to the station")
        self.sent_to_station_on = on
        return [self._event("sent_to_station")]

    def deliver(self, how: Delivery | str, tracking: str = "") -> list[CaseEvent]:
        """出件: the decision reaches the applicant at a window, by post or at the station."""
        if self.state not in (CaseState.APPROVED, CaseState.REFUSED):
            raise Conflict(
                f"办件{self.state.label}，尚不能出件",
                f"The case is {self.state.label_en.lower()}: there is nothing to hand out yet",
            )
        try:
            way = Delivery(how)
        except ValueError:
            raise InvalidInput(
                "出件方式须为 window、post 或 station",
                "Delivery is by window, post or station",
            ) from None
        tracking = tracking.strip()
        if way is Delivery.POST and not tracking:
            raise InvalidInput("邮寄出件须填写运单号", "Delivery by post needs the tracking number")
        if way is Delivery.STATION and self.source is not Source.STATION:
            raise Conflict(
                "只有村（社区）代办的件可以在站点出件",
                "Only a case received at a village station can be handed out there",
            )
        self.state = CaseState.DELIVERED
        self.delivered_how = way
        self.tracking = tracking if way is Delivery.POST else ""
        return [self._event("delivered")]

    # -- helpers -------------------------------------------------------------------------------

    def _require(self, state: CaseState, action_zh: str, action_en: str) -> None:
        if self.state is not state:
            raise Conflict(
                f"办件{self.state.label}，不能{action_zh}",
                f"The case is {self.state.label_en.lower()}: it cannot be {action_en}",
            )

    def _step(self, department: str) -> ReviewStep:
        for step in self.steps:
            if step.department == department:
                return step
        raise Conflict(
            "该件不需要本部门审批",
            "This case does not need the department's sign-off",
        )

    def _own_step(
        self, department: str, approver_id: int, action_zh: str, action_en: str
    ) -> ReviewStep:
        """The department's pending step, claimed by this approver (claimed now if nobody has)."""
        self._require(CaseState.IN_REVIEW, action_zh, action_en)
        self.claim(department, approver_id)
        return self._step(department)

    def _event(self, what: str) -> CaseEvent:
        return CaseEvent(hall_id=self.hall_id, case_id=self.id, what=what)


# -- the deadline (承诺时限) -------------------------------------------------------------------


def paused_working_days(calendar: HolidayCalendar, pauses: Iterable[Pause], today: date) -> int:
    """Working days the clock stood still in 需补正: after the day a case was returned, up to and
    including the day its materials came (or today, while it still waits)."""
    return sum(max(0, calendar.working_days_between(p.started, p.ended or today)) for p in pauses)


def deadline(case: Case, calendar: HolidayCalendar, today: date) -> date:
    """The promised day (承诺办结日): the item's working days from receipt, plus every extension
    and every working day spent waiting for materials. A calendar year nobody knows is refused
    by the calendar (`CalendarYearMissing`), never guessed."""
    days = (
        case.time_limit_days
        + sum(e.days for e in case.extensions)
        + paused_working_days(calendar, case.pauses, today)
    )
    return calendar.add_working_days(case.received_on, days)


def light(case: Case, calendar: HolidayCalendar, today: date) -> Light:
    """Green, yellow with one working day or less left, red when overdue. A decided case keeps
    the colour of the day it was decided on: red if that was late."""
    promised = deadline(case, calendar, today)
    as_of = case.decided_on if case.state.decided and case.decided_on else today
    if as_of > promised:
        return Light.RED
    if case.state.decided:
        return Light.GREEN
    if calendar.working_days_between(as_of, promised) <= 1:
        return Light.YELLOW
    return Light.GREEN


def on_time(case: Case, calendar: HolidayCalendar) -> bool | None:
    """Whether a decided case was decided by its promised day (按时办结); None while undecided."""
    if not case.state.decided or case.decided_on is None:
        return None
    return case.decided_on <= deadline(case, calendar, case.decided_on)
