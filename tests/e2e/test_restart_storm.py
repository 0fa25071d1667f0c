"""Restart storm: 500 display clients on a real `hallq serve` see it restart, reconnect by
themselves, re-join their hall and get a snapshot of the state as it is now (changed while the
server was down) within 5 s; every call made afterwards reaches every one of them.

The clients are python-socketio clients on the websocket transport, spread over a few client
processes (this file run as a script), reconnecting as the lobby display does
(static/common/live.js: first retry after 0.3 s, then at most every 2 s). Only 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

# Timed against the clock or loading the machine: run alone, after the parallel part.
pytestmark = pytest.mark.solo

NAMESPACE = "/live"
CLIENTS = int(os.environ.get("HALLQ_STORM_CLIENTS", "500"))
PROCESSES = 4
RECOVERY_SECONDS = 5.0
CALLS_AFTER = 3


def digest(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What a lobby screen draws from a snapshot (the clock and wait estimates left aside)."""
    return {
        "windows": sorted(
            [w["id"], w["status"], (w["current"] or {}).get("number")] for w in snapshot["windows"]
        ),
        "waiting": sorted([c["id"], c["waiting"]] for c in snapshot["categories"]),
        "recent_calls": [c["number"] for c in snapshot["recent_calls"]],
    }


# -- a client process (run as: python test_restart_storm.py URL HALL COUNT) ----------------------


def client_process(url: str, hall: int, count: int) -> None:
    """Hold `count` display clients; answer `report` with what each saw, `quit` to end."""
    import socketio

    lock = threading.Lock()
    seen: list[list[Any]] = [[] for _ in range(count)]

    def make(index: int) -> Any:
        client = socketio.Client(
            reconnection=True, reconnection_delay=0.3, reconnection_delay_max=2
        )

        def note(*entry: Any) -> None:
            with lock:
                seen[index].append([time.time(), *entry])

        def on_connect() -> None:
            note("connect")
            client.emit("join", {"hall": hall}, namespace=NAMESPACE)  # again on every reconnect

        client.on("connect", on_connect, namespace=NAMESPACE)
        client.on("disconnect", lambda *_: note("disconnect"), namespace=NAMESPACE)
        client.on("snapshot", lambda data: note("snapshot", digest(data)), namespace=NAMESPACE)
        client.on("ticket_called", lambda data: note("called", data["number"]), namespace=NAMESPACE)
        client.connect(url, transports=["websocket"], namespaces=[NAMESPACE], wait_timeout=30)
        return client

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(make, range(count)))
    assert len(clients) == count
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if all(any(e[1] == "snapshot" for e in events) for events in seen):
                break
        time.sleep(0.05)
    print("READY", flush=True)
    for line in sys.stdin:
        if line.strip() == "report":
            with lock:
                print(json.dumps(seen), flush=True)
        else:
            break
    os._exit(0)  # the connections end with the process; no thread need be waited for


class ClientGroup:
    """The client processes, driven over their stdin and stdout."""

    def __init__(self, url: str, hall: int, total: int, processes: int) -> None:
        share = [total // processes + (1 if i < total % processes else 0) for i in range(processes)]
        self.procs = [
            subprocess.Popen(
                [sys.executable, __file__, url, str(hall), str(n)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            for n in share
        ]
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "READY", f"a client process failed: {line!r}"

    def report(self) -> list[list[Any]]:
        """Every client's events: [time, kind, detail…]."""
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write("report\n")
            proc.stdin.flush()
        out: list[list[Any]] = []
        for proc in self.procs:
            assert proc.stdout is not None
            out.extend(json.loads(proc.stdout.readline()))
        return out

    def close(self) -> None:
        for proc in self.procs:
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write("quit\n")
                proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            proc.stdout.close()


def measurement(line: str) -> None:
    """Keep a figure with the test artifacts (docs/reliability.md quotes them)."""
    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "measurements.txt").open("a") as out:
        out.write(line + "\n")
    print(line)


def first_after(events: list[Any], kind: str, since: float) -> list[Any] | None:
    return next((e for e in events if e[1] == kind and e[0] >= since), None)


def change_while_down(server: Any) -> None:
    """While the server is down a colleague's process issues two tickets and calls one."""
    from queue_server.bootstrap import bootstrap
    from queue_server.services import auth, issuing
    from queue_server.services import queue as q
    from queue_server.services.context import Actor

    deps = bootstrap(
        {
            "DATABASE_URL": f"sqlite:///{server.instance / 'hallq.db'}",
            "CLOCK_START": server.env["HALLQ_CLOCK_START"],
            "CLOCK_ANCHOR": server.env["HALLQ_CLOCK_ANCHOR"],
        }
    )
    try:
        for _ in range(2):
            issuing.issue_ticket(deps, Actor("system"), server.demo["hall"], "B")
        clerk = next(c for c in server.demo["clerks"] if c["window_number"] == 1)
        from sqlalchemy import select

        from queue_server.store import tables

        with deps.db.reading() as session:
            clerk_id = session.scalar(
                select(tables.clerks.c.id).where(tables.clerks.c.staff_no == clerk["staff_no"])
            )
        actor = auth.actor_for_clerk(deps, int(clerk_id))
        assert actor is not None
        # a new tap (its own key): the ticket called a moment before is finished
        q.call_next(deps, actor, clerk["window"], idempotency_key=uuid.uuid4().hex)
    finally:
        deps.db.dispose()


def test_500_displays_reconnect_with_a_fresh_snapshot_within_5_s_and_miss_no_later_call(
    tmp_path: Path,
):
    import requests

    from .conftest import OPEN_HOURS, Server

    began = time.monotonic()
    server = Server(tmp_path, env={**OPEN_HOURS, "HALLQ_DEVICE_WORKERS": "0"})
    server.seed()
    server.start()
    hall = server.demo["hall"]
    group: ClientGroup | None = None
    try:
        server.issue("A")
        server.issue("A")
        server.window(1, "open")
        server.window(1, "call-next")
        server.window(2, "open")
        group = ClientGroup(server.url, hall, CLIENTS, PROCESSES)
        before = digest(
            requests.get(f"{server.url}/api/v1/halls/{hall}/snapshot", timeout=5).json()
        )

        stopped = time.time()
        server.stop()
        change_while_down(server)
        server.start()
        ready = time.time()
        stopped_for = ready - stopped
        expected = digest(
            requests.get(f"{server.url}/api/v1/halls/{hall}/snapshot", timeout=5).json()
        )
        assert expected != before, "the change made while down must show in the snapshot"

        # Every client reconnects and gets the state as it is now, within 5 s of the restart.
        deadline = time.monotonic() + RECOVERY_SECONDS + 5  # look a little longer, then judge
        while True:
            seen = group.report()
            fresh = [first_after(events, "snapshot", stopped) for events in seen]
            if all(fresh) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        missing = sum(1 for s in fresh if s is None)
        assert missing == 0, f"{missing} of {CLIENTS} clients got no snapshot after the restart"
        assert all(any(e[1] == "disconnect" and e[0] >= stopped for e in ev) for ev in seen)
        wrong = [s[2] for s in fresh if s is not None and s[2] != expected]
        assert not wrong, f"{len(wrong)} stale snapshots, e.g. {wrong[0]} instead of {expected}"
        arrivals = sorted(s[0] - ready for s in fresh if s is not None)
        recovery = arrivals[-1]
        assert recovery < RECOVERY_SECONDS, f"the last snapshot came {recovery:.1f} s after start"

        # Calls made after the restart reach every client, in order, each once.
        for _ in range(CALLS_AFTER):
            server.issue("A")
        since = time.time()
        numbers = [server.window(2, "call-next")["ticket"]["number"] for _ in range(CALLS_AFTER)]
        deadline = time.monotonic() + 10
        while True:
            seen = group.report()
            got = [[e[2] for e in events if e[1] == "called" and e[0] >= since] for events in seen]
            if all(g == numbers for g in got) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        short = [g for g in got if g != numbers]
        assert not short, f"{len(short)} clients missed calls: e.g. {short[0]} not {numbers}"
        elapsed = time.monotonic() - began
        assert elapsed < 60, f"the storm took {elapsed:.0f} s"
        measurement(
            f"restart storm: {CLIENTS} clients, {PROCESSES} processes; fresh snapshots from "
            f"{stopped_for:.1f} s down, half within {arrivals[len(arrivals) // 2] * 1000:.0f} ms, "
            f"the last {recovery * 1000:.0f} ms after the server answered again; {CALLS_AFTER} calls "
            f"after it reached all {CLIENTS}; whole test {elapsed:.1f} s"
        )
    finally:
        if group is not None:
            group.close()
        server.stop()


if __name__ == "__main__":
    client_process(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))


# -- joins close together share one snapshot (what keeps the storm short) -------------------------


def test_joins_close_together_share_a_snapshot_that_is_never_older_than_the_last_change(
    live_client, api, deps, clock, monkeypatch, app
):
    from sqlalchemy import update

    from queue_server import realtime
    from queue_server.store import tables

    # A minute instead of a second, so a slow machine cannot end the sharing before we look.
    monkeypatch.setattr(realtime, "SNAPSHOT_REUSE_SECONDS", 60.0)
    hall = api.demo["hall"]

    def join() -> dict[str, Any]:
        screen = live_client()
        screen.emit("join", {"hall": hall}, namespace=NAMESPACE)
        packet = screen.get_received(NAMESPACE)[0]
        assert packet["name"] == "snapshot"
        return packet["args"][0]  # type: ignore[no-any-return]

    def waiting_a(snapshot: dict[str, Any]) -> int:
        return next(c["waiting"] for c in snapshot["categories"] if c["prefix"] == "A")

    first = join()
    clock.advance(milliseconds=300)
    second = join()
    assert waiting_a(second) == waiting_a(first) == 0
    assert second["server_time"] > first["server_time"]  # the clock is never shared

    api.issue("A")  # published: the next joiner reads again
    assert waiting_a(join()) == 1
    with deps.db.transaction() as session:  # a settings change, even one nobody announces
        session.execute(update(tables.halls).where(tables.halls.c.id == hall).values(notice="停电"))
    assert join()["hall"]["notice"] == "停电"
    with deps.db.transaction() as session:  # a quiet change elsewhere: seen once sharing ends
        session.execute(update(tables.tickets).values(state="cancelled"))
    assert waiting_a(join()) == 1  # shared: shown the hall as of less than the period ago
    clock.advance(seconds=60)
    assert waiting_a(join()) == 0
