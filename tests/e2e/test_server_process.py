"""The server as a process: the README's `make run` path, and a restart that loses nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import requests

from .conftest import ROOT, Server, free_port


def test_make_run_serves_the_demo_hall_and_a_ticket_can_be_issued_and_called(tmp_path: Path):
    port = free_port()
    env = {
        **os.environ,
        "HALLQ_INSTANCE": str(tmp_path),
        "HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00",
    }
    log = tmp_path / "make-run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if f"kiosk:    {base}/kiosk/" in text:
                break
            assert process.poll() is None, text
            time.sleep(0.2)
        text = log.read_text()
        for page in ("kiosk:", "counter:", "display:", "admin:"):
            assert page in text
        kiosk_token = re.search(r"kiosk token: (\S+)", text).group(1)  # type: ignore[union-attr]
        staff, password = re.search(r"window 1: staff (\S+) password (\S+)", text).groups()  # type: ignore[union-attr]
        hall = requests.get(f"{base}/api/v1/halls", timeout=10).json()["halls"][0]["id"]
        issued = requests.post(
            f"{base}/api/v1/halls/{hall}/tickets",
            json={"category": "A"},
            headers={"Authorization": f"Bearer {kiosk_token}"},
            timeout=10,
        )
        assert issued.status_code == 201 and issued.json()["number"] == "A001"
        # Without HALLQ_PUBLIC_URL the QR codes send phones where this server listens, and the
        # server says where that is, warning that a loopback address is this machine only.
        assert issued.json()["phone_url"].startswith(f"{base}/t/")
        assert f"phones (ticket and booking QR codes) are sent to {base}" in text
        assert "phones cannot reach it" in text
        token = requests.post(
            f"{base}/api/v1/auth/login", json={"staff_no": staff, "password": password}, timeout=10
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        window = requests.get(f"{base}/api/v1/halls/{hall}/snapshot", timeout=10).json()
        window_id = next(w["id"] for w in window["windows"] if w["number"] == 1)
        assert requests.post(f"{base}/api/v1/windows/{window_id}/open", headers=auth, timeout=10).ok
        called = requests.post(
            f"{base}/api/v1/windows/{window_id}/call-next", headers=auth, timeout=10
        ).json()
        assert called["ticket"]["number"] == "A001"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)

    # A second `make run` on the same database prints the demo's credentials again.
    log = tmp_path / "make-run-again.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if "hallq serving at" in text:
                break
            assert process.poll() is None, text
            time.sleep(0.2)
        assert f"kiosk token: {kiosk_token}" in text
        assert f"window 1: staff {staff} password {password}" in text
        assert "village station" in text and "manager: staff" in text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_tickets_windows_and_posts_survive_a_server_restart(server: Server):
    first = server.issue("A")
    server.issue("A")
    server.window(1, "open")
    server.window(1, "call-next")
    server.window(4, "open")
    server.window(4, "pause", {"reason": "外出"})

    server.stop(signal.SIGKILL)  # not even a clean shutdown
    server.start()

    snapshot = requests.get(
        f"{server.url}/api/v1/halls/{server.demo['hall']}/snapshot", timeout=10
    ).json()
    windows = {w["number"]: w for w in snapshot["windows"]}
    assert windows[1]["status"] == "open" and windows[1]["current"]["number"] == "A001"
    assert windows[4]["status"] == "paused" and windows[4]["pause_reason"] == "外出"
    status = requests.get(f"{server.url}/api/v1/tickets/{first['token']}", timeout=10).json()
    assert status["state"] == "called"
    # Numbering continues after the restart; the A/B posts still let the clerk act.
    assert server.issue("A")["number"] == "A003"
    assert server.window(1, "call-next")["ticket"]["number"] == "A002"
