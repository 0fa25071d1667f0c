"""Screens that heal themselves: a lobby and a window display that missed events (here: a
change made by another process whose events never reached them, as when Redis blips) are right
again at their next version check, without a reload and without a disconnect."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.bootstrap import bootstrap
from queue_server.services import auth
from queue_server.services import queue as q
from queue_server.store import tables

from .conftest import Server, screenshot

pytestmark = pytest.mark.browser
CHECK_SECONDS = 2
ENV = {
    "HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00",
    "HALLQ_DEVICE_WORKERS": "0",
    "HALLQ_SCREEN_CHECK_SECONDS": str(CHECK_SECONDS),
}


@pytest.fixture
def hall(tmp_path: Any) -> Iterator[Server]:
    srv = Server(tmp_path, env=ENV)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def test_screens_that_missed_a_call_show_it_at_their_next_check(hall, new_page):
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 1)
    hall.window(1, "open")
    first = hall.issue("A")
    hall.window(1, "call-next")
    missed = hall.issue("A")

    lobby = new_page(1920, 1080)
    lobby.goto(f"{hall.url}/display/hall/{hall.demo['hall']}?voice=off")
    sign = new_page(1024, 600)
    sign.goto(f"{hall.url}/display/window/{clerk['window']}")
    for page, selector in ((lobby, "#latest-number"), (sign, "#wd-now-number")):
        page.wait_for_function(
            "([s, t]) => document.querySelector(s).textContent === t",
            arg=[selector, first["number"]],
            timeout=10000,
        )

    # Another process calls the next ticket; its events never reach these screens.
    deps = bootstrap(
        {
            "DATABASE_URL": f"sqlite:///{hall.instance / 'hallq.db'}",
            "CLOCK_START": hall.env["HALLQ_CLOCK_START"],
            "CLOCK_ANCHOR": hall.env["HALLQ_CLOCK_ANCHOR"],
        }
    )
    try:
        with deps.db.reading() as session:
            clerk_id = session.scalar(
                select(tables.clerks.c.id).where(tables.clerks.c.staff_no == clerk["staff_no"])
            )
        actor = auth.actor_for_clerk(deps, int(clerk_id))
        assert actor is not None
        # a tap of its own (a new key): the window's ticket called a moment ago is finished
        q.call_next(deps, actor, clerk["window"], idempotency_key=uuid.uuid4().hex)
    finally:
        deps.db.dispose()
    called = time.monotonic()

    # Within one check period (and its random first delay) both show it, still connected.
    for page, selector in ((lobby, "#latest-number"), (sign, "#wd-now-number")):
        page.wait_for_function(
            "([s, t]) => document.querySelector(s).textContent === t",
            arg=[selector, missed["number"]],
            timeout=(2 * CHECK_SECONDS + 3) * 1000,
        )
        assert page.evaluate("document.documentElement.dataset.live") == "up"
        assert int(page.evaluate("document.documentElement.dataset.healed || '0'")) >= 1
    healed = time.monotonic() - called
    assert healed < 2 * CHECK_SECONDS + 3
    screenshot(lobby, "lobby-healed")
