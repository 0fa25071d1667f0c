"""The device workers through real pty pairs: a clerk's calls, pauses and resumes made through
the API reach the LED board bound to the window; an unplugged board neither blocks nor breaks
calling, raises an alarm and gets the current state when it is back; keypad keys become ratings.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select as sql_select

from devices.evaluator import EvaluatorFrameProtocol
from devices.led_board import LedFrameProtocol
from devices.serial_link import Backoff
from queue_server.services import alarms
from queue_server.services.auth import register_device
from queue_server.services.boards import DeviceWorkers, board_text_args
from queue_server.store import tables
from tests.devices.fake_serial import PtyDevice

FAST = Backoff(initial=0.01, factor=2.0, maximum=0.05)
LED = LedFrameProtocol()
WAIT = 3.0


class PtyEnd(PtyDevice):
    """A board or keypad end of a pty pair, reached through a symlink like
    /dev/serial/by-id/…, that decodes the board texts it receives."""

    def __init__(self, link: Path) -> None:
        self.pending = b""
        super().__init__(link)

    def texts_until(self, wanted: str, timeout: float = WAIT) -> list[str]:
        """Board texts received until `wanted` shows (inclusive)."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            frames, self.pending = LED.split(self.pending)
            for frame in frames:
                seen.append(LED.decode(frame).text)
            if wanted in seen:
                return seen
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"board never showed {wanted!r}; it showed {seen!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.pending += os.read(self.master, 4096)
                except OSError:
                    time.sleep(0.01)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)


@pytest.fixture
def ports(tmp_path: Path) -> Iterator[Any]:
    made: list[PtyEnd] = []

    def make(name: str = "board") -> PtyEnd:
        made.append(PtyEnd(tmp_path / name))
        return made[-1]

    yield make
    for end in made:
        end.unplug()


@pytest.fixture
def workers(deps: Any) -> Iterator[Any]:
    started: list[DeviceWorkers] = []

    def start() -> DeviceWorkers:
        started.append(DeviceWorkers(deps, backoff=FAST).start())
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def distinct(texts: list[str]) -> list[str]:
    """The texts without immediate repeats (a reconnect may resend the shown state)."""
    out: list[str] = []
    for text in texts:
        if not out or out[-1] != text:
            out.append(text)
    return out


def bind_board(deps: Any, demo: dict[str, Any], window_number: int, url: str) -> int:
    window = next(c["window"] for c in demo["clerks"] if c["window_number"] == window_number)
    device_id, _ = register_device(
        deps, demo["hall"], "board", f"{window_number}号窗口条屏", {"url": url}, window_id=window
    )
    return device_id


def test_the_board_follows_calls_pauses_and_resumes_made_through_the_api(
    api, deps, demo, ports, workers
):
    board = ports()
    bind_board(deps, demo, 3, f"serial://{board.link}?baudrate=9600&address=3")
    workers()
    assert board.texts_until("暂停服务") == ["暂停服务"]  # closed: nobody serves there

    api.window(3, "open")
    assert distinct(board.texts_until("3号窗口 欢迎您"))[-1] == "3号窗口 欢迎您"
    ticket = api.issue("A")
    api.window(3, "call-next")
    assert distinct(board.texts_until(f"请{ticket['number']}到3号窗口")) == [
        f"请{ticket['number']}到3号窗口"
    ]
    api.window(3, "pause", {"reason": "会议"})
    assert distinct(board.texts_until("暂停服务 会议")) == ["暂停服务 会议"]
    api.window(3, "resume")
    assert distinct(board.texts_until(f"请{ticket['number']}到3号窗口")) == [
        f"请{ticket['number']}到3号窗口"
    ]
    api.window(3, "start")
    api.window(3, "finish")
    assert board.texts_until("3号窗口 欢迎您")[-1] == "3号窗口 欢迎您"


def test_a_board_on_another_window_is_left_alone(api, deps, demo, ports, workers):
    board = ports()
    bind_board(deps, demo, 4, f"serial://{board.link}?address=4")
    workers()
    board.texts_until("暂停服务")
    api.window(3, "open")
    api.issue("A")
    api.window(3, "call-next")
    ready, _, _ = select.select([board.master], [], [], 0.3)
    assert not ready, "window 3's call reached window 4's board"


def wait_for(check: Any, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_an_unplugged_board_never_blocks_calling_and_gets_the_state_when_back(
    api, deps, demo, ports, workers
):
    board = ports()
    device_id = bind_board(deps, demo, 3, f"serial://{board.link}?address=3&write_timeout=0.2")
    workers()
    board.texts_until("暂停服务")
    api.window(3, "open")
    board.texts_until("3号窗口 欢迎您")

    board.unplug()
    first = api.issue("A")
    started = time.perf_counter()
    called = api.window(3, "call-next")
    elapsed = time.perf_counter() - started
    assert called["ticket"]["number"] == first["number"]
    assert elapsed < 0.5, f"calling took {elapsed:.2f}s with the board unplugged"
    alarm = wait_for(
        lambda: [a for a in alarms.open_alarms(deps, demo["hall"]) if a["device_id"] == device_id]
    )[0]
    assert alarm["kind"] == "board_offline" and "3号窗口条屏" in alarm["message"]

    # Calls go on while the board is away; when it is back it shows the current state only.
    api.window(3, "start")
    second = api.issue("A")
    api.window(3, "call-next")
    back = ports()  # the same by-id path, now leading to the replugged adapter
    assert back.link == board.link
    texts = back.texts_until(f"请{second['number']}到3号窗口")
    assert texts[0] == f"请{second['number']}到3号窗口"
    wait_for(
        lambda: (
            not [a for a in alarms.open_alarms(deps, demo["hall"]) if a["device_id"] == device_id]
        )
    )


def test_evaluator_keys_become_stored_ratings(api, client, deps, demo, ports, workers):
    keypad = ports("keypad")
    window = api.clerk(1)["window"]
    register_device(
        deps,
        demo["hall"],
        "evaluator",
        "1号窗口评价器",
        {"url": f"serial://{keypad.link}?address=7&read_timeout=0.05"},
        window_id=window,
    )
    worker = workers()
    wait_for(lambda: all(k.connected for k in worker._keypads.values()))
    frame = EvaluatorFrameProtocol()

    keypad.write(frame.encode_key(7, 2))  # nothing finished yet: no rating, no harm
    time.sleep(0.2)

    ticket = api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    api.window(1, "finish")
    keypad.write(b"\x00noise" + frame.encode_key(7, 2))

    def rows() -> list[Any]:
        with deps.db.reading() as session:
            return list(session.execute(sql_select(tables.evaluations)).all())

    (row,) = wait_for(rows)
    assert (row.level, row.score, row.source, row.window_id) == ("satisfied", 75, "keypad", window)
    status = client.get(f"/api/v1/tickets/{ticket['token']}/evaluation").get_json()
    assert status["evaluation"]["level_name"] == "满意"
    assert status["can_evaluate"] is False

    # one rating per visit: a second press is ignored; the next visit takes a low rating
    keypad.write(frame.encode_key(7, 1))
    api.issue("A")
    api.window(1, "call-next")
    api.window(1, "finish")
    keypad.write(frame.encode_key(7, 5))
    wait_for(lambda: len(rows()) == 2)
    time.sleep(0.1)
    levels = sorted(r.level for r in rows())
    assert levels == ["satisfied", "very_dissatisfied"]


def test_workers_start_only_where_asked(deps, tmp_path, app):
    from tests.conftest import make_app

    assert "hallq_devices" not in app.extensions
    asked = make_app(deps, tmp_path, DEVICE_WORKERS=True, PRINTING=False)
    assert isinstance(asked.extensions["hallq_devices"], DeviceWorkers)
    asked.extensions["hallq_devices"].stop()


def test_board_text_for_each_window_state():
    view = {"number": 3, "status": "open", "pause_reason": "", "current": {"number": "A001"}}
    assert board_text_args(view) == ("A001", "3", None)
    assert board_text_args({**view, "current": None}) == (None, "3", None)
    assert board_text_args({**view, "status": "paused", "pause_reason": "外出"}) == (
        None,
        "3",
        "外出",
    )
    assert board_text_args({**view, "status": "closed"}) == (None, "3", "")


def test_a_board_added_in_the_settings_is_picked_up_on_reload(api, deps, demo, ports, workers):
    worker = workers()
    api.window(2, "open")
    board = ports()
    bind_board(deps, demo, 2, f"serial://{board.link}?address=2")
    worker.reload()
    assert board.texts_until("2号窗口 欢迎您") == ["2号窗口 欢迎您"]
    worker.reload()  # nothing changed: the board is left alone
    ready, _, _ = select.select([board.master], [], [], 0.2)
    assert not ready
