"""Places are never oversold: 100 citizens book the same slot of 10 places at the same instant,
on SQLite and on PostgreSQL. Exactly 10 succeed; the other 90 are told the slot is full."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.domain.errors import QueueError
from queue_server.services.booking import citizen as booking_citizen
from queue_server.services.booking.availability import free_slots
from queue_server.services.booking.holidays import notify_holiday_moves
from queue_server.services.context import ANONYMOUS
from queue_server.store import booking_tables as bt
from tests.services.test_booking import Booker, at, id_number

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)

CITIZENS = 100
PLACES = 10


def test_100_concurrent_bookings_for_10_places_exactly_10_succeed(deps, demo, db_url):
    booker = Booker(deps, demo)
    booker.rule(places_per_slot=PLACES)
    item = booker.item()
    start = at(2026, 11, 27, 9, 0).isoformat()
    barrier = threading.Barrier(CITIZENS)
    outcomes: list[Any] = [None] * CITIZENS

    def citizen(index: int) -> None:
        data = {
            "item": item,
            "start": start,
            "name": "并发测试",
            "phone": "13800000000",
            "id_number": id_number(100 + index),
        }
        barrier.wait()
        try:
            outcomes[index] = booking_citizen.book(
                deps, ANONYMOUS, booker.hall, data, booker.notifier
            )
        except QueueError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=citizen, args=(i,)) for i in range(CITIZENS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - began

    booked = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, QueueError)]
    assert len(booked) == PLACES
    assert len(refused) == CITIZENS - PLACES
    assert Counter(e.code for e in refused) == {"full": CITIZENS - PLACES}
    assert {e.message for e in refused} == {"该时段已约满，请选择其他时段"}
    assert len({b["code"] for b in booked}) == PLACES
    with deps.db.reading() as s:
        stored = s.scalar(select(func.count()).select_from(bt.bookings))
    assert stored == PLACES
    assert len(booker.notifier.sent) == PLACES  # a confirmation for each booking, none for refusals
    slots = free_slots(deps, booker.hall, item, "2026-11-27")["slots"]
    assert next(s for s in slots if s["label"] == "09:00–09:30")["free"] == 0
    print(f"\n{db_url.split(':')[0]}: {CITIZENS} concurrent bookings in {elapsed:.2f} s")


def test_two_processes_noticing_a_booking_on_a_new_holiday_tell_its_citizen_once(
    deps, demo, db_url, clock
):
    from queue_server.services import admin
    from queue_server.services.context import Deps
    from queue_server.services.notify import FakeNotifier
    from queue_server.store.db import Database
    from tests.services.test_booking import staff

    booker = Booker(deps, demo)
    clock.current = at(2026, 12, 29, 10, 0)
    booker.book(at(2027, 1, 4, 9, 0))
    # Entered from the shell (no notifier): the servers' housekeeping tells the citizen.
    admin.save_year(
        deps,
        staff(deps, demo["admin"]["staff_no"]),
        2027,
        {
            "holidays": [{"day": "2027-01-01", "until": "2027-01-04", "name": "元旦"}],
            "swapped_workdays": [],
        },  # fmt: skip
    )
    processes = [Database(db_url) for _ in range(2)]
    notifiers = [FakeNotifier(), FakeNotifier()]
    told: list[int] = []
    barrier = threading.Barrier(2)

    def housekeeping(index: int) -> None:
        worker = Deps(db=processes[index], bus=deps.bus, clock=deps.clock)
        barrier.wait()
        told.append(notify_holiday_moves(worker, notifiers[index]))

    threads = [threading.Thread(target=housekeeping, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for database in processes:
        database.dispose()
    assert sorted(told) == [0, 1]
    assert sorted(n.kinds() for n in notifiers) == [[], ["holiday"]]
