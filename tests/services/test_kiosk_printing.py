"""The print dispatcher on its own: it prints kiosk tickets only, never blocks the use case,
stops its thread when idle and starts again with the next ticket."""

from __future__ import annotations

import time
from typing import Any

from devices.printer import run_directly
from queue_server.services import issuing
from queue_server.services.context import Actor
from queue_server.services.printing import PrintDispatcher, default_runner


def kiosk_actor(demo: dict[str, Any]) -> Actor:
    return Actor("device", demo["kiosk_id"], demo["hall"], device_kind="kiosk")


def test_dispatcher_prints_kiosk_tickets_and_sleeps_when_idle(deps, demo):
    printing = PrintDispatcher(deps, base_delay=0.01, idle_seconds=0.05)
    deps.bus.subscribe(printing.on_messages)
    try:
        started = time.perf_counter()
        first = issuing.issue_ticket(deps, kiosk_actor(demo), demo["hall"], "A")
        assert time.perf_counter() - started < 0.5
        assert printing.wait_idle(5)
        deadline = time.monotonic() + 5
        while printing.running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not printing.running, "the dispatcher thread ends when there is no work"
        assert printing.printers[demo["kiosk_id"]].worker is None, "and so do idle workers"
        second = issuing.issue_ticket(deps, kiosk_actor(demo), demo["hall"], "A")
        assert printing.wait_idle(5)
        data = printing.link_for(demo["kiosk_id"]).received  # type: ignore[union-attr]
        assert data.index(first["number"].encode()) < data.index(second["number"].encode())
    finally:
        printing.close()


def test_tickets_not_taken_at_a_kiosk_are_not_printed(deps, demo):
    printing = PrintDispatcher(deps, base_delay=0.01, idle_seconds=0.05)
    deps.bus.subscribe(printing.on_messages)
    try:
        issuing.issue_ticket(deps, Actor("system"), demo["hall"], "B")
        assert printing.wait_idle(5)
        assert printing.link_for(demo["kiosk_id"]) is None
        assert deps.bus.events("print_status") == []
    finally:
        printing.close()


def test_a_closed_dispatcher_ignores_new_tickets(deps, demo):
    printing = PrintDispatcher(deps, idle_seconds=0.05)
    deps.bus.subscribe(printing.on_messages)
    printing.close()
    issuing.issue_ticket(deps, kiosk_actor(demo), demo["hall"], "C")
    assert printing.wait_idle(1)
    assert printing.link_for(demo["kiosk_id"]) is None


def test_blocking_io_runs_directly_outside_gevent():
    assert default_runner() is run_directly


def test_a_printer_set_up_on_a_kiosk_prints_its_next_ticket(deps, demo):
    """A kiosk without a printer is remembered as such (its tickets are not looked up again),
    until its settings change: the ticket after the change is printed."""
    from sqlalchemy import select, update

    from queue_server.store import tables

    devices = tables.devices
    with deps.db.reading() as session:
        config = session.scalar(select(devices.c.config).where(devices.c.id == demo["kiosk_id"]))
    assert config.get("printer"), "the demo kiosk has a printer"

    def set_config(value: dict[str, Any]) -> None:
        with deps.db.transaction() as session:
            session.execute(
                update(devices).where(devices.c.id == demo["kiosk_id"]).values(config=value)
            )

    printing = PrintDispatcher(deps, base_delay=0.01, idle_seconds=5)
    deps.bus.subscribe(printing.on_messages)
    try:
        set_config({})
        unprinted = issuing.issue_ticket(deps, kiosk_actor(demo), demo["hall"], "A")
        assert printing.wait_idle(5)
        assert printing.link_for(demo["kiosk_id"]) is None
        set_config(config)
        printed = issuing.issue_ticket(deps, kiosk_actor(demo), demo["hall"], "A")
        assert printing.wait_idle(5)
        data = printing.link_for(demo["kiosk_id"]).received  # type: ignore[union-attr]
        assert printed["number"].encode() in data
        assert unprinted["number"].encode() not in data
    finally:
        printing.close()
