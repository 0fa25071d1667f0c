"""日终: at closing time plus the hall's grace the day ends by itself, and the next morning
starts clean; across a day boundary and across the year boundary, with the fake clock."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from queue_server.services import jobs, views
from queue_server.services.admin.monitor import monitor_snapshot
from queue_server.services.bus import RecordingBus
from queue_server.services.clock import FakeClock
from queue_server.services.context import Deps
from queue_server.store import tables

from ..conftest import Api
from .conftest import staff

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(clock: FakeClock, *when: int) -> None:
    clock.current = datetime(*when, tzinfo=SHANGHAI)  # type: ignore[misc]


def tickets(deps: Deps, hall_id: int) -> dict[str, dict[str, Any]]:
    with deps.db.reading() as s:
        rows = s.execute(select(tables.tickets).where(tables.tickets.c.hall_id == hall_id)).all()
    return {f"{row.service_day}/{row.number}": row._asdict() for row in rows}


def audit_entries(deps: Deps, action: str) -> list[Any]:
    with deps.db.reading() as s:
        return s.execute(select(tables.audit_log).where(tables.audit_log.c.action == action)).all()


def monitor(deps: Deps, demo: dict[str, Any]) -> dict[str, Any]:
    return monitor_snapshot(deps, staff(deps, demo["manager"]["staff_no"]), demo["hall"])


def set_day_end(deps: Deps, hall_id: int, **day_end: Any) -> None:
    with deps.db.transaction() as s:
        s.execute(
            tables.halls.update()
            .where(tables.halls.c.id == hall_id)
            .values(settings={"day_end": day_end})
        )


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_at_closing_plus_grace_windows_close_clerks_sign_out_and_the_days_tickets_close(
    deps: Deps, demo: dict[str, Any], api: Api, clock: FakeClock, bus: RecordingBus
):
    hall = demo["hall"]
    at(clock, 2026, 12, 9, 9, 30)  # a Wednesday: 09:00–12:00, 13:30–17:00
    for number in (1, 2, 3):
        api.window(number, "open")
    served = api.issue("A")["number"]
    assert api.window(1, "call-next")["ticket"]["number"] == served
    api.window(1, "start")
    held = api.issue("B")["number"]
    assert api.window(2, "call-next")["ticket"]["number"] == held
    api.window(2, "hold")
    api.window(3, "pause", {"reason": "临时离开"})
    waiting = api.issue("A")["number"]

    at(clock, 2026, 12, 9, 17, 29)  # closing (17:00) + 30 minutes' grace not yet reached
    assert jobs.end_days(deps) == {"windows": 0, "tickets": 0}
    assert {w["number"]: w["status"] for w in monitor(deps, demo)["windows"]}[1] == "open"

    at(clock, 2026, 12, 9, 17, 30)
    bus.published.clear()
    assert jobs.end_days(deps) == {"windows": 3, "tickets": 3}
    day = tickets(deps, hall)
    assert day[f"2026-12-09/{waiting}"]["state"] == "cancelled"
    assert day[f"2026-12-09/{held}"]["state"] == "no_show"
    assert day[f"2026-12-09/{served}"]["state"] == "done"
    # Closed as today: at 17:30 on the 9th, not the next morning.
    finished = day[f"2026-12-09/{waiting}"]["finished_at"]
    assert finished.astimezone(SHANGHAI) == datetime(2026, 12, 9, 17, 30, tzinfo=SHANGHAI)

    # Every window closed, nobody signed in at it, each step the system's.
    seen = monitor(deps, demo)
    assert all(w["status"] == "closed" and w["clerk"] is None for w in seen["windows"])
    assert all(c["open_windows"] == 0 for c in seen["categories"])  # no estimate counts them
    sign_outs = audit_entries(deps, "window.sign_out")
    assert {e.subject for e in sign_outs} == {"1", "2", "3"}
    assert {e.actor for e in sign_outs} == {"system"}
    assert {e.actor for e in audit_entries(deps, "window.day_closed")} == {"system"}
    # The lobby and window displays are told the windows are closed.
    window_1 = api.clerk(1)["window"]
    shown = bus.events("window_changed", f"window:{window_1}")[-1].payload
    assert shown["status"] == "closed" and shown["clerk"] is None and shown["current"] is None
    assert {
        m.payload["number"]: m.payload["status"]
        for m in bus.events("window_changed", f"hall:{hall}")
    } == {1: "closed", 2: "closed", 3: "closed"}

    # The next morning starts clean: numbering at 001, nothing carried over.
    at(clock, 2026, 12, 10, 8, 55)
    assert jobs.end_days(deps) == {"windows": 0, "tickets": 0}
    at(clock, 2026, 12, 10, 9, 0)
    assert api.issue("A")["number"] == "A001"
    api.tokens.clear()
    panel = api.window(2, "open")["window"]
    assert panel["status"] == "open"
    left = [
        t
        for t in tickets(deps, hall).values()
        if t["service_day"] < date(2026, 12, 10)
        and str(t["state"]) in ("waiting", "called", "serving", "held")
    ]
    assert left == []


def test_the_grace_after_closing_is_a_hall_setting(
    deps: Deps, demo: dict[str, Any], api: Api, clock: FakeClock
):
    set_day_end(deps, demo["hall"], grace_minutes=90)
    at(clock, 2026, 12, 9, 16, 0)
    api.window(1, "open")
    at(clock, 2026, 12, 9, 18, 29)
    assert jobs.end_days(deps)["windows"] == 0
    at(clock, 2026, 12, 9, 18, 30)
    assert jobs.end_days(deps)["windows"] == 1


def test_a_window_opened_after_the_day_ended_stays_until_the_next_day_begins(
    deps: Deps, demo: dict[str, Any], api: Api, clock: FakeClock
):
    """Overtime after the day end is the clerk's choice; the new day still starts clean, and a
    morning opening after a server that was down all night is not undone."""
    at(clock, 2026, 12, 9, 19, 0)
    api.window(1, "open")
    at(clock, 2026, 12, 9, 19, 5)
    assert jobs.end_days(deps)["windows"] == 0
    at(clock, 2026, 12, 10, 0, 1)
    assert jobs.end_days(deps)["windows"] == 1
    at(clock, 2026, 12, 10, 8, 50)  # opened before the scheduler ran this morning
    api.tokens.clear()
    api.window(1, "open")
    assert jobs.end_days(deps)["windows"] == 0


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_the_day_ends_across_the_year_boundary(
    deps: Deps, demo: dict[str, Any], api: Api, clock: FakeClock, bus: RecordingBus
):
    hall = demo["hall"]
    at(clock, 2026, 12, 31, 10, 0)  # Thursday: sessions until 19:00 (appointments)
    api.window(1, "open")
    last = api.issue("A")["number"]
    at(clock, 2026, 12, 31, 19, 30)
    assert jobs.end_days(deps) == {"windows": 1, "tickets": 1}
    at(clock, 2026, 12, 31, 21, 0)  # overtime on the last evening of the year
    api.tokens.clear()
    api.window(1, "open")
    assert jobs.end_days(deps)["windows"] == 0

    # New Year's Day: whatever the calendar knows of the new year, yesterday is over.
    at(clock, 2027, 1, 1, 0, 0)
    assert jobs.end_days(deps) == {"windows": 1, "tickets": 0}
    assert all(w["status"] == "closed" for w in monitor(deps, demo)["windows"])
    with deps.db.transaction() as s:  # a hall that serves year-round: no hours to close at
        s.execute(tables.halls.update().where(tables.halls.c.id == hall).values(hours={}))
    at(clock, 2027, 1, 1, 9, 0)
    assert api.issue("A")["number"] == "A001"
    api.tokens.clear()
    api.window(1, "open")
    waiting = api.issue("A")["number"]
    at(clock, 2027, 1, 1, 23, 59)
    assert jobs.end_days(deps) == {"windows": 0, "tickets": 0}
    at(clock, 2027, 1, 2, 0, 0)
    assert jobs.end_days(deps) == {"windows": 1, "tickets": 2}
    day = tickets(deps, hall)
    assert day[f"2026-12-31/{last}"]["state"] == "cancelled"
    assert day[f"2027-01-01/{waiting}"]["state"] == "cancelled"
    with deps.db.reading() as s:
        snapshot = views.hall_snapshot(s, views.get_hall(s, hall), clock.now())
    assert snapshot["service_day"] == "2027-01-02"
    assert all(w["status"] == "closed" for w in snapshot["windows"])
    assert all(c["waiting"] == 0 and c["open_windows"] == 0 for c in snapshot["categories"])
