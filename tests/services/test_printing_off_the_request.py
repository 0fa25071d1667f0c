"""Nothing a citizen's request does waits for a printer: a kiosk whose printer is stuck (and
whose settings change meanwhile, so that its worker must be stopped) still issues at once,
and the printed ticket says what the kiosk's screen said when it was issued."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import update

from devices.printer import DummyPrinterLink
from queue_server.services import issuing
from queue_server.services.context import Actor
from queue_server.services.printing import PrintDispatcher
from queue_server.store import tables


class StuckPrinter(DummyPrinterLink):
    """A printer that takes bytes only once `freed` is set (a jammed USB or network printer)."""

    def __init__(self, url: str = "dummy://", **_: Any) -> None:
        super().__init__(url)
        self.entered = threading.Event()
        self.freed = threading.Event()

    def _write(self, data: bytes) -> None:
        self.entered.set()
        self.freed.wait(10)
        super()._write(data)


def kiosk(demo: dict[str, Any]) -> Actor:
    return Actor("device", demo["kiosk_id"], demo["hall"], device_kind="kiosk")


def set_paper(deps: Any, device_id: int, paper_mm: int) -> None:
    with deps.db.transaction() as session:
        session.execute(
            update(tables.devices)
            .where(tables.devices.c.id == device_id)
            .values(config={"printer": "dummy://", "paper_mm": paper_mm})
        )


@pytest.mark.solo
def test_a_stuck_printer_never_holds_up_issuing(deps, demo):
    links: list[StuckPrinter] = []

    def open_link(url: str, **options: Any) -> StuckPrinter:
        link = StuckPrinter(url)
        if links:
            link.freed.set()  # only the first printer jams
        links.append(link)
        return link

    printing = PrintDispatcher(deps, base_delay=0.01, idle_seconds=5, open_link=open_link)
    deps.bus.subscribe(printing.on_messages)
    try:
        issuing.issue_ticket(deps, kiosk(demo), demo["hall"], "A")
        deadline = time.monotonic() + 5
        while not links and time.monotonic() < deadline:
            time.sleep(0.01)
        assert links and links[0].entered.wait(5), "the first ticket is being sent"
        # the manager switches the kiosk to 58 mm paper: the next ticket must stop the stuck
        # worker (which waits for the printer) before a new one prints
        set_paper(deps, demo["kiosk_id"], 58)
        issuing.issue_ticket(deps, kiosk(demo), demo["hall"], "A")
        time.sleep(0.2)  # the dispatcher is now stopping the stuck worker
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            issuing.issue_ticket(deps, kiosk(demo), demo["hall"], "B")
            timings.append(time.perf_counter() - started)
        assert max(timings) < 0.5, timings
    finally:
        for link in links:
            link.freed.set()
        printing.close()


def test_the_ticket_prints_the_place_the_kiosk_showed(deps, demo):
    printing = PrintDispatcher(deps, base_delay=0.01, idle_seconds=0.05)
    deps.bus.subscribe(printing.on_messages)
    try:
        shown = [issuing.issue_ticket(deps, kiosk(demo), demo["hall"], "A") for _ in range(3)]
        assert printing.wait_idle(5)
        data = printing.link_for(demo["kiosk_id"]).received  # type: ignore[union-attr]
        for view in shown:
            at = data.index(view["number"].encode())
            ahead = f"前面等候 Ahead: {view['position']} 人".encode("gb18030")
            assert ahead in data[at : at + 400], view
            assert view["phone_url"].encode() in data
    finally:
        printing.close()
