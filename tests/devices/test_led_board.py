"""LED window boards through real pty pairs: what the board receives, and how the link heals.

The master side of each pty is the board. A hung board is simulated with tcflow(TCOOFF) on
the slave, which stops the pty from taking output exactly as a wedged board with hardware
flow control does; closing the master is an unplugged adapter.
"""

from __future__ import annotations

import os
import queue
import select
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.errors import DeviceError
from devices.led_board import (
    FakeLedBoard,
    LedBoard,
    LedFrame,
    LedFrameProtocol,
    LedTextError,
    format_window_text,
)
from devices.serial_link import (
    Backoff,
    DeviceConfigError,
    SerialLink,
    SerialPortInUse,
    parse_serial_url,
)
from tests.devices.fake_serial import raw_pty

PROTOCOL = LedFrameProtocol()
SHOW = LedFrameProtocol.CMD_SHOW_TEXT
FAST = Backoff(initial=0.01, factor=2.0, maximum=0.05)
WAIT = 3.0  # generous upper bound for anything the owner thread does; tests rarely wait long


class PtyBoard:
    """The board end of a pty pair: reads and splits the frames the LedBoard sends."""

    def __init__(self) -> None:
        self.master, self.slave = raw_pty()
        self.path = os.ttyname(self.slave)
        self._pending = b""
        self.closed = False

    def url(self, address: int = 3, write_timeout: float = 0.2) -> str:
        return f"serial://{self.path}?baudrate=9600&address={address}&write_timeout={write_timeout}"

    def next_frame(self, timeout: float = WAIT) -> LedFrame:
        """Wait for the next whole frame and decode it."""
        deadline = time.monotonic() + timeout
        while True:
            frames, rest = PROTOCOL.split(self._pending)
            if frames:
                # split() returns every whole frame; keep the later ones for the next call.
                self._pending = b"".join(frames[1:]) + rest
                return PROTOCOL.decode(frames[0])
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no frame within {timeout}s; got {self._pending!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                self._pending += os.read(self.master, 4096)

    def assert_quiet(self, period: float = 0.15) -> None:
        """Nothing more arrives for a short period."""
        ready, _, _ = select.select([self.master], [], [], period)
        extra = os.read(self.master, 4096) if ready else b""
        assert self._pending + extra == b"", f"unexpected bytes: {self._pending + extra!r}"

    def hang(self) -> None:
        termios.tcflow(self.slave, termios.TCOOFF)

    def resume(self) -> None:
        termios.tcflow(self.slave, termios.TCOON)

    def unplug(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.master)
            os.close(self.slave)


class Health:
    """Collects on_health reports and lets a test wait for the next one of a kind."""

    def __init__(self) -> None:
        self.reports: queue.Queue[tuple[bool, str, str]] = queue.Queue()

    def __call__(self, connected: bool, message: str, message_en: str) -> None:
        self.reports.put((connected, message, message_en))

    def wait_for(self, connected: bool, timeout: float = WAIT) -> tuple[bool, str, str]:
        deadline = time.monotonic() + timeout
        while True:
            report = self.reports.get(timeout=max(0.0, deadline - time.monotonic()))
            if report[0] is connected:
                return report


@pytest.fixture
def pty_board() -> Iterator[Callable[[], PtyBoard]]:
    boards: list[PtyBoard] = []

    def make() -> PtyBoard:
        boards.append(PtyBoard())
        return boards[-1]

    yield make
    for board in boards:
        board.unplug()


@pytest.fixture
def led_board() -> Iterator[Callable[..., tuple[LedBoard, Health]]]:
    started: list[LedBoard] = []

    def make(url: str, refresh_interval: float | None = None) -> tuple[LedBoard, Health]:
        health = Health()
        board = LedBoard(url, on_health=health, backoff=FAST, refresh_interval=refresh_interval)
        started.append(board)
        health.wait_for(True)
        return board, health

    yield make
    for board in started:
        board.stop()


# --- the frame protocol -------------------------------------------------------------------


def test_a_text_frame_has_header_address_command_length_gb2312_xor_and_tail():
    frame = PROTOCOL.encode_text(3, "请A001到3号窗口")
    payload = "请A001到3号窗口".encode("gb2312")
    assert frame[:4] == bytes((0xA5, 3, SHOW, len(payload)))
    assert frame[4:-2] == payload
    checksum = 0
    for byte in frame[1:-2]:
        checksum ^= byte
    assert frame[-2:] == bytes((checksum, 0x5A))
    assert PROTOCOL.decode(frame) == (3, SHOW, "请A001到3号窗口")


def test_clear_and_brightness_frames_decode():
    assert PROTOCOL.decode(PROTOCOL.encode_clear(7)) == (7, LedFrameProtocol.CMD_CLEAR, "")
    frame = PROTOCOL.encode_brightness(7, 12)
    assert PROTOCOL.decode_raw(frame) == (7, LedFrameProtocol.CMD_SET_BRIGHTNESS, b"\x0c")
    with pytest.raises(ValueError):
        PROTOCOL.encode_brightness(7, 16)


def test_split_skips_noise_and_a_corrupted_frame_and_keeps_an_unfinished_one():
    good = PROTOCOL.encode_text(1, "暂停服务")
    corrupted = bytearray(PROTOCOL.encode_text(1, "欢迎您"))
    corrupted[-2] ^= 0xFF
    stream = b"\x00\xa5\x5a" + bytes(corrupted) + good + good[:5]
    frames, rest = PROTOCOL.split(stream)
    assert frames == [good]
    assert rest == good[:5]


def test_a_character_outside_gb2312_is_a_clear_bilingual_error():
    with pytest.raises(LedTextError) as caught:
        PROTOCOL.encode_text(1, "请A001到㐀窗口")
    assert "㐀" in caught.value.message and "U+3400" in caught.value.message_en
    # A board with a GB18030 font can show it.
    wide = LedFrameProtocol(encoding="gb18030")
    assert wide.decode(wide.encode_text(1, "㐀")).text == "㐀"


def test_text_longer_than_a_frame_holds_is_refused():
    with pytest.raises(LedTextError):
        PROTOCOL.encode_text(1, "号" * 200)


def test_window_text_for_call_pause_and_idle():
    assert format_window_text("A001", "3号窗口", None) == "请A001到3号窗口"
    assert format_window_text("A001", "3", None) == "请A001到3号窗口"
    assert format_window_text(None, "3号窗口", "休息") == "暂停服务 休息"
    assert format_window_text("A001", "3号窗口", "") == "暂停服务"
    assert format_window_text(None, "3号窗口", None) == "3号窗口 欢迎您"


# --- device URLs --------------------------------------------------------------------------


def test_a_device_url_names_port_and_settings():
    link = parse_serial_url("serial:///dev/ttyUSB0?baudrate=19200&address=3&parity=E")
    assert link == SerialLink(port="/dev/ttyUSB0", baudrate=19200, address=3, parity="E")
    assert parse_serial_url("/dev/pts/4").port == "/dev/pts/4"
    assert parse_serial_url("loop://?address=2") == SerialLink(port="loop://", address=2)
    assert parse_serial_url("serial://COM3").port == "COM3"
    assert parse_serial_url("socket://10.0.0.5:4001?write_timeout=0.5").write_timeout == 0.5


@pytest.mark.parametrize(
    "url",
    [
        "",
        "serial://",
        "serial://dev/ttyUSB0",
        "http://example.com/",
        "serial:///dev/ttyUSB0?baudrate=fast",
        "serial:///dev/ttyUSB0?address=256",
        "serial:///dev/ttyUSB0?speed=9600",
        "serial:///dev/ttyUSB0?address=1&address=2",
        "serial:///dev/ttyUSB0?write_timeout=0",
        "serial:///dev/ttyUSB0?parity=X",
        "socket://",
    ],
)
def test_a_bad_device_url_is_refused_in_chinese_and_english(url):
    with pytest.raises(DeviceError) as caught:
        parse_serial_url(url)
    assert isinstance(caught.value, DeviceConfigError)
    assert "串口" in caught.value.message
    assert "serial URL" in caught.value.message_en
    assert caught.value.message in str(caught.value)


# --- the board on a pty -------------------------------------------------------------------


def test_the_board_receives_exactly_the_call_pause_and_idle_frames(pty_board, led_board):
    device = pty_board()
    board, _ = led_board(device.url(address=3))

    assert board.show_window_state("A001", "3号窗口", None) == "请A001到3号窗口"
    assert device.next_frame() == (3, SHOW, "请A001到3号窗口")
    board.show_window_state(None, "3号窗口", "休息")
    assert device.next_frame() == (3, SHOW, "暂停服务 休息")
    board.show_window_state(None, "3号窗口", None)
    assert device.next_frame() == (3, SHOW, "3号窗口 欢迎您")
    board.clear()
    assert device.next_frame() == (3, LedFrameProtocol.CMD_CLEAR, "")
    device.assert_quiet()
    assert board.connected and board.last_error is None


def test_a_hung_board_never_blocks_the_caller_and_gets_the_current_state_back(pty_board, led_board):
    device = pty_board()
    board, health = led_board(device.url(address=3, write_timeout=0.2))

    device.hang()
    started = time.perf_counter()
    board.show_window_state("A001", "3号窗口", None)
    assert time.perf_counter() - started < 0.15  # well under the write timeout

    connected, message, message_en = health.wait_for(False)
    assert "LED条屏" in message and "超时" in message
    assert "timed out" in message_en
    assert not board.connected and board.last_error

    # The clerk goes on working while the board is hung; none of it may block.
    started = time.perf_counter()
    for number in ("A002", "A003", "A004"):
        board.show_window_state(number, "3号窗口", None)
    assert time.perf_counter() - started < 0.15  # well under the write timeout

    device.resume()
    health.wait_for(True)
    # Only the current state: the calls queued while it was hung are history.
    assert device.next_frame() == (3, SHOW, "请A004到3号窗口")
    device.assert_quiet()


def test_an_unplugged_board_raises_an_alarm_and_a_replugged_one_gets_the_state(
    pty_board, led_board
):
    device = pty_board()
    replugged = pty_board()  # created first so it cannot reuse the unplugged one's number
    board, health = led_board(device.url(address=3))
    board.show_window_state("B007", "5号窗口", None)
    assert device.next_frame() == (3, SHOW, "请B007到5号窗口")

    device.unplug()
    started = time.perf_counter()
    board.show_window_state(None, "5号窗口", "外出")
    assert time.perf_counter() - started < 0.15  # well under the write timeout
    _, message, message_en = health.wait_for(False)
    assert "断开" in message or "拔出" in message
    assert "down" in message_en

    board.retarget(replugged.url(address=3))
    health.wait_for(True)
    assert replugged.next_frame() == (3, SHOW, "暂停服务 外出")
    replugged.assert_quiet()


def test_every_board_on_a_shared_bus_gets_its_brightness_and_text_after_a_reconnect(
    pty_board, led_board
):
    device = pty_board()
    board, health = led_board(device.url(address=3))
    board.set_brightness(9)
    board.show_window_state("A010", "3", None)
    board.show_window_state(None, "4号窗口", None, address=4)
    assert device.next_frame().command == LedFrameProtocol.CMD_SET_BRIGHTNESS
    assert device.next_frame() == (3, SHOW, "请A010到3号窗口")
    assert device.next_frame() == (4, SHOW, "4号窗口 欢迎您")

    # Reopening the same port is what the owner does after any error.
    board.retarget(device.url(address=3))
    resent = [device.next_frame() for _ in range(3)]
    assert resent[0].command == LedFrameProtocol.CMD_SET_BRIGHTNESS
    assert resent[1:] == [(3, SHOW, "请A010到3号窗口"), (4, SHOW, "4号窗口 欢迎您")]
    assert board.current_text(4) == "4号窗口 欢迎您"


def test_a_power_cycled_board_gets_its_text_again_from_the_periodic_refresh(
    pty_board, led_board, monkeypatch
):
    monkeypatch.setattr(LedBoard, "idle_tick", 0.02)
    device = pty_board()
    board, _ = led_board(device.url(address=3), refresh_interval=0.05)
    board.show_window_state("A001", "3号窗口", None)
    assert device.next_frame() == (3, SHOW, "请A001到3号窗口")
    # No serial error tells hallq the board lost power; the resend brings the text back.
    assert device.next_frame(timeout=1.0) == (3, SHOW, "请A001到3号窗口")


def test_unencodable_text_is_refused_at_once_and_keeps_the_shown_state(pty_board, led_board):
    device = pty_board()
    board, _ = led_board(device.url(address=3))
    board.show_window_state("A001", "3号窗口", None)
    assert device.next_frame().text == "请A001到3号窗口"
    with pytest.raises(LedTextError):
        board.show_text("欢迎 😀")
    assert board.current_text() == "请A001到3号窗口"
    device.assert_quiet()


def test_a_board_that_is_never_there_reports_down_and_stop_returns(tmp_path):
    health = Health()
    board = LedBoard(f"serial://{tmp_path}/ttyUSB9", on_health=health, backoff=FAST)
    try:
        _, message, _ = health.wait_for(False)
        assert "找不到串口" in message
        board.show_text("欢迎您")  # still never blocks nor raises
    finally:
        started = time.perf_counter()
        board.stop()
        assert time.perf_counter() - started < 1.0


def test_a_port_has_one_owner(pty_board, led_board):
    device = pty_board()
    led_board(device.url())
    with pytest.raises(SerialPortInUse):
        LedBoard(device.url(), backoff=FAST)


def test_the_loopback_url_works_for_a_board():
    health = Health()
    board = LedBoard("loop://?address=2", on_health=health, backoff=FAST, refresh_interval=None)
    try:
        health.wait_for(True)
        board.show_text("欢迎您")
        assert board.current_text() == "欢迎您"
    finally:
        board.stop()


def test_the_fake_board_records_what_would_be_shown():
    fake = FakeLedBoard(address=3)
    fake.show_window_state("A001", "3号窗口", None)
    fake.show_window_state(None, "3号窗口", "休息")
    assert fake.current_text() == "暂停服务 休息"
    assert fake.history == [(3, "请A001到3号窗口"), (3, "暂停服务 休息")]
    with pytest.raises(LedTextError):
        fake.show_text("😀")
    # the fake is the real board with memory for a port: the very frames the board would get
    assert fake.frames == [
        PROTOCOL.encode_text(3, "请A001到3号窗口"),
        PROTOCOL.encode_text(3, "暂停服务 休息"),
    ]
    fake.set_brightness(9)
    fake.clear()
    assert fake.brightness == {3: 9} and fake.current_text() == ""
    assert isinstance(fake, LedBoard), "a fake that inherits the real encoding cannot drift"


GEVENT_HUNG_BOARD = """
from gevent import monkey

monkey.patch_all()

import os, termios, time
import gevent
from devices.led_board import LedBoard
from devices.serial_link import Backoff
from tests.devices.fake_serial import raw_pty

master, slave = raw_pty()
reports = []
board = LedBoard(
    f"serial://{os.ttyname(slave)}?address=3&write_timeout=0.3",
    on_health=lambda connected, zh, en: reports.append(connected),
    backoff=Backoff(0.01, 2.0, 0.05),
    refresh_interval=None,
)
deadline = time.monotonic() + 3
while not board.connected and time.monotonic() < deadline:
    gevent.sleep(0.01)
termios.tcflow(slave, termios.TCOOFF)
board.show_text("请A001到3号窗口")
worst, last = 0.0, time.monotonic()
end = last + 1.0
while time.monotonic() < end:
    gevent.sleep(0.01)
    now = time.monotonic()
    worst, last = max(worst, now - last), now
board.stop()
print(worst, reports)
"""


def test_under_gevent_a_hung_board_does_not_stall_other_greenlets():
    # hallq serves on gevent: one spinning write would freeze every clerk's request.
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", GEVENT_HUNG_BOARD],
        capture_output=True,
        text=True,
        timeout=20,
        env=env,
        check=True,
    )
    worst, reports = result.stdout.split(" ", 1)
    assert reports.strip() == "[True, False]"
    assert float(worst) < 0.1, f"the hub stalled for {worst}s while the board was hung"
