"""Many kiosks and windows at once, on SQLite and on PostgreSQL: unique contiguous numbers,
and no ticket ever called by two windows."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.domain.model import (
    Category,
    Clerk,
    Hall,
    Post,
    Role,
    Window,
    WindowPost,
    WindowStatus,
    WindowType,
)
from queue_server.services import issuing
from queue_server.services import queue as q
from queue_server.services.context import Actor, Deps
from queue_server.store import tables
from queue_server.store.db import Database

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)

ISSUERS = 50
WINDOWS = 10
TICKETS = 500


def busy_hall(deps: Deps, windows: int) -> tuple[int, list[tuple[Actor, int]]]:
    """A hall with one category and `windows` open comprehensive windows, each staffed."""
    with deps.db.transaction() as s:
        hall = Hall(name="并发测试大厅")
        s.add(hall)
        s.flush()
        s.add(Category(hall_id=hall.id or 0, prefix="A", name="综合受理"))
        staffed = []
        for number in range(1, windows + 1):
            clerk = Clerk(hall_id=hall.id or 0, staff_no=f"c{number}", name=f"窗口{number}")
            window = Window(
                hall_id=hall.id or 0,
                number=number,
                name="综合窗口",
                type=WindowType.COMPREHENSIVE,
                status=WindowStatus.OPEN,
            )
            s.add_all([clerk, window])
            s.flush()
            window.active_clerk_id = clerk.id
            s.add(WindowPost(window_id=window.id or 0, post=Post.A, clerk_id=clerk.id or 0))
            staffed.append((Actor("clerk", clerk.id, hall.id, Role.CLERK), window.id or 0))
        return hall.id or 0, staffed


def run_threads(count: int, target: Any) -> list[BaseException]:
    """Start `count` threads at the same instant; return what any of them raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as error:  # collected and asserted by the test
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_fifty_concurrent_issuers_get_contiguous_unique_numbers(deps: Deps, db_url: str):
    hall_id, _ = busy_hall(deps, 1)
    # Five separate Database objects stand in for five server processes.
    processes = [Database(db_url) for _ in range(5)]
    kiosk = Actor("system")
    numbers: list[str] = []
    lock = threading.Lock()

    def issue(index: int) -> None:
        worker = Deps(db=processes[index % 5], bus=deps.bus, clock=deps.clock)
        ticket = issuing.issue_ticket(worker, kiosk, hall_id, "A")
        with lock:
            numbers.append(ticket["number"])

    errors = run_threads(ISSUERS, issue)
    for database in processes:
        database.dispose()
    assert errors == []
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, ISSUERS + 1)]
    with deps.db.reading() as s:
        stored = list(
            s.scalars(select(tables.tickets.c.seq).where(tables.tickets.c.hall_id == hall_id))
        )
    assert sorted(stored) == list(range(1, ISSUERS + 1))


def test_ten_windows_calling_at_once_call_every_ticket_exactly_once(deps: Deps, db_url: str):
    hall_id, staffed = busy_hall(deps, WINDOWS)
    for _ in range(TICKETS):
        issuing.issue_ticket(deps, Actor("system"), hall_id, "A")
    processes = [Database(db_url) for _ in range(WINDOWS // 2)]
    called: list[tuple[int, str]] = []
    lock = threading.Lock()

    def window_loop(index: int) -> None:
        actor, window_id = staffed[index]
        worker = Deps(db=processes[index // 2], bus=deps.bus, clock=deps.clock)
        while True:
            tap = uuid.uuid4().hex  # each call a new tap, so the last ticket is finished at once
            ticket = q.call_next(worker, actor, window_id, idempotency_key=tap)["ticket"]
            if ticket is None:
                return
            with lock:
                called.append((window_id, ticket["number"]))

    errors = run_threads(WINDOWS, window_loop)
    for database in processes:
        database.dispose()
    assert errors == []
    per_number = Counter(number for _, number in called)
    assert len(per_number) == TICKETS
    assert set(per_number.values()) == {1}, "a ticket was called by two windows"
    assert len({window for window, _ in called}) > 1  # the windows really worked in parallel
    with deps.db.reading() as s:
        visits = Counter(
            s.scalars(
                select(tables.service_records.c.ticket_id).where(
                    tables.service_records.c.hall_id == hall_id
                )
            )
        )
        states = Counter(
            s.scalars(select(tables.tickets.c.state).where(tables.tickets.c.hall_id == hall_id))
        )
    assert len(visits) == TICKETS and set(visits.values()) == {1}
    # The last call-next of each window finished its ticket and found nobody waiting.
    assert states == {"done": TICKETS}
