"""`hallq backup` while a real server is busy issuing and calling: the backup is taken without
stopping anyone, it is a consistent moment (every ticket with its audit entry, numbers without
gaps), and restoring it brings back exactly the tickets acknowledged before it began."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select

from queue_server.store import tables

from .conftest import OPEN_HOURS, Server

# Timed against the clock or loading the machine: run alone, after the parallel part.
pytestmark = pytest.mark.solo


class Busy:
    """Two kiosks issuing and a clerk calling next, as fast as the server answers."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.acknowledged: list[tuple[float, dict[str, Any]]] = []
        self.timings: list[float] = []
        self.stamped: list[tuple[float, float]] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        token, window = server.clerk_token(1)
        server.window(1, "open")
        self._threads = [threading.Thread(target=self._issue, args=(c,)) for c in "AB"]
        self._threads.append(threading.Thread(target=self._call, args=(token, window)))

    def _post(self, http: requests.Session, url: str, **options: Any) -> Any:
        started = time.perf_counter()
        reply = http.post(url, timeout=10, **options)
        with self._lock:
            self.timings.append(time.perf_counter() - started)
            self.stamped.append((time.time(), self.timings[-1]))
            if reply.status_code not in (200, 201):
                self.failures.append(f"{url}: {reply.status_code} {reply.text[:200]}")
        return reply

    def _issue(self, category: str) -> None:
        url = f"{self.server.url}/api/v1/halls/{self.server.demo['hall']}/tickets"
        headers = {"Authorization": f"Bearer {self.server.demo['kiosk_token']}"}
        with requests.Session() as http:
            while not self._stop.is_set():
                reply = self._post(http, url, json={"category": category}, headers=headers)
                if reply.status_code == 201:
                    with self._lock:
                        self.acknowledged.append((time.time(), reply.json()))

    def _call(self, token: str, window: int) -> None:
        url = f"{self.server.url}/api/v1/windows/{window}/call-next"
        with requests.Session() as http:
            while not self._stop.is_set():
                tap = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
                self._post(http, url, headers=tap)  # a new tap each time, as the counter sends
                time.sleep(0.05)

    def __enter__(self) -> Busy:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_an_online_backup_is_a_consistent_moment_that_restores(tmp_path: Path, db_url: str):
    url = db_url  # a migrated, empty database (SQLite file or PostgreSQL)
    server = Server(
        tmp_path, env={**OPEN_HOURS, "HALLQ_DEVICE_WORKERS": "0", "HALLQ_DATABASE_URL": url}
    )
    server.seed()
    target = tmp_path / "during-the-morning.backup"
    server.start()
    try:
        with Busy(server) as busy:
            time.sleep(1.0)
            began = time.time()
            server.hallq("backup", str(target))
            ended = time.time()
            time.sleep(1.0)
        assert busy.failures == [], busy.failures[:3]
        before = [t for at, t in busy.acknowledged if at < began]
        after = [t for at, t in busy.acknowledged if at > ended]
        assert len(before) >= 20 and after, "the server was not busy around the backup"
        # Requests answered while the backup ran (or just after) wait no longer than the others.
        during = max(d for at, d in busy.stamped if began <= at <= ended + 0.5)
        outside = max(d for at, d in busy.stamped if at < began or at > ended + 0.5)
        assert during < 2.0, f"a request took {during:.2f} s during the backup"
        server.stop()

        server.hallq("restore", "--yes", str(target))
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(tables.tickets.c.category_id, tables.tickets.c.seq)
                ).all()
                issued = conn.scalar(
                    select(func.count())
                    .select_from(tables.audit_log)
                    .where(tables.audit_log.c.action == "ticket.issue")
                )
        finally:
            engine.dispose()
        # A consistent moment: every ticket with its audit entry, numbers without a gap.
        assert issued == len(rows)
        for category in {c for c, _ in rows}:
            seqs = sorted(s for c, s in rows if c == category)
            assert seqs == list(range(1, len(seqs) + 1))
        server.start()
        for ticket in before:
            reply = requests.get(f"{server.url}/api/v1/tickets/{ticket['token']}", timeout=5)
            assert reply.status_code == 200 and reply.json()["number"] == ticket["number"]
        for ticket in after:  # made after the backup: not in it
            reply = requests.get(f"{server.url}/api/v1/tickets/{ticket['token']}", timeout=5)
            assert reply.status_code == 404
        categories = requests.get(
            f"{server.url}/api/v1/halls/{server.demo['hall']}/categories", timeout=5
        ).json()["categories"]
        a_id = next(c["id"] for c in categories if c["prefix"] == "A")
        kept_a = sum(1 for c, _ in rows if c == a_id)
        assert server.issue("A")["number"] == f"A{kept_a + 1:03d}"  # numbering goes on
    finally:
        server.stop()
    line = (
        f"online backup ({url.split(':')[0]}): {len(busy.timings)} requests around it, backup "
        f"took {ended - began:.2f} s, {len(rows)} tickets in it, {len(before)} acknowledged "
        f"before it all restored; request p50 {statistics.median(busy.timings) * 1000:.0f} ms, "
        f"max {during * 1000:.0f} ms during the backup, {outside * 1000:.0f} ms outside it"
    )
    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    with (folder / "measurements.txt").open("a") as out:
        out.write(line + "\n")
