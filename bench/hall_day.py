"""A simulated hall day: hallq's calling policy against plain per-window FIFO queues.

No server: the domain core (queue_server/domain/policy.py `choose_next`, `after_call`,
`people_ahead`, `estimated_wait_minutes`, `average_service_minutes`) driven by a simulated clock,
event by event. The hall is the demo town hall: three comprehensive windows (综合窗口), fixed
windows for social insurance, medical insurance, household registration and real estate, and a
flexible window (机动窗口) for the yearly medical-insurance payment, open in the morning only.

A day, 09:00-17:00: citizens arrive with a morning peak; each category has its own mix and
service time (log-normal around the category's default); some are elderly, disabled, pregnant
or military (绿色通道), some come for an appointment booked earlier (due at their slot), some do
not answer the call (过号: the window calls twice, waits a minute and moves on).

- hallq: every window calls from the hall's one waiting list by the policy (appointments due
  and the green channel first, never more than three in a row; comprehensive windows take whoever
  waited longest; fixed and flexible windows go through their categories in order). The wait
  shown at the kiosk is `estimated_wait_minutes(people ahead in the category, mean of the latest
  service times, the windows' worth of calling the category gets)`, as the API shows it.
- FIFO: the kiosk sends each citizen to the window with the shortest line among those serving
  the category, and each window serves its own line first come, first served (no green channel,
  no appointment times). The wait shown is the people ahead in that line times the window's
  mean service time.

Reported over many simulated days: mean and 95th-percentile wait, the share served within the
category's target wait, and the mean absolute error of the wait shown at issue.

Run from the repository root: .venv/bin/python bench/hall_day.py [--days 30]
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queue_server.domain import policy  # noqa: E402
from queue_server.domain.model import (  # noqa: E402
    Priority,
    QueueRules,
    WaitingTicket,
    Window,
    WindowStatus,
    WindowType,
)

DAY_START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
OPEN_SECONDS = 8 * 3600  # 09:00-17:00
LAST_ARRIVAL = OPEN_SECONDS - 30 * 60  # the kiosk stops issuing at 16:30
MORNING_ONLY = 3 * 3600  # the flexible window closes at 12:00
NO_SHOW_SECONDS = 75  # two calls and the minute the rules ask for before 过号

# prefix: (share of arrivals, default service minutes, target wait minutes)
CATEGORIES = {
    "A": (0.30, 8, 20),  # 综合受理
    "B": (0.20, 6, 20),  # 社会保险
    "C": (0.15, 6, 20),  # 医疗保险
    "D": (0.10, 10, 25),  # 户籍办理
    "E": (0.10, 15, 30),  # 不动产登记
    "F": (0.15, 3, 15),  # 居民医保缴费
}
CATEGORY_IDS = {prefix: index for index, prefix in enumerate(CATEGORIES, start=1)}
PREFIXES = {index: prefix for prefix, index in CATEGORY_IDS.items()}

# number, type, categories in order (as in the demo hall)
WINDOWS = [
    (1, WindowType.COMPREHENSIVE, []),
    (2, WindowType.COMPREHENSIVE, []),
    (3, WindowType.COMPREHENSIVE, []),
    (4, WindowType.FIXED, ["B", "C"]),
    (5, WindowType.FIXED, ["C", "B"]),
    (6, WindowType.FIXED, ["D"]),
    (7, WindowType.FIXED, ["E"]),
    (8, WindowType.FLEXIBLE, ["F", "C"]),
]

PRIORITY_SHARE = 0.06
APPOINTMENT_SHARE = 0.08
NO_SHOW_SHARE = 0.05


def arrivals_per_minute(second: float) -> float:
    """The arrival rate through the day: a morning peak around 09:45, a quieter afternoon."""
    hour = second / 3600
    morning = 0.85 * math.exp(-(((hour - 0.75) / 0.9) ** 2))
    afternoon = 0.25 * math.exp(-(((hour - 5.5) / 1.2) ** 2))
    return 0.5 + morning + afternoon


@dataclass
class Citizen:
    """One ticket of the day and what became of it."""

    id: int
    category_id: int
    arrives: float
    service_seconds: float
    priority: Priority = Priority.NONE
    appointment_at: float | None = None
    no_show: bool = False
    estimate: int = 0
    called: float | None = None

    def waiting_ticket(self) -> WaitingTicket:
        """The policy's light view of the ticket."""
        return WaitingTicket(
            id=self.id,
            hall_id=1,
            category_id=self.category_id,
            number=f"{PREFIXES[self.category_id]}{self.id:03d}",
            token="",
            priority=self.priority,
            appointment_due_at=at(self.appointment_at) if self.appointment_at is not None else None,
            sort_key=self.arrives,
            target_window_id=None,
            target_clerk_id=None,
        )


def at(second: float) -> datetime:
    """A simulated second of the day as the domain's aware time."""
    return DAY_START + timedelta(seconds=second)


def make_day(rng: random.Random) -> list[Citizen]:
    """The day's citizens, in order of arrival (a thinned Poisson process)."""
    citizens: list[Citizen] = []
    peak = max(arrivals_per_minute(s) for s in range(0, OPEN_SECONDS, 60)) / 60
    second = 0.0
    prefixes = list(CATEGORIES)
    weights = [share for share, _, _ in CATEGORIES.values()]
    while True:
        second += rng.expovariate(peak)
        if second >= LAST_ARRIVAL:
            return citizens
        if rng.random() > arrivals_per_minute(second) / 60 / peak:
            continue
        prefix = rng.choices(prefixes, weights)[0]
        minutes = CATEGORIES[prefix][1]
        sigma = 0.5
        service = rng.lognormvariate(math.log(minutes * 60) - sigma**2 / 2, sigma)
        citizen = Citizen(len(citizens) + 1, CATEGORY_IDS[prefix], second, service)
        roll = rng.random()
        if roll < PRIORITY_SHARE:
            citizen.priority = rng.choice(
                [Priority.ELDERLY, Priority.DISABLED, Priority.PREGNANT, Priority.MILITARY]
            )
        elif roll < PRIORITY_SHARE + APPOINTMENT_SHARE:
            # booked a half-hour slot; checks in up to ten minutes early
            slot = math.ceil((second + 60) / 1800) * 1800
            citizen.appointment_at = float(slot)
            citizen.arrives = max(second, slot - rng.uniform(0, 600))
        citizen.no_show = rng.random() < NO_SHOW_SHARE
        citizens.append(citizen)


def make_windows() -> list[Window]:
    """The demo hall's windows, open."""
    return [
        Window(
            hall_id=1,
            number=number,
            name="",
            type=kind,
            category_ids=[CATEGORY_IDS[p] for p in prefixes],
            status=WindowStatus.OPEN,
            id=number,
        )
        for number, kind, prefixes in WINDOWS
    ]


def window_open(window: Window, second: float) -> bool:
    """The flexible window serves in the morning peak only."""
    return window.type != WindowType.FLEXIBLE or second < MORNING_ONLY


@dataclass
class Hall:
    """A simulated hall under one policy."""

    windows: list[Window] = field(default_factory=make_windows)
    recent: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    rules: QueueRules = field(default_factory=QueueRules)

    def average_minutes(self, category_id: int) -> float:
        """Mean of the latest service times of a category, as QueueStatus computes it."""
        default = CATEGORIES[PREFIXES[category_id]][1]
        return policy.average_service_minutes(self.recent[category_id], default)

    def served(self, citizen: Citizen) -> None:
        """Remember a service time (only services, not no-shows)."""
        self.recent[citizen.category_id].append(citizen.service_seconds)


def simulate(
    citizens: list[Citizen],
    on_arrival: Callable[[Citizen, float], None],
    next_for: Callable[[Window, float], Citizen | None],
    hall: Hall,
) -> None:
    """Run the day: arrivals, calls, services and no-shows, in time order."""
    events: list[tuple[float, int, str, int]] = []
    order = 0
    for citizen in citizens:
        heapq.heappush(events, (citizen.arrives, order := order + 1, "arrive", citizen.id))
    by_id = {c.id: c for c in citizens}
    busy: dict[int, Citizen | None] = {}

    def try_call(window: Window, second: float) -> None:
        nonlocal order
        if window.id in busy or not window_open(window, second):
            return
        citizen = next_for(window, second)
        if citizen is None:
            return
        citizen.called = second
        busy[window.id or 0] = citizen
        took = NO_SHOW_SECONDS if citizen.no_show else citizen.service_seconds
        heapq.heappush(events, (second + took, order := order + 1, "free", window.id or 0))

    while events:
        second, _, kind, ident = heapq.heappop(events)
        if kind == "arrive":
            on_arrival(by_id[ident], second)
            for window in hall.windows:
                try_call(window, second)
        else:
            finished = busy.pop(ident)
            if finished is not None and not finished.no_show:
                hall.served(finished)
            window = next(w for w in hall.windows if w.id == ident)
            try_call(window, second)
            for other in hall.windows:  # a ticket may have waited for any window to be free
                try_call(other, second)


def run_hallq(citizens: list[Citizen], rules: QueueRules | None = None) -> None:
    """One waiting list, called by the policy; estimates as the API gives them."""
    hall = Hall(rules=rules or QueueRules())
    waiting: dict[int, WaitingTicket] = {}
    people = {c.id: c for c in citizens}

    def on_arrival(citizen: Citizen, second: float) -> None:
        ticket = citizen.waiting_ticket()
        waiting[citizen.id] = ticket
        now = at(second)
        same = [t for t in waiting.values() if t.category_id == citizen.category_id]
        ahead = policy.people_ahead(ticket, same, hall.rules, now)
        counts: dict[int, int] = defaultdict(int)
        for other in waiting.values():
            counts[other.category_id] += 1
        open_windows = open_now(hall, second)
        shares = policy.window_shares(citizen.category_id, open_windows, counts, hall.rules)
        citizen.estimate = policy.estimated_wait_minutes(
            ahead, hall.average_minutes(citizen.category_id), shares
        )

    def next_for(window: Window, second: float) -> Citizen | None:
        now = at(second)
        chosen = policy.choose_next(
            window, waiting.values(), hall.rules, now, windows=open_now(hall, second)
        )
        if chosen is None:
            return None
        policy.after_call(window, chosen, hall.rules, now)
        del waiting[chosen.id]
        return people[chosen.id]

    simulate(citizens, on_arrival, next_for, hall)


def open_now(hall: Hall, second: float) -> list[Window]:
    """The windows open at this second of the day."""
    return [w for w in hall.windows if window_open(w, second)]


def run_hallq_unserved_first(citizens: list[Citizen]) -> None:
    """The same, with the hall's switch 综合窗口先办无专窗业务 on."""
    run_hallq(citizens, QueueRules(comprehensive_prefers_unserved=True))


def run_fifo(citizens: list[Citizen]) -> None:
    """A line per window, joined at the kiosk; first come, first served."""
    hall = Hall()
    lines: dict[int, deque[Citizen]] = {w.id or 0: deque() for w in hall.windows}
    window_recent: dict[int, list[float]] = defaultdict(list)

    def on_arrival(citizen: Citizen, second: float) -> None:
        choices = [
            w for w in hall.windows if window_open(w, second) and w.serves(citizen.category_id)
        ]
        window = min(choices, key=lambda w: (len(lines[w.id or 0]), w.number))
        line = lines[window.id or 0]
        recent = window_recent[window.id or 0][-20:]
        mean = (
            statistics.fmean(recent) / 60
            if recent
            else CATEGORIES[PREFIXES[citizen.category_id]][1]
        )
        citizen.estimate = math.ceil(len(line) * mean)
        line.append(citizen)

    def next_for(window: Window, second: float) -> Citizen | None:
        line = lines[window.id or 0]
        if not line:
            return None
        citizen = line.popleft()
        if not citizen.no_show:
            window_recent[window.id or 0].append(citizen.service_seconds)
        return citizen

    simulate(citizens, on_arrival, next_for, hall)


@dataclass
class Figures:
    """A policy's results over many days."""

    waits: list[float] = field(default_factory=list)
    within: int = 0
    errors: list[float] = field(default_factory=list)
    unserved: int = 0

    def add_day(self, citizens: list[Citizen]) -> None:
        """Collect a simulated day (no-shows are left out: they never waited to be served)."""
        for citizen in citizens:
            if citizen.no_show:
                continue
            if citizen.called is None:
                self.unserved += 1
                continue
            start = citizen.arrives
            wait = (citizen.called - start) / 60
            self.waits.append(wait)
            self.within += wait <= CATEGORIES[PREFIXES[citizen.category_id]][2]
            self.errors.append(abs(citizen.estimate - wait))

    def row(self) -> tuple[float, float, float, float]:
        """Mean wait, p95 wait, share within target, estimate MAE."""
        ordered = sorted(self.waits)
        p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
        return (
            statistics.fmean(self.waits),
            p95,
            self.within / len(self.waits),
            statistics.fmean(self.errors),
        )


def main() -> int:
    """Simulate the days under both policies and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    import platform

    print(f"python:  {platform.python_implementation()} {platform.python_version()}")
    started = time.monotonic()
    policies: dict[str, Callable[[list[Citizen]], None]] = {
        "hallq": run_hallq,
        "hallq, 先办无专窗": run_hallq_unserved_first,
        "FIFO per window": run_fifo,
    }
    results = {name: Figures() for name in policies}
    tickets = 0
    for day in range(args.days):
        rng = random.Random(args.seed + day)
        citizens = make_day(rng)
        tickets += len(citizens)
        for name, run in policies.items():
            copy = [Citizen(**{**c.__dict__, "estimate": 0, "called": None}) for c in citizens]
            run(copy)
            results[name].add_day(copy)
    print(
        f"days:    {args.days} simulated days, {tickets / args.days:.0f} tickets a day on average "
        f"(8 windows, {PRIORITY_SHARE:.0%} green channel, {APPOINTMENT_SHARE:.0%} appointments, "
        f"{NO_SHOW_SHARE:.0%} no-shows)\n"
    )
    print(
        f"{'policy':<22} {'mean wait':>9} {'p95 wait':>9} {'within target':>13} {'estimate MAE':>12}"
    )
    for name, figures in results.items():
        mean, p95, within, mae = figures.row()
        print(f"{name:<22} {mean:>7.1f} m {p95:>7.1f} m {within:>13.1%} {mae:>10.1f} m")
    fifo_p95 = results["FIFO per window"].row()[1]
    print()
    for name in ("hallq", "hallq, 先办无专窗"):
        p95 = results[name].row()[1]
        print(f"p95 wait: {name} {1 - p95 / fifo_p95:.0%} below the FIFO baseline")
    print(
        "(hallq: the default rule, a comprehensive window takes whoever has waited longest; "
        "先办无专窗: the hall's\n switch comprehensive_prefers_unserved, a comprehensive window "
        "first takes the queues no open fixed or\n flexible window serves)"
    )
    print(f"(ran in {time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
