"""Evaluator keypads (评价器) at counter windows: each key press is one 好差评 rating.

Default frame (`EvaluatorFrameProtocol`), five bytes per key press::

    0xAA | ADDR | KEY | XOR | 0x55

    ADDR   keypad address 0..255 (several keypads can share a RS-485 bus)
    KEY    1 非常满意, 2 满意, 3 基本满意, 4 不满意, 5 非常不满意
    XOR    ADDR ^ KEY
    0x55   tail

The reader resynchronises on the next 0xAA after any byte that does not fit, and drops an
unfinished frame when the line goes quiet for a read timeout, so line noise and a keypad
reset mid-frame never produce a rating. Simpler keypads send one ASCII digit '1'..'5' per
press: pass `AsciiDigitProtocol()`; its presses carry the address from the device URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple, Protocol

from devices.serial_link import Backoff, HealthCallback, SerialLink, SerialOwner
from queue_server.domain.evaluation import EVALUATION_LEVELS, EvaluationLevel

__all__ = [
    "EVALUATION_LEVELS",
    "AsciiDigitProtocol",
    "EvaluationLevel",
    "EvaluatorFrameProtocol",
    "EvaluatorKeypad",
    "EvaluatorProtocol",
    "FakeEvaluatorKeypad",
    "KeyPress",
    "key_for_level",
    "level_for_key",
]

logger = logging.getLogger(__name__)

RatingCallback = Callable[[int, str], None]


def level_for_key(key: int) -> EvaluationLevel:
    """The evaluation level of keypad key 1..5."""
    if not 1 <= key <= len(EVALUATION_LEVELS):
        raise ValueError(f"评价键应为 1..5 / evaluator key must be 1..5, got {key}")
    return EVALUATION_LEVELS[key - 1]


def key_for_level(code: str) -> int:
    """The keypad key 1..5 of a level code such as 'satisfied'."""
    for key, level in enumerate(EVALUATION_LEVELS, start=1):
        if level.code == code:
            return key
    raise ValueError(f"未知的评价等级 / unknown evaluation level {code!r}")


class KeyPress(NamedTuple):
    """A key pressed on the keypad at `address`."""

    address: int
    key: int


class EvaluatorProtocol(Protocol):
    """What `EvaluatorKeypad` needs from a vendor's framing."""

    def parse(self, buffer: bytes, address: int) -> tuple[list[KeyPress], bytes]:
        """Key presses found in `buffer` and the bytes to keep for the next read."""
        ...

    def encode_key(self, address: int, key: int) -> bytes:
        """The bytes the keypad sends for a key press (fake keypads, tests)."""
        ...


class EvaluatorFrameProtocol:
    """hallq's default keypad framing (see the module docstring)."""

    HEADER = 0xAA
    TAIL = 0x55
    FRAME_SIZE = 5

    def encode_key(self, address: int, key: int) -> bytes:
        """The frame for one key press."""
        if not 0 <= address <= 255:
            raise ValueError(
                f"评价器地址应为 0..255 / keypad address must be 0..255, got {address}"
            )
        level_for_key(key)
        return bytes((self.HEADER, address, key, address ^ key, self.TAIL))

    def decode(self, frame: bytes) -> KeyPress:
        """Check one whole frame and return its key press."""
        if (
            len(frame) != self.FRAME_SIZE
            or frame[0] != self.HEADER
            or frame[4] != self.TAIL
            or frame[1] ^ frame[2] != frame[3]
            or not 1 <= frame[2] <= len(EVALUATION_LEVELS)
        ):
            raise ValueError(f"not a keypad frame: {frame.hex(' ')}")
        return KeyPress(frame[1], frame[2])

    def parse(self, buffer: bytes, address: int) -> tuple[list[KeyPress], bytes]:
        """Key presses in `buffer` (the address comes from each frame) and the rest."""
        presses: list[KeyPress] = []
        start = 0
        while True:
            start = buffer.find(bytes((self.HEADER,)), start)
            if start < 0:
                return presses, b""
            if len(buffer) - start < self.FRAME_SIZE:
                return presses, buffer[start:]
            try:
                presses.append(self.decode(buffer[start : start + self.FRAME_SIZE]))
            except ValueError:
                # The header byte was noise; a real frame may start inside these bytes.
                start += 1
                continue
            start += self.FRAME_SIZE


class AsciiDigitProtocol:
    """Vendor mode: one ASCII digit '1'..'5' per press, every other byte ignored."""

    def encode_key(self, address: int, key: int) -> bytes:
        """The digit for one key press (the address is not sent)."""
        level_for_key(key)
        return str(key).encode("ascii")

    def parse(self, buffer: bytes, address: int) -> tuple[list[KeyPress], bytes]:
        """Every digit '1'..'5' is a press at the link's address; nothing is kept."""
        digits = range(ord("1"), ord("1") + len(EVALUATION_LEVELS))
        return [KeyPress(address, byte - ord("0")) for byte in buffer if byte in digits], b""


class EvaluatorKeypad(SerialOwner):
    """Reads key presses from a keypad port and reports each as (address, level code)."""

    device_label_zh = "评价器"
    device_label_en = "evaluator keypad"
    reads_input = True
    # Longer than any vendor's frame; only a protocol that never consumes could get here.
    MAX_BUFFER = 256

    def __init__(
        self,
        url: str | SerialLink,
        on_rating: RatingCallback,
        protocol: EvaluatorProtocol | None = None,
        *,
        on_health: HealthCallback | None = None,
        backoff: Backoff | None = None,
        autostart: bool = True,
    ) -> None:
        super().__init__(url, on_health=on_health, backoff=backoff)
        self.protocol: EvaluatorProtocol = protocol or EvaluatorFrameProtocol()
        self._on_rating = on_rating
        self._buffer = b""
        if autostart:
            self.start()

    def handle_connected(self) -> None:
        """Forget half a frame from before the reconnect."""
        self._buffer = b""

    def handle_bytes(self, data: bytes) -> None:
        """Decode key presses; a quiet line (no data) drops an unfinished frame."""
        if not data:
            self._buffer = b""
            return
        presses, rest = self.protocol.parse(self._buffer + data, self.link.address)
        self._buffer = rest[-self.MAX_BUFFER :]
        for press in presses:
            self._report(press)

    def _report(self, press: KeyPress) -> None:
        level = level_for_key(press.key)
        try:
            self._on_rating(press.address, level.code)
        except Exception:
            # A failing handler loses this rating but must not drop the keypad link.
            logger.exception("on_rating failed for keypad %s at %s", press.address, self.link.port)


class FakeEvaluatorKeypad:
    """In-memory stand-in for `EvaluatorKeypad`: `press()` reports a rating at once."""

    def __init__(self, on_rating: RatingCallback, address: int = 1) -> None:
        self.address = address
        self.connected = True
        self.last_error: str | None = None
        self._on_rating = on_rating

    def press(self, key: int | str, *, address: int | None = None) -> None:
        """Press key 1..5, or the key of a level code such as 'basic'."""
        number = key_for_level(key) if isinstance(key, str) else key
        level = level_for_key(number)
        self._on_rating(self.address if address is None else address, level.code)

    def start(self) -> FakeEvaluatorKeypad:
        """Nothing to start."""
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Nothing to stop."""
