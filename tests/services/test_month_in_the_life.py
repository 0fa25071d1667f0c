"""A month in the life of a hall, simulated with the fake clock from 2026-12-21 to 2027-01-08:
the year boundary, New Year's Day, and a year the installed holiday data may not have yet.

Each day the kiosk hands out tickets, citizens book for the next day and check in, clerks open
their windows, call, pause, serve and finish, and some leave things behind at closing time (a
ticket being served, one called, one on hold, a window left open); the deployment's scheduler
runs its jobs. At each day end the invariants are checked:

- no window is open after closing time plus the grace, nor left from a day before;
- no ticket of the day is left waiting, called, served or on hold;
- numbering starts again at 001 every day;
- the day's report adds up to the tickets issued;
- the kiosk is open on every working day.

The simulation runs once for the module (services only, SQLite) and each invariant is its own
test, so that one broken rule does not hide the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import select

from queue_server.bootstrap import JOB_MODULES, bootstrap
from queue_server.domain import reports as rp
from queue_server.domain.errors import QueueError
from queue_server.services import auth, issuing, reports
from queue_server.services import queue as q
from queue_server.services.booking import checkin as booking_checkin
from queue_server.services.booking import citizen as booking_citizen
from queue_server.services.booking import housekeeping as booking_housekeeping
from queue_server.services.bus import RecordingBus
from queue_server.services.clock import FakeClock
from queue_server.services.context import ANONYMOUS, Actor, Deps
from queue_server.services.demo import seed_demo
from queue_server.services.hours import PACKAGE
from queue_server.services.notify import FakeNotifier
from queue_server.services.scheduler import Scheduler, SingleProcessLease, registered_jobs
from queue_server.store import tables
from queue_server.store.db import Database
from queue_server.store.migrate import upgrade

from .test_booking import LOW_INCOME, id_number, item_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2026, 12, 21), date(2027, 1, 8)
# 元旦: a public holiday by law (全国年节及纪念日放假办法), whatever the year's notice says.
NEW_YEARS_DAY = date(2027, 1, 1)
OPEN_STATES = ("waiting", "called", "serving", "held")
GRACE = timedelta(minutes=30)  # the demo hall's day end grace (the default)


def working_day(day: date) -> bool:
    """A working day by the State Council's schedule where the package has it; otherwise a
    weekday that is not a statutory holiday (a provisional year's reading)."""
    if PACKAGE.covers(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and day != NEW_YEARS_DAY


def closing(day: date) -> datetime:
    """The demo hall's last session end on a weekday: 17:00, or 19:00 on Tuesday and Thursday
    (延时服务 by appointment); Saturday's 5+X morning ends at 12:00."""
    end = time(19) if day.isoweekday() in (2, 4) else time(17)
    if day.isoweekday() == 6:
        end = time(12)
    return datetime.combine(day, end, tzinfo=SHANGHAI)


@dataclass
class Day:
    """What happened on one simulated day and what was found at its end."""

    day: date
    kiosk_open: bool = False
    kiosk_refusal: str = ""
    issued: list[str] = field(default_factory=list)
    first_numbers: dict[str, str] = field(default_factory=dict)
    open_after_closing: list[int] = field(default_factory=list)
    open_next_morning: list[int] = field(default_factory=list)
    left_open_tickets: list[str] = field(default_factory=list)
    report: rp.Figures | None = None
    checked_in: int = 0
    booked: int = 0


class Hall:
    """The demo hall with its kiosk, clerks and manager, moved through the days."""

    def __init__(self, deps: Deps, clock: FakeClock, demo: dict[str, Any]) -> None:
        self.deps, self.clock, self.demo = deps, clock, demo
        self.hall = demo["hall"]
        self.kiosk = Actor("device", demo["kiosk_id"], self.hall, device_kind="kiosk")
        with deps.db.reading() as s:
            ids = dict(s.execute(select(tables.clerks.c.staff_no, tables.clerks.c.id)).all())
        self.clerks = {}
        for clerk in demo["clerks"]:
            actor = auth.actor_for_clerk(deps, int(ids[clerk["staff_no"]]))
            assert actor is not None
            self.clerks[clerk["window_number"]] = (actor, clerk["window"])
        manager = auth.actor_for_clerk(deps, int(ids[demo["manager"]["staff_no"]]))
        assert manager is not None
        self.manager = manager
        self.notifier = FakeNotifier()
        self.scheduler = Scheduler(
            deps,
            registered_jobs(JOB_MODULES),
            SingleProcessLease(),
            monotonic=lambda: clock.now().timestamp(),
        )
        self.person = 0
        self.bookings: dict[date, list[str]] = defaultdict(list)

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        moment = datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)
        assert moment >= self.clock.now(), "the simulation only moves forward"
        self.clock.current = moment.astimezone(self.clock.current.tzinfo)

    def jobs(self) -> None:
        """What the deployment's scheduler and the booking housekeeping do by themselves."""
        self.scheduler.run_pending()
        booking_housekeeping.housekeeping(self.deps, self.notifier)

    def issue(self, record: Day, category: str) -> str | None:
        try:
            number = str(issuing.issue_ticket(self.deps, self.kiosk, self.hall, category)["number"])
        except QueueError as refused:
            record.kiosk_refusal = refused.message
            return None
        record.issued.append(number)
        record.first_numbers.setdefault(category, number)
        return number

    def window(self, number: int, action: str, *args: Any) -> Any:
        actor, window_id = self.clerks[number]
        use_case = {
            "open": q.open_window,
            "close": q.close_window,
            "call": q.call_next,
            "start": q.start,
            "finish": q.finish,
            "hold": q.hold,
            "pause": q.pause_window,
            "resume": q.resume_window,
        }[action]
        return use_case(self.deps, actor, window_id, *args)

    def open_windows(self) -> list[int]:
        with self.deps.db.reading() as s:
            return sorted(
                s.scalars(
                    select(tables.windows.c.number).where(
                        tables.windows.c.hall_id == self.hall,
                        tables.windows.c.status != "closed",
                    )
                )
            )

    def open_tickets(self, day: date) -> list[str]:
        with self.deps.db.reading() as s:
            rows = s.execute(
                select(tables.tickets.c.number, tables.tickets.c.state).where(
                    tables.tickets.c.hall_id == self.hall,
                    tables.tickets.c.service_day == day,
                    tables.tickets.c.state.in_(OPEN_STATES),
                )
            ).all()
        return [f"{number} {state}" for number, state in rows]

    def book_next_day(self, record: Day) -> None:
        """A citizen books 10:00 on the next working day at the kiosk's booking page."""
        following = record.day + timedelta(days=1)
        while not working_day(following):
            following += timedelta(days=1)
        self.person += 1
        data = {
            "item": item_id(self.deps, LOW_INCOME),
            "start": datetime.combine(following, time(10), tzinfo=SHANGHAI).isoformat(),
            "name": "张三丰",
            "phone": "13812345678",
            "id_number": id_number(self.person),
        }
        try:
            code = booking_citizen.book(self.deps, ANONYMOUS, self.hall, data, self.notifier)[
                "code"
            ]
        except QueueError:
            return  # e.g. the next working day's hours are not known yet
        self.bookings[following].append(code)
        record.booked += 1

    def check_in(self, record: Day) -> None:
        for code in self.bookings.pop(record.day, []):
            try:
                ticket = booking_checkin.check_in(self.deps, self.kiosk, self.hall, code)
            except QueueError:
                continue
            record.issued.append(ticket["number"])
            record.checked_in += 1

    def serve_one(self, window: int) -> None:
        """Call the next ticket and serve it to the end (nothing when nobody waits)."""
        called = self.window(window, "call")
        if called.get("ticket") is None:
            return
        self.window(window, "start")
        self.window(window, "finish", [], "completed")

    # -- one day --------------------------------------------------------------------------
    def live(self, day: date) -> Day:
        record = Day(day)
        self.at(day, 8, 0)
        self.jobs()
        record.open_next_morning = self.open_windows()  # left from the day before?
        if day.weekday() == 6 or day == NEW_YEARS_DAY:
            # A Sunday or a public holiday, without a session: someone comes in to catch up and
            # forgets the window; a day without sessions ends when the next one begins.
            self.at(day, 10, 0)
            record.kiosk_open = self.issue(record, "A") is not None  # closed: no session
            self.window(4, "open")
            self.jobs()
            self.at(day, 23, 50)
            self.jobs()
            return self.end_of_day(record)
        self.at(day, 8, 50)
        for number in (1, 2, 3):
            self.window(number, "open")
        self.at(day, 9, 5)
        record.kiosk_open = self.issue(record, "A") is not None
        self.issue(record, "B")
        self.at(day, 9, 55)
        self.check_in(record)
        if record.kiosk_open:
            for minute in range(10, 60, 10):  # the morning: tickets and service
                self.at(day, 10, minute)
                self.issue(record, "AB"[minute % 20 // 10])
                self.serve_one(1 + minute % 3)
            self.at(day, 11, 0)
            self.window(2, "pause", "休息")
            self.book_next_day(record)
            self.at(day, 11, 15)
            self.window(2, "resume")
            self.jobs()
            if day.isoweekday() != 6:
                for minute in (0, 20, 40):  # the afternoon
                    self.at(day, 14, minute)
                    self.issue(record, "A")
                    self.issue(record, "B")
                    self.serve_one(1)
                    self.serve_one(2)
                self.jobs()
            # Just before closing: things left for the day end to settle.
            last = closing(day) - timedelta(minutes=10)
            self.at(day, last.hour, last.minute)
            for _ in range(4):
                self.issue(record, "A")
            if self.window(1, "call").get("ticket"):
                self.window(1, "start")  # left being served
            self.window(2, "call")  # left called
            if self.window(3, "call").get("ticket"):
                self.window(3, "hold")  # left on hold
        else:
            for number in (1, 2, 3):
                self.window(number, "pause", "等待开放")

        # Closing time plus the grace: the scheduler's day end.
        end = closing(day) + GRACE
        self.at(day, end.hour, end.minute)
        self.jobs()
        record.open_after_closing = self.open_windows()
        self.at(day, 23, 50)
        self.jobs()
        return self.end_of_day(record)

    def end_of_day(self, record: Day) -> Day:
        """What is left of the day, and its report."""
        record.left_open_tickets = self.open_tickets(record.day)
        period = rp.period_of("day", record.day)
        record.report = reports.build_report(self.deps, self.manager, self.hall, period).total
        return record


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[date, Day]]:
    folder: Path = tmp_path_factory.mktemp("month")
    url = f"sqlite:///{folder / 'hall.db'}"
    upgrade(url)
    clock = FakeClock(datetime(2026, 12, 20, 20, 0, tzinfo=SHANGHAI))
    deps = bootstrap({"DB": Database(url), "BUS": RecordingBus(), "CLOCK": clock})
    try:
        demo = seed_demo(deps)[0]
        hall = Hall(deps, clock, demo)
        days: dict[date, Day] = {}
        day = FIRST
        while day <= LAST:
            deps.bus.published.clear()  # type: ignore[attr-defined]
            days[day] = hall.live(day)
            day += timedelta(days=1)
        # The morning after the last day: nothing left from it either.
        hall.at(LAST + timedelta(days=1), 8, 0)
        hall.jobs()
        days[LAST].open_next_morning = hall.open_windows()
        yield days
    finally:
        deps.db.dispose()


def service_days(month: dict[date, Day]) -> list[Day]:
    return [d for d in month.values() if d.kiosk_open]


def test_the_simulation_covers_the_year_boundary_with_service_on_both_sides(month):
    assert min(month) == FIRST and max(month) == LAST and len(month) == 19
    served = service_days(month)
    assert any(d.day.year == 2026 for d in served)
    assert sum(len(d.issued) for d in served) > 100
    assert sum(d.checked_in for d in served) >= 5  # bookings made the day before were used


def test_no_window_is_open_after_closing_nor_left_from_a_day_before(month):
    after_closing = {d.day: d.open_after_closing for d in month.values() if d.open_after_closing}
    assert after_closing == {}
    morning = {d.day: d.open_next_morning for d in month.values() if d.open_next_morning}
    assert morning == {}


def test_no_ticket_of_a_day_is_left_waiting_called_served_or_on_hold(month):
    left = {d.day: d.left_open_tickets for d in month.values() if d.left_open_tickets}
    assert left == {}


def test_numbering_starts_again_at_001_every_day(month):
    firsts = {d.day: d.first_numbers for d in service_days(month)}
    assert firsts and all(f == {"A": "A001", "B": "B001"} for f in firsts.values()), firsts


def test_each_days_report_adds_up_to_the_tickets_issued(month):
    for record in month.values():
        figures = record.report
        assert figures is not None
        assert figures.issued == len(record.issued), record.day
        assert figures.served + figures.no_show + figures.cancelled == figures.issued, record.day


def test_the_kiosk_is_open_on_every_working_day(month):
    closed = {
        d.day: d.kiosk_refusal
        for d in month.values()
        if working_day(d.day) and not d.kiosk_open and d.day.year == 2026
    }
    assert closed == {}
    later = [d for d in month.values() if working_day(d.day) and d.day.year == 2027]
    assert later
    # 2027 is missing from the installed chinesecalendar: its working days are provisional
    # (the statutory holidays by law, the hall's weekly hours), and the hall opens on them.
    assert {d.day: d.kiosk_refusal for d in later if not d.kiosk_open} == {}
    assert not month[NEW_YEARS_DAY].kiosk_open  # 元旦 is a holiday either way
