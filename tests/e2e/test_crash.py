"""A server killed with SIGKILL in the middle of a busy morning loses nothing it acknowledged."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
import uuid
from collections import Counter
from typing import Any

import requests

from .conftest import Server

ISSUERS = 6
CATEGORIES = ["A", "B", "C", "D"]


def test_sigkill_mid_run_keeps_every_acknowledged_ticket_and_numbering_continues(server: Server):
    hall = server.demo["hall"]
    headers = {"Authorization": f"Bearer {server.demo['kiosk_token']}"}
    acknowledged: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    lock = threading.Lock()
    stop = threading.Event()
    window_auth = [server.clerk_token(n) for n in (1, 2)]
    for token, window_id in window_auth:
        requests.post(
            f"{server.url}/api/v1/windows/{window_id}/open",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        ).raise_for_status()

    def issuer(index: int) -> None:
        with requests.Session() as http:
            n = 0
            while not stop.is_set():
                category = CATEGORIES[(index + n) % len(CATEGORIES)]
                n += 1
                try:
                    r = http.post(
                        f"{server.url}/api/v1/halls/{hall}/tickets",
                        json={"category": category},
                        headers=headers,
                        timeout=5,
                    )
                except requests.RequestException:
                    return  # the server died under us: that reply never arrived
                if r.status_code == 201:
                    with lock:
                        acknowledged.append(r.json())

    def caller(token: str, window_id: int) -> None:
        with requests.Session() as http:
            while not stop.is_set():
                try:
                    r = http.post(
                        f"{server.url}/api/v1/windows/{window_id}/call-next",
                        # a new tap each time, as the counter sends
                        headers={
                            "Authorization": f"Bearer {token}",
                            "Idempotency-Key": uuid.uuid4().hex,
                        },
                        timeout=5,
                    )
                except requests.RequestException:
                    return
                if r.status_code == 200 and r.json()["ticket"]:
                    with lock:
                        calls.append({**r.json()["ticket"], "at_window": window_id})
                time.sleep(0.02)

    threads = [threading.Thread(target=issuer, args=(i,)) for i in range(ISSUERS)]
    threads += [threading.Thread(target=caller, args=auth) for auth in window_auth]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)  # a busy morning under way, whatever the machine's speed
    server.stop(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acknowledged) >= 20, "the load was too light to prove anything"

    server.start()
    # Every ticket whose 201 reached a client is there, with its number.
    for ticket in acknowledged:
        status = requests.get(f"{server.url}/api/v1/tickets/{ticket['token']}", timeout=5)
        assert status.status_code == 200, ticket
        assert status.json()["number"] == ticket["number"]
    database = sqlite3.connect(server.instance / "hallq.db")
    try:
        rows = database.execute(
            "SELECT category_id, seq, number, state, window_id FROM tickets WHERE hall_id = ?",
            (hall,),
        ).fetchall()
    finally:
        database.close()
    per_category: dict[int, list[int]] = {}
    for category_id, seq, _, _, _ in rows:
        per_category.setdefault(category_id, []).append(seq)
    for seqs in per_category.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), "a gap or duplicate in numbering"
    states = {number: (state, window) for _, _, number, state, window in rows}
    # Every acknowledged call stuck at its window (the call view carries no token, so the
    # database is read directly).
    for call in calls:
        state, window = states[call["number"]]
        assert state in ("called", "serving", "done") and window == call["at_window"]
    # Windows are as last committed: each current ticket is called at that window.
    snapshot = requests.get(f"{server.url}/api/v1/halls/{hall}/snapshot", timeout=5).json()
    for window in snapshot["windows"]:
        if window["current"]:
            assert states[window["current"]["number"]] == ("called", window["id"])
    # Numbering continues after the crash without a duplicate.
    counts = Counter(number[0] for number in states)
    fresh = server.issue("A")
    assert fresh["number"] == f"A{counts['A'] + 1:03d}"
