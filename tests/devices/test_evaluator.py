"""Evaluator keypads through real pty pairs: key presses become 好差评 ratings, noise never does.

The master side of each pty is the keypad: the test writes what the keypad would send.
"""

from __future__ import annotations

import os
import queue
import random
import time
from collections.abc import Callable, Iterator

import pytest

from devices.evaluator import (
    EVALUATION_LEVELS,
    AsciiDigitProtocol,
    EvaluatorFrameProtocol,
    EvaluatorKeypad,
    EvaluatorProtocol,
    FakeEvaluatorKeypad,
    KeyPress,
    key_for_level,
    level_for_key,
)
from devices.serial_link import Backoff
from tests.devices.fake_serial import raw_pty

PROTOCOL = EvaluatorFrameProtocol()
FAST = Backoff(initial=0.01, factor=2.0, maximum=0.05)
WAIT = 3.0  # generous upper bound for anything the owner thread does; tests rarely wait long


class Recorder:
    """Collects ratings and health reports from the owner thread."""

    def __init__(self) -> None:
        self.ratings: queue.Queue[tuple[int, str]] = queue.Queue()
        self.health: queue.Queue[tuple[bool, str, str]] = queue.Queue()
        self.failures_left = 0
        self.calls: list[str] = []

    def on_rating(self, address: int, level_code: str) -> None:
        self.calls.append(level_code)
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("the rating could not be saved")
        self.ratings.put((address, level_code))

    def on_health(self, connected: bool, message: str, message_en: str) -> None:
        self.health.put((connected, message, message_en))

    def next_rating(self, timeout: float = WAIT) -> tuple[int, str]:
        return self.ratings.get(timeout=timeout)

    def assert_no_rating(self, period: float = 0.15) -> None:
        with pytest.raises(queue.Empty):
            self.ratings.get(timeout=period)

    def wait_health(self, connected: bool, timeout: float = WAIT) -> tuple[bool, str, str]:
        deadline = time.monotonic() + timeout
        while True:
            report = self.health.get(timeout=max(0.0, deadline - time.monotonic()))
            if report[0] is connected:
                return report


class PtyKeypad:
    """The keypad end of a pty pair."""

    def __init__(self) -> None:
        self.master, self.slave = raw_pty()
        self.path = os.ttyname(self.slave)
        self.closed = False

    def url(self, address: int = 3) -> str:
        # A short read timeout keeps stop() and the quiet-line reset quick in tests.
        return f"serial://{self.path}?address={address}&read_timeout=0.05"

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.master)
            os.close(self.slave)


@pytest.fixture
def keypad() -> Iterator[Callable[..., tuple[PtyKeypad, Recorder, EvaluatorKeypad]]]:
    made: list[tuple[PtyKeypad, EvaluatorKeypad]] = []

    def make(
        address: int = 3, protocol: EvaluatorProtocol | None = None
    ) -> tuple[PtyKeypad, Recorder, EvaluatorKeypad]:
        device, recorder = PtyKeypad(), Recorder()
        owner = EvaluatorKeypad(
            device.url(address),
            recorder.on_rating,
            protocol,
            on_health=recorder.on_health,
            backoff=FAST,
        )
        made.append((device, owner))
        recorder.wait_health(True)  # the port is configured before the keypad "types"
        return device, recorder, owner

    yield make
    for device, owner in made:
        owner.stop()
        device.unplug()


# --- levels and the frame protocol --------------------------------------------------------


def test_the_five_levels_of_haochaping_in_key_order():
    assert [(level.code, level.zh, level.score) for level in EVALUATION_LEVELS] == [
        ("very_satisfied", "非常满意", 100),
        ("satisfied", "满意", 75),
        ("basic", "基本满意", 50),
        ("dissatisfied", "不满意", 25),
        ("very_dissatisfied", "非常不满意", 0),
    ]
    assert EVALUATION_LEVELS[0] == ("very_satisfied", "非常满意", "very satisfied", 100)
    assert level_for_key(3).code == "basic"
    assert key_for_level("dissatisfied") == 4
    with pytest.raises(ValueError):
        level_for_key(6)


def test_a_key_frame_is_header_address_key_xor_tail():
    assert PROTOCOL.encode_key(3, 2) == bytes((0xAA, 3, 2, 3 ^ 2, 0x55))
    assert PROTOCOL.decode(PROTOCOL.encode_key(3, 2)) == KeyPress(3, 2)


def test_parse_resynchronises_on_the_next_header_after_noise():
    good = PROTOCOL.encode_key(7, 5)
    bad_checksum = bytes((0xAA, 7, 5, 0x00, 0x55))
    key_out_of_range = bytes((0xAA, 7, 6, 7 ^ 6, 0x55))
    stream = b"\x55\xaa\xaa\x07" + bad_checksum + key_out_of_range + good + good[:3]
    presses, rest = PROTOCOL.parse(stream, address=0)
    assert presses == [KeyPress(7, 5)]
    assert rest == good[:3]
    # Bytes arriving one at a time decode the same.
    buffer, found = b"", []
    for byte in stream:
        presses, buffer = PROTOCOL.parse(buffer + bytes((byte,)), address=0)
        found += presses
    assert found == [KeyPress(7, 5)]


# --- the keypad on a pty ------------------------------------------------------------------


def test_each_key_becomes_a_rating_with_its_level(keypad):
    device, recorder, owner = keypad(address=3)
    for key in range(1, 6):
        device.send(PROTOCOL.encode_key(3, key))
        assert recorder.next_rating() == (3, EVALUATION_LEVELS[key - 1].code)
    # Two presses in one burst, and a frame split across two writes.
    frame = PROTOCOL.encode_key(4, 1)
    device.send(PROTOCOL.encode_key(3, 2) + frame[:2])
    device.send(frame[2:])
    assert recorder.next_rating() == (3, "satisfied")
    assert recorder.next_rating() == (4, "very_satisfied")
    recorder.assert_no_rating()
    assert owner.connected


def test_random_noise_gives_no_rating_and_a_press_after_it_still_counts(keypad):
    device, recorder, owner = keypad(address=3)
    rng = random.Random(20241126)
    # Noise rich in header and tail bytes exercises resynchronisation, not just skipping.
    noise = bytes(rng.choice((0xAA, 0x55, 0x03, rng.randrange(256))) for _ in range(4000))
    assert PROTOCOL.parse(noise, address=3)[0] == []  # the seed holds no valid frame

    device.send(noise + PROTOCOL.encode_key(3, 4))
    assert recorder.next_rating() == (3, "dissatisfied")
    recorder.assert_no_rating()
    assert owner.connected and owner.last_error is None


def test_half_a_frame_then_silence_is_forgotten(keypad):
    device, recorder, _ = keypad(address=3)
    device.send(PROTOCOL.encode_key(3, 1)[:3])
    time.sleep(0.2)  # longer than the 0.05 s read timeout: the line went quiet
    # The missing tail arrives late, glued to a real press; only the real press counts.
    device.send(PROTOCOL.encode_key(3, 1)[3:] + PROTOCOL.encode_key(3, 5))
    assert recorder.next_rating() == (3, "very_dissatisfied")
    recorder.assert_no_rating()


def test_ascii_digit_keypads_report_at_the_url_address(keypad):
    device, recorder, _ = keypad(address=9, protocol=AsciiDigitProtocol())
    device.send(b"\r\n3x9\x005")
    assert recorder.next_rating() == (9, "basic")
    assert recorder.next_rating() == (9, "very_dissatisfied")
    recorder.assert_no_rating()


def test_a_failing_rating_handler_does_not_drop_the_keypad(keypad, caplog):
    device, recorder, owner = keypad(address=3)
    recorder.failures_left = 1
    device.send(PROTOCOL.encode_key(3, 1))
    device.send(PROTOCOL.encode_key(3, 2))
    assert recorder.next_rating() == (3, "satisfied")
    assert recorder.calls == ["very_satisfied", "satisfied"]
    assert "on_rating failed" in caplog.text
    assert owner.connected


def test_an_unplugged_keypad_raises_an_alarm(keypad):
    device, recorder, owner = keypad(address=3)
    device.unplug()
    _, message, message_en = recorder.wait_health(False)
    assert "评价器" in message and "evaluator keypad" in message_en
    assert not owner.connected


def test_the_fake_keypad_reports_presses():
    recorder = Recorder()
    fake = FakeEvaluatorKeypad(recorder.on_rating, address=2)
    fake.press(1)
    fake.press("basic", address=5)
    assert recorder.next_rating(0) == (2, "very_satisfied")
    assert recorder.next_rating(0) == (5, "basic")
