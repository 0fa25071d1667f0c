"""Report figures: tickets issued, served, missed and cancelled; wait and service times with
their 90th percentile; the share served within the target wait; 好差评 satisfaction; complaints
and 差评 follow-ups — for any group of facts, and rolled up the hall tree.

Pure: the service layer loads one fact per ticket, visit, rating, complaint and follow-up;
these functions only count. Times are kept in seconds and shown in minutes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .errors import InvalidInput
from .evaluation import EVALUATION_LEVELS, LEVELS_NEEDING_REASON

# 好差评 scores: 非常满意 100, 满意 75, 基本满意 50, 不满意 25, 非常不满意 0.
LEVEL_SCORES = {level.code: level.score for level in EVALUATION_LEVELS}
BAD_LEVELS = frozenset(LEVELS_NEEDING_REASON)  # the two lowest count as 差评


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile by nearest rank: the smallest value with p% of values at or below."""
    if not 0 < p <= 100:
        raise InvalidInput("百分位须在 0 到 100 之间", "the percentile must be from 0 to 100")
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None without values."""
    return float(sum(values)) / len(values) if values else None


def wait_seconds(
    issued_at_ts: float, first_called_ts: float | None, appointment_due_ts: float | None = None
) -> float | None:
    """Seconds from taking the ticket (or the booked time, when later) to the first call."""
    if first_called_ts is None:
        return None
    start = issued_at_ts
    if appointment_due_ts is not None and appointment_due_ts > start:
        start = appointment_due_ts
    return max(0.0, first_called_ts - start)


# -- facts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketFact:
    """One ticket of the period: where it ended and how long it waited."""

    hall_id: int
    category_id: int
    item_id: int | None
    window_id: int | None
    clerk_id: int | None
    day: date
    hour: int
    state: str
    wait_seconds: float | None  # None: never called
    target_wait_seconds: float | None


@dataclass(frozen=True, slots=True)
class ServiceFact:
    """One visit at a window that was served (called, started, ended)."""

    hall_id: int
    category_id: int
    item_id: int | None
    window_id: int | None
    clerk_id: int | None
    day: date
    hour: int
    seconds: float


@dataclass(frozen=True, slots=True)
class RatingFact:
    """One 好差评 rating."""

    hall_id: int
    category_id: int | None
    item_id: int | None
    window_id: int | None
    clerk_id: int | None
    day: date
    hour: int
    level: str

    @property
    def score(self) -> int:
        """The level's score out of 100."""
        return LEVEL_SCORES[self.level]

    @property
    def bad(self) -> bool:
        """Whether it is a 差评."""
        return self.level in BAD_LEVELS


@dataclass(frozen=True, slots=True)
class ComplaintFact:
    """One complaint registered in the period."""

    hall_id: int
    category_id: int | None
    item_id: int | None
    window_id: int | None
    clerk_id: int | None
    day: date
    hour: int
    resolved: bool
    upheld: bool
    overdue: bool


@dataclass(frozen=True, slots=True)
class FollowUpFact:
    """One 差评 follow-up opened in the period."""

    hall_id: int
    category_id: int | None
    item_id: int | None
    window_id: int | None
    clerk_id: int | None
    day: date
    hour: int
    closed: bool
    overdue: bool


AnyFact = TicketFact | ServiceFact | RatingFact | ComplaintFact | FollowUpFact


@dataclass(frozen=True)
class Facts:
    """Everything a report counts."""

    tickets: tuple[TicketFact, ...] = ()
    services: tuple[ServiceFact, ...] = ()
    ratings: tuple[RatingFact, ...] = ()
    complaints: tuple[ComplaintFact, ...] = ()
    follow_ups: tuple[FollowUpFact, ...] = ()

    def where(self, keep: Callable[[AnyFact], bool]) -> Facts:
        """The facts that pass a test."""
        return Facts(
            tuple(f for f in self.tickets if keep(f)),
            tuple(f for f in self.services if keep(f)),
            tuple(f for f in self.ratings if keep(f)),
            tuple(f for f in self.complaints if keep(f)),
            tuple(f for f in self.follow_ups if keep(f)),
        )

    def all(self) -> Iterable[AnyFact]:
        """Every fact, of every kind."""
        yield from self.tickets
        yield from self.services
        yield from self.ratings
        yield from self.complaints
        yield from self.follow_ups


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The figures of one group of facts."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    called: int = 0
    wait_avg_seconds: float | None = None
    wait_p90_seconds: float | None = None
    service_avg_seconds: float | None = None
    service_p90_seconds: float | None = None
    services: int = 0
    within_target: int = 0
    within_target_share: float | None = None  # of the called tickets
    rated: int = 0
    satisfaction: float | None = None  # mean score out of 100
    bad_reviews: int = 0
    complaints: int = 0
    complaints_upheld: int = 0
    complaints_overdue: int = 0
    follow_ups: int = 0
    follow_ups_open: int = 0
    follow_ups_overdue: int = 0
    level_counts: dict[str, int] = field(default_factory=dict)

    @property
    def wait_avg_minutes(self) -> float | None:
        """Average wait in minutes."""
        return _minutes(self.wait_avg_seconds)

    @property
    def wait_p90_minutes(self) -> float | None:
        """90th-percentile wait in minutes."""
        return _minutes(self.wait_p90_seconds)

    @property
    def service_avg_minutes(self) -> float | None:
        """Average service time in minutes."""
        return _minutes(self.service_avg_seconds)

    @property
    def service_p90_minutes(self) -> float | None:
        """90th-percentile service time in minutes."""
        return _minutes(self.service_p90_seconds)

    @property
    def within_target_percent(self) -> float | None:
        """Share of called tickets served within their category's target wait, in percent."""
        return None if self.within_target_share is None else 100 * self.within_target_share

    @property
    def bad_review_percent(self) -> float | None:
        """Share of ratings that are 差评, in percent."""
        return 100 * self.bad_reviews / self.rated if self.rated else None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: counts, times in minutes (one decimal), shares in percent."""
        return {
            "issued": self.issued,
            "served": self.served,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "called": self.called,
            "wait_avg_minutes": _round(self.wait_avg_minutes),
            "wait_p90_minutes": _round(self.wait_p90_minutes),
            "service_avg_minutes": _round(self.service_avg_minutes),
            "service_p90_minutes": _round(self.service_p90_minutes),
            "within_target_percent": _round(self.within_target_percent),
            "rated": self.rated,
            "satisfaction": _round(self.satisfaction),
            "bad_reviews": self.bad_reviews,
            "bad_review_percent": _round(self.bad_review_percent),
            "complaints": self.complaints,
            "complaints_upheld": self.complaints_upheld,
            "complaints_overdue": self.complaints_overdue,
            "follow_ups": self.follow_ups,
            "follow_ups_open": self.follow_ups_open,
            "follow_ups_overdue": self.follow_ups_overdue,
        }


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


FIGURE_KEYS = tuple(Figures().as_dict())


def figures(facts: Facts) -> Figures:
    """Count one group of facts."""
    states: dict[str, int] = defaultdict(int)
    waits: list[float] = []
    within = 0
    with_target = 0
    for ticket in facts.tickets:
        states[ticket.state] += 1
        if ticket.wait_seconds is not None:
            waits.append(ticket.wait_seconds)
            if ticket.target_wait_seconds is not None:
                with_target += 1
                if ticket.wait_seconds <= ticket.target_wait_seconds:
                    within += 1
    service = [s.seconds for s in facts.services]
    levels: dict[str, int] = defaultdict(int)
    for rating in facts.ratings:
        levels[rating.level] += 1
    scores = [r.score for r in facts.ratings]
    return Figures(
        issued=len(facts.tickets),
        served=states["done"],
        no_show=states["no_show"],
        cancelled=states["cancelled"],
        called=len(waits),
        wait_avg_seconds=mean(waits),
        wait_p90_seconds=percentile(waits, 90),
        service_avg_seconds=mean(service),
        service_p90_seconds=percentile(service, 90),
        services=len(service),
        within_target=within,
        within_target_share=within / with_target if with_target else None,
        rated=len(scores),
        satisfaction=mean(scores),
        bad_reviews=sum(1 for r in facts.ratings if r.bad),
        complaints=len(facts.complaints),
        complaints_upheld=sum(1 for c in facts.complaints if c.upheld),
        complaints_overdue=sum(1 for c in facts.complaints if c.overdue),
        follow_ups=len(facts.follow_ups),
        follow_ups_open=sum(1 for f in facts.follow_ups if not f.closed),
        follow_ups_overdue=sum(1 for f in facts.follow_ups if f.overdue),
        level_counts=dict(levels),
    )


# -- grouping --------------------------------------------------------------------------------

DIMENSIONS = ("hall", "category", "item", "window", "clerk", "day", "hour")


def key_of(fact: AnyFact, dimension: str) -> Any:
    """The group a fact belongs to along a dimension (None: not at any window / no item)."""
    if dimension not in DIMENSIONS:
        raise InvalidInput(f"未知的报表维度：{dimension}", f"Unknown report dimension: {dimension}")
    if dimension in ("day", "hour"):
        return getattr(fact, dimension)
    return getattr(fact, f"{dimension}_id")


def group(facts: Facts, dimension: str) -> dict[Any, Figures]:
    """Figures per group along one dimension."""
    buckets: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind in ("tickets", "services", "ratings", "complaints", "follow_ups"):
        for fact in getattr(facts, kind):
            buckets[key_of(fact, dimension)][kind].append(fact)
    return {
        key: figures(Facts(**{kind: tuple(items) for kind, items in parts.items()}))
        for key, parts in buckets.items()
    }


def subtree(parents: Mapping[int, int | None], root: int) -> set[int]:
    """A hall and every hall below it (village under town under county under city)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for hall, parent in parents.items():
        children[parent].append(hall)
    found = {root}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def rollup(
    facts: Facts, parents: Mapping[int, int | None], halls: Iterable[int]
) -> dict[int, Figures]:
    """Each hall's figures including every hall below it."""
    result: dict[int, Figures] = {}
    for hall in halls:
        below = subtree(parents, hall)
        result[hall] = figures(facts.where(lambda fact: fact.hall_id in below))  # noqa: B023
    return result


def tree_order(parents: Mapping[int, int | None], halls: Iterable[int]) -> list[tuple[int, int]]:
    """Halls depth-first from the top, with their depth (for an indented table)."""
    wanted = set(halls)
    children: dict[int | None, list[int]] = defaultdict(list)
    for hall in sorted(wanted):
        parent = parents.get(hall)
        children[parent if parent in wanted else None].append(hall)
    ordered: list[tuple[int, int]] = []

    def visit(hall: int, depth: int) -> None:
        ordered.append((hall, depth))
        for child in children.get(hall, []):
            visit(child, depth + 1)

    for top in children.get(None, []):
        visit(top, 0)
    return ordered


# -- periods ---------------------------------------------------------------------------------

PERIOD_KINDS = ("day", "week", "month", "range")
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Period:
    """A span of service days, both ends included."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def label(self) -> str:
        """How the period is named on a page: 2026-11-26, 2026-11-23 – 2026-11-29 …"""
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def period_of(
    kind: str, anchor: date, start: date | None = None, end: date | None = None
) -> Period:
    """A day, the ISO week (Monday to Sunday) or the calendar month around `anchor`, or a range."""
    if kind == "day":
        return Period(kind, anchor, anchor)
    if kind == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    if kind == "range":
        if start is None or end is None:
            raise InvalidInput("请填写起止日期", "Give the first and last day of the range")
        if end < start:
            raise InvalidInput(
                "结束日期不能早于开始日期", "The last day cannot be before the first"
            )
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise InvalidInput(
                f"报表时段最长 {MAX_RANGE_DAYS} 天", f"A report spans at most {MAX_RANGE_DAYS} days"
            )
        return Period(kind, start, end)
    raise InvalidInput("时段须为 日、周、月 或 自定义", "period must be day, week, month or range")


# Each figure's key with its Chinese and English column name, in table order.
FIGURE_NAMES: tuple[tuple[str, str, str], ...] = (
    ("issued", "取号", "Issued"),
    ("served", "办结", "Served"),
    ("no_show", "过号", "No-show"),
    ("cancelled", "取消", "Cancelled"),
    ("wait_avg_minutes", "平均等候(分)", "Avg wait (min)"),
    ("wait_p90_minutes", "90%等候(分)", "P90 wait (min)"),
    ("service_avg_minutes", "平均办理(分)", "Avg service (min)"),
    ("service_p90_minutes", "90%办理(分)", "P90 service (min)"),
    ("within_target_percent", "达标率(%)", "Within target (%)"),
    ("rated", "评价数", "Ratings"),
    ("satisfaction", "满意度", "Satisfaction"),
    ("bad_reviews", "差评", "Bad reviews"),
    ("complaints", "投诉", "Complaints"),
    ("follow_ups_overdue", "整改逾期", "Follow-ups overdue"),
)
