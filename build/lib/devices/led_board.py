"""LED window boards (条屏) above counter windows, driven over RS-232/RS-485.

Default frame (`LedFrameProtocol`), all single bytes unless noted::

    0xA5 | ADDR | CMD | LEN | PAYLOAD (LEN bytes) | XOR | 0x5A

    ADDR     board address 0..255 (DIP switches on the board; several boards can share a
             RS-485 bus, so one `LedBoard` drives every address on its port)
    CMD      0x01 show text     payload: the text, GB2312 by default (strict)
             0x02 clear         payload: empty
             0x03 brightness    payload: one byte, level 0 (dimmest) .. 15 (brightest)
    LEN      payload length, 0..255 (a board line holds far fewer characters)
    XOR      XOR of ADDR, CMD, LEN and every payload byte
    0x5A     tail

The length field, not the tail, ends a frame: GB2312 bytes may equal 0xA5 or 0x5A. Other
vendors' framings plug in by subclassing `LedFrameProtocol` (override `build_frame`, the
constants or the encode methods) or by passing any object with the `LedProtocol` methods.
Protocols are pure: bytes in, bytes out, no I/O.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple, Protocol

from devices.errors import DeviceError
from devices.serial_link import Backoff, HealthCallback, SerialLink, SerialOwner


class LedTextError(DeviceError):
    """Text a board cannot show; carries a Chinese and an English message."""


class LedFrame(NamedTuple):
    """A decoded board frame: its address, command byte and text ('' for non-text)."""

    address: int
    command: int
    text: str


class LedProtocol(Protocol):
    """What `LedBoard` needs from a vendor's framing."""

    def encode_text(self, address: int, text: str) -> bytes:
        """Frame that shows `text` on the board at `address`."""
        ...

    def encode_clear(self, address: int) -> bytes:
        """Frame that blanks the board at `address`."""
        ...

    def encode_brightness(self, address: int, level: int) -> bytes:
        """Frame that sets the brightness of the board at `address`."""
        ...


def _check_address(address: int) -> None:
    if not 0 <= address <= 255:
        raise ValueError(f"条屏地址应为 0..255 / board address must be 0..255, got {address}")


class LedFrameProtocol:
    """hallq's default LED board framing (see the module docstring)."""

    HEADER = 0xA5
    TAIL = 0x5A
    CMD_SHOW_TEXT = 0x01
    CMD_CLEAR = 0x02
    CMD_SET_BRIGHTNESS = 0x03
    MAX_PAYLOAD = 255
    BRIGHTNESS_LEVELS = 16
    # Bytes around the payload: header, address, command, length / checksum, tail.
    _HEAD_SIZE = 4
    _TAIL_SIZE = 2

    def __init__(self, encoding: str = "gb2312") -> None:
        # GB2312 by default: most boards carry only a GB2312 dot-matrix font, so a rarer
        # character that GB18030 could encode would still show as garbage.
        self.encoding = encoding

    @staticmethod
    def checksum(data: bytes) -> int:
        """XOR of every byte."""
        value = 0
        for byte in data:
            value ^= byte
        return value

    def build_frame(self, address: int, command: int, payload: bytes = b"") -> bytes:
        """Wrap a payload in header, address, command, length, checksum and tail."""
        _check_address(address)
        if len(payload) > self.MAX_PAYLOAD:
            raise LedTextError(
                f"条屏文字过长：编码后 {len(payload)} 字节，最多 {self.MAX_PAYLOAD} 字节",
                f"text too long for the board: {len(payload)} bytes, at most {self.MAX_PAYLOAD}",
            )
        body = bytes((address, command, len(payload))) + payload
        return bytes((self.HEADER,)) + body + bytes((self.checksum(body), self.TAIL))

    def encode_text(self, address: int, text: str) -> bytes:
        """Frame that shows `text`; raises LedTextError naming a character it cannot encode."""
        try:
            payload = text.encode(self.encoding, errors="strict")
        except UnicodeEncodeError as error:
            char = error.object[error.start : error.end]
            raise LedTextError(
                f"条屏无法显示字符“{char}”（U+{ord(char[0]):04X}，{self.encoding} 中没有），请换用常用字",
                f"the board cannot show {char!r} (U+{ord(char[0]):04X} is not in "
                f"{self.encoding}); use a common character instead",
            ) from None
        return self.build_frame(address, self.CMD_SHOW_TEXT, payload)

    def encode_clear(self, address: int) -> bytes:
        """Frame that blanks the board."""
        return self.build_frame(address, self.CMD_CLEAR)

    def encode_brightness(self, address: int, level: int) -> bytes:
        """Frame that sets brightness, level 0 (dimmest) .. BRIGHTNESS_LEVELS - 1."""
        if not 0 <= level < self.BRIGHTNESS_LEVELS:
            raise ValueError(
                f"亮度应为 0..{self.BRIGHTNESS_LEVELS - 1} / "
                f"brightness must be 0..{self.BRIGHTNESS_LEVELS - 1}, got {level}"
            )
        return self.build_frame(address, self.CMD_SET_BRIGHTNESS, bytes((level,)))

    def decode_raw(self, frame: bytes) -> tuple[int, int, bytes]:
        """Check one whole frame and return (address, command, payload)."""
        size = len(frame)
        if size < self._HEAD_SIZE + self._TAIL_SIZE or frame[0] != self.HEADER:
            raise ValueError(f"not a board frame: {frame.hex(' ')}")
        if size != self._HEAD_SIZE + frame[3] + self._TAIL_SIZE or frame[-1] != self.TAIL:
            raise ValueError(f"bad frame length or tail: {frame.hex(' ')}")
        body = frame[1:-2]
        if self.checksum(body) != frame[-2]:
            raise ValueError(f"bad frame checksum: {frame.hex(' ')}")
        return frame[1], frame[2], bytes(frame[self._HEAD_SIZE : -self._TAIL_SIZE])

    def decode(self, frame: bytes) -> LedFrame:
        """Decode one whole frame; text is '' for commands that carry none."""
        address, command, payload = self.decode_raw(frame)
        text = payload.decode(self.encoding) if command == self.CMD_SHOW_TEXT else ""
        return LedFrame(address, command, text)

    def split(self, buffer: bytes) -> tuple[list[bytes], bytes]:
        """Cut a byte stream into whole valid frames; return them and the unfinished rest."""
        frames: list[bytes] = []
        start = 0
        while True:
            start = buffer.find(bytes((self.HEADER,)), start)
            if start < 0:
                return frames, b""
            if len(buffer) - start < self._HEAD_SIZE:
                return frames, buffer[start:]
            end = start + self._HEAD_SIZE + buffer[start + 3] + self._TAIL_SIZE
            if end > len(buffer):
                return frames, buffer[start:]
            candidate = buffer[start:end]
            try:
                self.decode_raw(candidate)
            except ValueError:
                start += 1  # resynchronise on the next header byte
                continue
            frames.append(candidate)
            start = end


def _window_label(window_name: str) -> str:
    name = window_name.strip()
    # Halls configure windows as "3" as often as "3号窗口"; the board should read naturally.
    return f"{name}号窗口" if name.isdigit() else name


def format_window_text(number: str | None, window_name: str, paused_reason: str | None) -> str:
    """The board text: 暂停服务 when paused, 请A001到3号窗口 when calling, else a welcome."""
    label = _window_label(window_name)
    if paused_reason is not None:
        reason = paused_reason.strip()
        return f"暂停服务 {reason}" if reason else "暂停服务"
    if number is not None and number.strip():
        return f"请{number.strip()}到{label}"
    return f"{label} 欢迎您" if label else "欢迎您"


class LedBoard(SerialOwner):
    """The LED boards on one serial port; keeps each board's state and resends it on reconnect."""

    device_label_zh = "LED条屏"
    device_label_en = "LED window board"

    def __init__(
        self,
        url: str | SerialLink,
        protocol: LedProtocol | None = None,
        *,
        on_health: HealthCallback | None = None,
        backoff: Backoff | None = None,
        refresh_interval: float | None = 60.0,
        autostart: bool = True,
    ) -> None:
        super().__init__(url, on_health=on_health, backoff=backoff)
        self.protocol: LedProtocol = protocol or LedFrameProtocol()
        # A board that loses power forgets its text while the USB adapter stays connected,
        # so no serial error ever shows it; resending now and then brings it back.
        self.refresh_interval = refresh_interval
        self._state_lock = threading.Lock()
        self._texts: dict[int, str] = {}
        self._text_frames: dict[int, bytes] = {}
        self._brightness_frames: dict[int, bytes] = {}
        self._last_resend = time.monotonic()
        if autostart:
            self.start()

    def show_window_state(
        self,
        number: str | None,
        window_name: str,
        paused_reason: str | None = None,
        *,
        address: int | None = None,
    ) -> str:
        """Show the call, pause or welcome text for a window; returns the text without blocking."""
        text = format_window_text(number, window_name, paused_reason)
        self.show_text(text, address=address)
        return text

    def show_text(self, text: str, *, address: int | None = None) -> None:
        """Show any text and keep it as the board's current state; never blocks."""
        target = self._address(address)
        frame = self.protocol.encode_text(target, text)
        self._remember(target, text, frame)

    def clear(self, *, address: int | None = None) -> None:
        """Blank the board and keep that as its current state."""
        target = self._address(address)
        self._remember(target, "", self.protocol.encode_clear(target))

    def set_brightness(self, level: int, *, address: int | None = None) -> None:
        """Set the board's brightness; it is resent after a reconnect as well."""
        target = self._address(address)
        frame = self.protocol.encode_brightness(target, level)
        with self._state_lock:
            self._brightness_frames[target] = frame
            self.send(frame)

    def current_text(self, address: int | None = None) -> str | None:
        """The text the board should be showing now, or None before anything was shown."""
        with self._state_lock:
            return self._texts.get(self._address(address))

    def handle_connected(self) -> None:
        """Resend every board's brightness and text after (re)connecting."""
        self._resend_all()

    def handle_idle(self) -> None:
        """Resend the state now and then, for boards that were power-cycled."""
        interval = self.refresh_interval
        if interval is not None and time.monotonic() - self._last_resend >= interval:
            self._resend_all()

    def _address(self, address: int | None) -> int:
        target = self.link.address if address is None else address
        _check_address(target)
        return target

    def _remember(self, address: int, text: str, frame: bytes) -> None:
        # State and queue change under one lock: two callers racing must not leave the
        # board showing one text while the state (resent on reconnect) holds the other.
        with self._state_lock:
            self._texts[address] = text
            self._text_frames[address] = frame
            self.send(frame)

    def _resend_all(self) -> None:
        # Queued frames are dropped under the same lock that queues them: each one is
        # either in this snapshot or newer than it, so no frame goes out twice.
        with self._state_lock:
            self.discard_pending()
            frames = [*self._brightness_frames.values(), *self._text_frames.values()]
        for frame in frames:
            self.write_now(frame)
        self._last_resend = time.monotonic()


class FakeLedBoard(LedBoard):
    """An LedBoard whose frames go to memory instead of a port (as python-escpos's Dummy
    printer keeps its output): the same text formatting, encoding and framing as the real
    board, so a text the real board refuses is refused here too. Records what each board at
    its address would show, decoded from the frames sent."""

    def __init__(self, address: int = 1, protocol: LedFrameProtocol | None = None) -> None:
        super().__init__(
            f"loop://?address={address}", protocol or LedFrameProtocol(), autostart=False
        )
        self.address = address
        self.history: list[tuple[int, str]] = []
        self.brightness: dict[int, int] = {}
        self.frames: list[bytes] = []

    @property
    def connected(self) -> bool:
        """Always connected: there is no cable to pull."""
        return True

    @property
    def texts(self) -> dict[int, str]:
        """The text each address shows now."""
        with self._state_lock:
            return dict(self._texts)

    def send(self, frame: bytes) -> None:
        """Decode and record the frame instead of queueing it for a port."""
        self.frames.append(bytes(frame))
        protocol = self.protocol
        assert isinstance(protocol, LedFrameProtocol), "the fake decodes the default framing"
        address, command, payload = protocol.decode_raw(frame)
        if command == protocol.CMD_SET_BRIGHTNESS:
            self.brightness[address] = payload[0]
        else:
            self.history.append((address, payload.decode(protocol.encoding)))

    def start(self) -> FakeLedBoard:
        """Nothing to start: no port, no owner thread."""
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Nothing to stop."""
