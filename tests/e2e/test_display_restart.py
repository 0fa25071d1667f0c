"""Screens survive a server restart: they mark 连接中断 while it is down, reconnect by
themselves and show the right state (including changes made while they were cut off)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from queue_server.bootstrap import bootstrap
from queue_server.services import auth
from queue_server.services import queue as q
from queue_server.services.clock import FakeClock
from queue_server.store import tables

from .conftest import ARTIFACTS, Server, screenshot, sign_in_counter

pytestmark = pytest.mark.browser
ENV = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}


@pytest.fixture
def hall(tmp_path: Any) -> Iterator[Server]:
    srv = Server(tmp_path, env=ENV)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def live(page: Any, up: bool, timeout: float) -> None:
    page.wait_for_function(
        "up => document.documentElement.dataset.live === (up ? 'up' : 'down')",
        arg=up,
        timeout=timeout * 1000,
    )


def test_every_screen_is_right_again_within_five_seconds_of_a_restart(hall, new_page):
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 1)
    first = hall.issue("A")
    second = hall.issue("A")
    hall.window(1, "open")
    hall.window(1, "call-next")

    screen = new_page(1920, 1080)
    screen.goto(f"{hall.url}/display/hall/{hall.demo['hall']}?voice=off")
    sign = new_page(1024, 600)
    sign.goto(f"{hall.url}/display/window/{clerk['window']}")
    panel = sign_in_counter(new_page(1280, 800), hall, clerk, clerk["window"])
    for page in (screen, sign, panel):
        live(page, True, 10)
    sign.wait_for_function(
        "t => document.querySelector('#wd-now-number').textContent === t", arg=first["number"]
    )

    hall.stop()
    for page in (screen, sign, panel):
        live(page, False, 5)
        assert page.is_visible("#conn") and "连接中断" in page.inner_text("#conn")
    screenshot(screen, "lobby-offline")

    # While the screens are cut off the clerk's colleague moves on (same database).
    # A few minutes on: each `hallq serve` start restarts its shifted clock at 09:30.
    later = FakeClock(datetime(2026, 11, 26, 9, 35, tzinfo=ZoneInfo("Asia/Shanghai")))
    deps = bootstrap({"DATABASE_URL": f"sqlite:///{hall.instance / 'hallq.db'}", "CLOCK": later})
    with deps.db.reading() as session:
        clerk_id = session.scalar(
            select(tables.clerks.c.id).where(tables.clerks.c.staff_no == clerk["staff_no"])
        )
    actor = auth.actor_for_clerk(deps, clerk_id)
    assert actor is not None
    q.start(deps, actor, clerk["window"])
    q.call_next(deps, actor, clerk["window"])
    q.pause_window(deps, actor, clerk["window"], "休息")
    deps.db.dispose()

    hall.start()
    restarted = time.perf_counter()
    for page in (screen, sign, panel):
        live(page, True, 5)
    sign.wait_for_function(
        "() => document.querySelector('#wd-paused-reason').textContent === '休息'", timeout=5000
    )
    # the window paused: its call is no longer shown as 正在呼叫, only among the recent calls
    screen.wait_for_function(
        "t => document.querySelector('#latest').hidden &&"
        " document.querySelector('#recent-body').textContent.includes(t)",
        arg=second["number"],
        timeout=5000,
    )
    panel.wait_for_function(
        "t => document.querySelector('#cur-number').textContent === t",
        arg=second["number"],
        timeout=5000,
    )
    panel.wait_for_selector("#state-banner:not([hidden])", timeout=5000)
    elapsed = time.perf_counter() - restarted
    assert elapsed < 5
    for page in (screen, sign, panel):
        assert page.is_hidden("#conn")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS.parent / "measurements.txt").open("a") as out:
        out.write(f"screens right again after restart: {elapsed * 1000:.0f} ms\n")

    # and events flow again
    hall.window(1, "resume")
    sign.wait_for_function(
        "t => document.querySelector('#wd-now-number').textContent === t", arg=second["number"]
    )
