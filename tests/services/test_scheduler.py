"""Scheduled work: the day's rollover, device health, and one process per job at a time."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.bootstrap import JOB_MODULES
from queue_server.services import alarms, auth, jobs
from queue_server.services.bus import RecordingBus
from queue_server.services.clock import FakeClock
from queue_server.services.context import Deps
from queue_server.services.scheduler import (
    AdvisoryLease,
    Job,
    Scheduler,
    SingleProcessLease,
    periodic,
    registered_jobs,
)
from queue_server.store import tables
from queue_server.store.db import Database

from ..conftest import Api


def audit_actions(deps: Deps, action: str) -> list[dict[str, Any]]:
    with deps.db.reading() as s:
        rows = s.execute(
            select(tables.audit_log.c.subject, tables.audit_log.c.detail).where(
                tables.audit_log.c.action == action
            )
        ).all()
    return [{"subject": subject, **detail} for subject, detail in rows]


def ticket_states(deps: Deps, hall_id: int) -> dict[str, str]:
    with deps.db.reading() as s:
        rows = s.execute(
            select(tables.tickets.c.number, tables.tickets.c.state)
            .where(tables.tickets.c.hall_id == hall_id)
            .order_by(tables.tickets.c.id)
        ).all()
    return {number: str(state) for number, state in rows}


def test_hallq_serve_runs_the_day_end_and_device_health_jobs():
    names = {job.name for job in registered_jobs(JOB_MODULES)}
    assert {"day_end", "device_health"} <= names


# -- day end -------------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_yesterdays_windows_and_open_tickets_are_closed_once_the_day_is_over(
    deps: Deps, demo: dict[str, Any], api: Api, clock: FakeClock, bus: RecordingBus
):
    hall = demo["hall"]
    api.window(1, "open")
    api.window(2, "open")
    called = api.issue("A")["number"]
    assert api.window(1, "call-next")["ticket"]["number"] == called
    served = api.issue("B")["number"]
    assert api.window(2, "call-next")["ticket"]["number"] == served
    api.window(2, "start")
    waiting = api.issue("C")["number"]

    assert jobs.end_days(deps) == {"windows": 0, "tickets": 0}  # the day is not over
    clock.advance(days=1)
    bus.published.clear()

    assert jobs.end_days(deps) == {"windows": 2, "tickets": 3}
    states = ticket_states(deps, hall)
    assert states[waiting] == "cancelled" and states[called] == "no_show"
    assert states[served] == "done"  # the clerk never said otherwise: counted as served
    closed = audit_actions(deps, "ticket.day_closed")
    assert sorted((c["subject"], c["from"], c["to"]) for c in closed) == sorted(
        [
            (waiting, "waiting", "cancelled"),
            (called, "called", "no_show"),
            (served, "serving", "done"),
        ]
    )
    # Screens hear of it: the tickets left, window 1 is free, the queue figures are new.
    finished = {
        m.payload["number"]: m.payload for m in bus.events("ticket_finished", f"hall:{hall}")
    }
    assert finished[waiting]["state"] == "cancelled" and finished[called]["outcome"] == "no_show"
    window_1 = api.clerk(1)["window"]
    last = bus.events("window_changed", f"window:{window_1}")[-1].payload
    assert last["current"] is None and last["status"] == "closed" and last["clerk"] is None
    assert bus.events("queue_changed", f"hall:{hall}")

    # Running again finds nothing; the new day starts at 001 and window 1 calls it.
    assert jobs.end_days(deps) == {"windows": 0, "tickets": 0}
    assert api.issue("A")["number"] == "A001"
    api.tokens.clear()  # yesterday's sign-in has expired
    api.window(1, "open")
    assert api.window(1, "call-next")["ticket"]["number"] == "A001"


def test_day_end_follows_each_halls_own_day_start(
    deps: Deps, demo: dict[str, Any], api: Api, clock: FakeClock
):
    number = api.issue("A")["number"]
    with deps.db.transaction() as s:  # no hours (always open); the day starts at 03:00
        s.execute(
            tables.halls.update()
            .where(tables.halls.c.id == demo["hall"])
            .values(day_starts_at_minute=180, hours={})
        )
    clock.current = clock.current.replace(hour=16, minute=30)  # Friday 00:30 local
    assert jobs.end_days(deps)["tickets"] == 0
    assert ticket_states(deps, demo["hall"])[number] == "waiting"
    clock.advance(hours=3)  # 03:30 local: the next service day
    assert jobs.end_days(deps)["tickets"] == 1
    assert ticket_states(deps, demo["hall"])[number] == "cancelled"


# -- device health -------------------------------------------------------------------------------


def kiosk_alarms(deps: Deps, demo: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a
        for a in alarms.open_alarms(deps, demo["hall"])
        if a["kind"] == jobs.DEVICE_OFFLINE and a["device_id"] == demo["kiosk_id"]
    ]


def test_a_kiosk_quiet_for_ten_minutes_in_opening_hours_raises_an_alarm_until_it_is_back(
    deps: Deps, demo: dict[str, Any], clock: FakeClock, bus: RecordingBus
):
    assert jobs.check_device_health(deps) == {"raised": 0, "cleared": 0}  # never seen: left alone
    assert auth.actor_for_token(deps, demo["kiosk_token"]) is not None  # the kiosk is in touch
    clock.advance(minutes=9)
    jobs.check_device_health(deps)
    assert kiosk_alarms(deps, demo) == []

    clock.advance(minutes=2)
    assert jobs.check_device_health(deps) == {"raised": 1, "cleared": 0}
    [alarm] = kiosk_alarms(deps, demo)
    assert "11 分钟" in alarm["message"] and "11 minutes" in alarm["message_en"]
    assert bus.events("alarm", f"hall:{demo['hall']}")[-1].payload["kind"] == jobs.DEVICE_OFFLINE
    assert jobs.check_device_health(deps) == {"raised": 0, "cleared": 0}  # told once
    assert len(kiosk_alarms(deps, demo)) == 1

    auth.actor_for_token(deps, demo["kiosk_token"])  # back
    assert jobs.check_device_health(deps) == {"raised": 0, "cleared": 1}
    assert kiosk_alarms(deps, demo) == []
    assert bus.events("alarm_cleared", f"hall:{demo['hall']}")


def test_a_kiosk_switched_off_after_hours_raises_no_alarm(
    deps: Deps, demo: dict[str, Any], clock: FakeClock
):
    clock.current = clock.current.replace(hour=8, minute=55)  # 16:55 local, Thursday
    auth.actor_for_token(deps, demo["kiosk_token"])
    clock.advance(hours=3, minutes=30)  # 20:25: the hall is closed, its kiosk switched off
    assert jobs.check_device_health(deps)["raised"] == 0
    assert kiosk_alarms(deps, demo) == []


def test_a_device_in_touch_is_written_down_once_a_minute_not_on_every_request(
    deps: Deps, demo: dict[str, Any], clock: FakeClock
):
    def last_seen() -> Any:
        with deps.db.reading() as s:
            return s.scalar(
                select(tables.devices.c.last_seen_at).where(tables.devices.c.id == demo["kiosk_id"])
            )

    auth.actor_for_token(deps, demo["kiosk_token"])
    first = last_seen()
    assert first == clock.now()
    clock.advance(seconds=30)
    auth.actor_for_token(deps, demo["kiosk_token"])
    assert last_seen() == first
    clock.advance(seconds=31)
    auth.actor_for_token(deps, demo["kiosk_token"])
    assert last_seen() == clock.now()


# -- the runner ----------------------------------------------------------------------------------


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_job_runs_at_start_then_every_interval_and_a_failure_does_not_stop_the_others(
    deps: Deps,
):
    ran: list[str] = []

    def broken(_deps: Deps) -> None:
        ran.append("broken")
        raise RuntimeError("boom")

    ticks = Ticks()
    scheduler = Scheduler(
        deps,
        [
            Job("often", timedelta(seconds=10), lambda _d: ran.append("often")),
            Job("broken", timedelta(seconds=10), broken),
            Job("rarely", timedelta(minutes=5), lambda _d: ran.append("rarely")),
        ],
        SingleProcessLease(),
        monotonic=ticks,
    )
    assert sorted(scheduler.run_pending()) == ["broken", "often", "rarely"]
    assert scheduler.run_pending() == []
    assert scheduler.seconds_to_next() == 10
    ticks.now += 10
    assert sorted(scheduler.run_pending()) == ["broken", "often"]
    ticks.now += 290
    assert sorted(scheduler.run_pending()) == ["broken", "often", "rarely"]
    assert ran.count("often") == 3 and ran.count("broken") == 3 and ran.count("rarely") == 2


def test_the_background_scheduler_runs_a_job_soon_after_start_and_stops(deps: Deps):
    done = threading.Event()
    scheduler = Scheduler(
        deps, [Job("ping", timedelta(minutes=1), lambda _d: done.set())], SingleProcessLease()
    ).start()
    try:
        assert done.wait(5)
    finally:
        scheduler.stop()


def test_registering_a_job_is_one_decorator():
    calls: list[Deps] = []

    @periodic("test_registered_job", every=timedelta(minutes=3))
    def my_job(deps: Deps) -> None:
        calls.append(deps)

    job = next(j for j in registered_jobs(()) if j.name == "test_registered_job")
    assert job.every == timedelta(minutes=3) and job.run is my_job
    with pytest.raises(ValueError):
        periodic("never", every=timedelta(0))


# -- one process per job, on PostgreSQL ----------------------------------------------------------


def test_only_one_process_runs_a_job_and_another_takes_over_when_it_dies(pg_database: str):
    """Two schedulers on one PostgreSQL database stand for two `hallq serve` processes."""
    runs: list[str] = []
    processes: dict[str, tuple[Scheduler, Ticks, Database]] = {}
    for name in ("one", "two"):
        database = Database(pg_database)
        job = Job("count_runs", timedelta(seconds=1), lambda _d, name=name: runs.append(name))
        ticks = Ticks()
        scheduler = Scheduler(
            Deps(db=database, bus=RecordingBus()),
            [job],
            AdvisoryLease(pg_database),
            monotonic=ticks,
        )
        processes[name] = (scheduler, ticks, database)
    try:
        for _ in range(5):  # both are due every round; only one may run the job
            for scheduler, ticks, _db in processes.values():
                scheduler.run_pending()
                ticks.now += 10
        assert len(runs) == 5 and len(set(runs)) == 1
        holder = runs[0]
        other = "two" if holder == "one" else "one"

        # The holder dies: PostgreSQL ends its session and frees the lock; the other takes over.
        processes[holder][0].stop()
        runs.clear()
        scheduler, ticks, _db = processes[other]
        ticks.now += 10
        scheduler.run_pending()
        assert runs == [other]
    finally:
        for scheduler, _ticks, database in processes.values():
            scheduler.lease.close()
            database.dispose()


def test_a_lease_lost_with_its_connection_is_taken_again(pg_database: str):
    from sqlalchemy import create_engine, text

    lease = AdvisoryLease(pg_database)
    try:
        assert lease.hold("some_job")
        pid = lease._conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        admin = create_engine(pg_database.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        assert lease.hold("some_job") is False  # the session died, and the lock with it
        assert lease.hold("some_job") is True  # a new session takes it again
    finally:
        lease.close()
