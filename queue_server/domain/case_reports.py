"""Case figures for the manager console (办件统计): how many cases came in and were decided, the
按时办结率 (share decided by their promised day), the average working days a decision took,
and the cases now past their promised day — per service item, back-office department, hall
(rolled up village → town → county) or clerk.

Pure: the service layer loads one `CaseFact` per case (`case_fact` turns a `Case` into one on
the official calendar); these functions only count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .calendar import CalendarYearMissing, HolidayCalendar
from .cases import Case, CaseState, Light, deadline, light, paused_working_days
from .errors import InvalidInput
from .reports import Period, subtree

__all__ = [
    "CASE_DIMENSIONS",
    "CASE_FIGURE_NAMES",
    "CaseFact",
    "CaseFigures",
    "case_fact",
    "case_figures",
    "group_cases",
    "rollup_cases",
    "working_days_taken",
]

CASE_DIMENSIONS = ("hall", "item", "department", "clerk")


@dataclass(frozen=True, slots=True)
class CaseFact:
    """One case as the reports count it.

    `hall_id` is where it was received: the village station for a case taken in there (代办),
    so that a station's figures are its own and roll up into its town's."""

    case_id: int
    hall_id: int
    item_id: int
    departments: tuple[str, ...]
    clerk_id: int | None
    state: CaseState
    received_on: date
    decided_on: date | None
    deadline: date | None  # None: in a year the calendar cannot know
    working_days: int | None  # receipt → decision, without the days in 需补正; None undecided
    overdue: bool  # undecided and past its promised day, as of the day asked

    @property
    def on_time(self) -> bool | None:
        """Decided by its promised day (按时办结); None while undecided or without a deadline."""
        if self.decided_on is None or self.deadline is None:
            return None
        return self.decided_on <= self.deadline


def working_days_taken(case: Case, calendar: HolidayCalendar) -> int | None:
    """Working days from receipt to the decision, the clock stopped while in 需补正 (None while
    undecided). A case decided on the day it came in took 0."""
    if not case.state.decided or case.decided_on is None:
        return None
    spent = calendar.working_days_between(case.received_on, case.decided_on)
    return max(0, spent - paused_working_days(calendar, case.pauses, case.decided_on))


def case_fact(
    case: Case,
    calendar: HolidayCalendar,
    today: date,
    departments: Iterable[str] | None = None,
    clerk_id: int | None = None,
) -> CaseFact:
    """The fact of one case as of `today`. A promised day in a year the calendar cannot know
    leaves the deadline unknown: such a case is neither on time, late nor overdue."""
    try:
        promised: date | None = deadline(case, calendar, case.decided_on or today)
        overdue = not case.state.decided and light(case, calendar, today) is Light.RED
        taken = working_days_taken(case, calendar)
    except CalendarYearMissing:
        promised, overdue, taken = None, False, None
    return CaseFact(
        case_id=case.id or 0,
        hall_id=case.station_id or case.hall_id,
        item_id=case.item_id,
        departments=tuple(
            departments if departments is not None else (s.department for s in case.steps)
        ),
        clerk_id=clerk_id,
        state=case.state,
        received_on=case.received_on,
        decided_on=case.decided_on if case.state.decided else None,
        deadline=promised,
        working_days=taken,
        overdue=overdue,
    )


@dataclass(frozen=True)
class CaseFigures:
    """The figures of one group of cases in a period."""

    received: int = 0  # received in the period
    decided: int = 0  # decided (approved or refused) in the period
    on_time: int = 0  # of those decided, by their promised day
    late: int = 0
    overdue: int = 0  # received by the period's end, undecided and past their promised day now
    working_days_total: int = 0
    timed: int = 0  # decided cases whose working days are known

    @property
    def on_time_percent(self) -> float | None:
        """按时办结率: the share of the decided cases decided by their promised day, in percent."""
        counted = self.on_time + self.late
        return 100 * self.on_time / counted if counted else None

    @property
    def avg_working_days(self) -> float | None:
        """Average working days from receipt to decision."""
        return self.working_days_total / self.timed if self.timed else None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: counts, the rate in percent and the days with one decimal."""
        return {
            "received": self.received,
            "decided": self.decided,
            "on_time": self.on_time,
            "late": self.late,
            "overdue": self.overdue,
            "on_time_percent": _round(self.on_time_percent),
            "avg_working_days": _round(self.avg_working_days),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# Each figure's key with its Chinese and English column name, in table order.
CASE_FIGURE_NAMES: tuple[tuple[str, str, str], ...] = (
    ("received", "受理", "Received"),
    ("decided", "办结", "Decided"),
    ("on_time", "按时办结", "On time"),
    ("late", "超期办结", "Late"),
    ("on_time_percent", "按时办结率(%)", "On-time rate (%)"),
    ("avg_working_days", "平均用时(工作日)", "Avg working days"),
    ("overdue", "超期未结", "Overdue, open"),
)


def case_figures(facts: Iterable[CaseFact], period: Period) -> CaseFigures:
    """Count one group of cases for a period: receipts by their day, decisions by theirs."""
    received = decided = on_time = late = overdue = total = timed = 0
    for fact in facts:
        came = period.start <= fact.received_on <= period.end
        received += came
        overdue += fact.overdue and fact.received_on <= period.end
        if fact.decided_on is None or not period.start <= fact.decided_on <= period.end:
            continue
        decided += 1
        if fact.on_time is True:
            on_time += 1
        elif fact.on_time is False:
            late += 1
        if fact.working_days is not None:
            total += fact.working_days
            timed += 1
    return CaseFigures(received, decided, on_time, late, overdue, total, timed)


def _keys(fact: CaseFact, dimension: str) -> tuple[Any, ...]:
    if dimension == "hall":
        return (fact.hall_id,)
    if dimension == "item":
        return (fact.item_id,)
    if dimension == "clerk":
        return (fact.clerk_id,)
    return fact.departments or ("",)  # 并联办理: a case counts for each department signing it


def group_cases(
    facts: Iterable[CaseFact], dimension: str, period: Period
) -> dict[Any, CaseFigures]:
    """Figures per item, department, hall (its own cases only) or clerk."""
    if dimension not in CASE_DIMENSIONS:
        raise InvalidInput(
            f"未知的办件统计维度：{dimension}",
            f"Unknown dimension of the case report: {dimension}",
        )
    buckets: dict[Any, list[CaseFact]] = defaultdict(list)
    for fact in facts:
        for key in _keys(fact, dimension):
            buckets[key].append(fact)
    return {key: case_figures(group, period) for key, group in buckets.items()}


def rollup_cases(
    facts: Iterable[CaseFact],
    parents: Mapping[int, int | None],
    halls: Iterable[int],
    period: Period,
) -> dict[int, CaseFigures]:
    """Each hall's figures including every hall below it (village → town → county → city)."""
    facts = list(facts)
    result: dict[int, CaseFigures] = {}
    for hall in halls:
        below = subtree(parents, hall)
        result[hall] = case_figures((f for f in facts if f.hall_id in below), period)
    return result
