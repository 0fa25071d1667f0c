"""Who a window calls next, where a returning citizen re-enters, and how long a wait is."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from .model import Priority, QueueRules, TicketState, Window, WindowStatus, WindowType


class Queued(Protocol):
    """What the policy reads of a ticket: a full `Ticket` or a light `WaitingTicket`."""

    @property
    def id(self) -> int | None: ...
    @property
    def hall_id(self) -> int: ...
    @property
    def category_id(self) -> int: ...
    @property
    def state(self) -> TicketState: ...
    @property
    def priority(self) -> Priority: ...
    @property
    def sort_key(self) -> float: ...
    @property
    def target_window_id(self) -> int | None: ...
    @property
    def target_clerk_id(self) -> int | None: ...

    def rank(self, now: datetime, rules: QueueRules) -> int: ...


Q = TypeVar("Q", bound=Queued)


def may_call(window: Window, ticket: Queued, clerk_id: int | None) -> bool:
    """Whether this window (and its clerk) may call this waiting ticket at all."""
    if ticket.state != TicketState.WAITING or ticket.hall_id != window.hall_id:
        return False
    if ticket.target_clerk_id is not None:
        return ticket.target_clerk_id == clerk_id
    if ticket.target_window_id is not None:
        return ticket.target_window_id == window.id
    return window.serves(ticket.category_id)


def dedicated_categories(windows: Iterable[Window]) -> set[int]:
    """Categories that an open fixed or flexible window serves (专窗)."""
    return {
        category_id
        for window in windows
        if window.type != WindowType.COMPREHENSIVE and window.status == WindowStatus.OPEN
        for category_id in window.category_ids
    }


def choose_next(
    window: Window,
    waiting: Iterable[Q],
    rules: QueueRules,
    now: datetime,
    clerk_id: int | None = None,
    windows: Iterable[Window] = (),
) -> Q | None:
    """The ticket this window calls next, or None.

    Appointments due now and 绿色通道 come first, but never more than
    `rules.max_priority_in_row` in a row while others wait. Within equal rank it is first come,
    first served; a fixed or flexible window goes through its categories in its own order, a
    comprehensive window takes whoever has waited longest — or, with the hall's
    `comprehensive_prefers_unserved`, whoever has waited longest in the categories no open fixed
    or flexible window of the hall (`windows`) serves, and only then the others. A window that
    is not open calls nobody (a flexible window is opened only when its season or the queue
    asks for it).
    """
    if window.status != WindowStatus.OPEN:
        return None
    eligible = [t for t in waiting if may_call(window, t, clerk_id)]
    if not eligible:
        return None
    priority = [t for t in eligible if t.rank(now, rules) < 2]
    regular = [t for t in eligible if t.rank(now, rules) == 2]
    pool = priority
    if not priority or (regular and window.priority_streak >= rules.max_priority_in_row):
        pool = regular

    dedicated = (
        dedicated_categories(windows)
        if rules.comprehensive_prefers_unserved and window.type == WindowType.COMPREHENSIVE
        else set()
    )

    def order(ticket: Q) -> tuple[float, ...]:
        rank = ticket.rank(now, rules)
        if window.type == WindowType.COMPREHENSIVE:
            return (rank, ticket.category_id in dedicated, ticket.sort_key, ticket.id or 0)
        # A ticket transferred to this very window or clerk ranks with the window's first
        # category: it was sent here on purpose and keeps its original place in time.
        targeted = ticket.target_window_id is not None or ticket.target_clerk_id is not None
        category_rank = 0 if targeted else window.category_rank(ticket.category_id)
        return (rank, category_rank, ticket.sort_key, ticket.id or 0)

    return min(pool, key=order)


def after_call(window: Window, ticket: Queued, rules: QueueRules, now: datetime) -> None:
    """Count priority calls in a row, so regular tickets are not starved."""
    if ticket.rank(now, rules) < 2:
        window.priority_streak += 1
    else:
        window.priority_streak = 0


def reentry_sort_key(
    waiting_keys: Sequence[float], places_from_front: int, now_key: float
) -> float:
    """A sort key that puts a returning ticket `places_from_front` places behind the front.

    `waiting_keys` are the sort keys of the tickets waiting in the same queue, in any order.
    """
    keys = sorted(waiting_keys)
    if places_from_front >= len(keys):
        return max([*keys, now_key]) + 0.001 if keys else now_key
    if places_from_front == 0:
        return keys[0] - 1.0
    return (keys[places_from_front - 1] + keys[places_from_front]) / 2


def people_ahead(
    ticket: Queued, waiting: Iterable[Queued], rules: QueueRules, now: datetime
) -> int:
    """How many waiting tickets of the same queue stand before this one."""
    mine = (ticket.rank(now, rules), ticket.sort_key, ticket.id or 0)
    return sum(
        1
        for other in waiting
        if other is not ticket
        and (other.id is None or other.id != ticket.id)
        and other.category_id == ticket.category_id
        and other.state == TicketState.WAITING
        and (other.rank(now, rules), other.sort_key, other.id or 0) < mine
    )


def estimated_wait_minutes(
    ahead: int, average_service_minutes: float, serving_windows: float
) -> int:
    """Minutes until a ticket with `ahead` people before it is called.

    `serving_windows` may be a share (`window_shares`). With no window open for the queue, the
    estimate assumes one will open.
    """
    if ahead <= 0:
        return 0
    windows = max(1, serving_windows)
    return math.ceil(ahead * max(average_service_minutes, 0.5) / windows)


def window_shares(
    category_id: int,
    windows: Iterable[Window],
    waiting: Mapping[int, int],
    rules: QueueRules | None = None,
) -> float:
    """How many windows' worth of calling a category gets now, for wait estimates.

    `waiting` counts the waiting tickets per category, the one being estimated included. Each
    open window that serves the category counts for the share of its waiting candidates that are
    of this category: a comprehensive window that five other queues also wait for is not a whole
    window for any of them, while a fixed window with only this queue is. When comprehensive
    windows prefer the categories without an open fixed or flexible window
    (`rules.comprehensive_prefers_unserved`), such a category shares them only with the other
    categories of that kind.
    """
    windows = list(windows)
    mine = waiting.get(category_id, 0)
    unserved: set[int] | None = None
    if rules is not None and rules.comprehensive_prefers_unserved:
        dedicated = dedicated_categories(windows)
        if category_id not in dedicated:
            unserved = {c for c in waiting if c not in dedicated}
    shares = 0.0
    for window in windows:
        if window.status != WindowStatus.OPEN or not window.serves(category_id):
            continue
        if unserved is not None and window.type == WindowType.COMPREHENSIVE:
            candidates = sum(waiting[c] for c in unserved)
        else:
            candidates = sum(
                count for category, count in waiting.items() if window.serves(category)
            )
        shares += mine / candidates if mine and candidates else 1.0
    return shares


def average_service_minutes(
    recent_seconds: Sequence[float], default_minutes: float, sample: int = 20
) -> float:
    """The mean of the latest service times, or the category's default when there are none."""
    latest = [s for s in recent_seconds[-sample:] if s > 0]
    if not latest:
        return default_minutes
    return sum(latest) / len(latest) / 60.0
