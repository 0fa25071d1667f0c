"""Fake serial devices on pty pairs: a ticket printer that answers status questions well, badly
or not at all, and a board or keypad reached through a /dev/serial/by-id style symlink."""

from __future__ import annotations

import contextlib
import os
import random
import re
import select
import threading
import time
import tty
from pathlib import Path

STATUS_QUESTION = re.compile(rb"\x10\x04[\x01\x04]")  # DLE EOT 1 or DLE EOT 4
ONLINE = b"\x12"  # the status reply of a printer that is online with paper present


def raw_pty() -> tuple[int, int]:
    """A pty pair (master, slave), raw from the start: no echo or line buffering before the
    program under test configures the port."""
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave


def not_a_status_byte() -> bytes:
    """A random byte that no printer would send as a status reply."""
    while True:
        byte = os.urandom(1)
        if byte[0] & 0x93 != 0x12:
            return byte


class FakeSerialPrinter:
    """The printer's end of a pty pair; `mode` says how it behaves:

    - ok: takes data and answers each status question "online, paper present";
    - silent: takes data and answers nothing;
    - garbage: answers random bytes and sends line noise out of the blue;
    - late: answers, but 0.4 s later (after the status timeout of `url()`);
    - stalled: takes no more data, as a jammed printer.

    `switch_off()` closes both ends: the port is gone.
    """

    MODES = ("ok", "silent", "garbage", "late", "stalled")
    LATE_BY = 0.4

    def __init__(self) -> None:
        self.master, self.slave = raw_pty()
        self.device = os.ttyname(self.slave)
        self._mode = "ok"
        self._received = bytearray()
        self._lock = threading.Lock()
        self._port_lock = threading.Lock()  # a late reply never writes to a closed port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown printer mode {mode!r}; one of {self.MODES}")
        self._mode = mode

    def url(self) -> str:
        return f"serial://{self.device}?baudrate=9600&write_timeout=0.3&status_timeout=0.1"

    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._received)

    def _answer(self, count: int) -> None:
        for _ in range(count):
            if self._mode == "ok":
                os.write(self.master, ONLINE)
            elif self._mode == "garbage":
                os.write(self.master, not_a_status_byte() + os.urandom(random.randint(0, 4)))
            elif self._mode == "late":
                threading.Timer(self.LATE_BY, self._late_reply).start()

    def _late_reply(self) -> None:
        with self._port_lock:
            if not self._stop.is_set():
                os.write(self.master, ONLINE)

    def _serve(self) -> None:
        while not self._stop.is_set():
            if self._mode == "stalled":
                time.sleep(0.01)
                continue
            if self._mode == "garbage" and random.random() < 0.2:
                # line noise out of the blue (never a status byte: that would be an answer)
                os.write(self.master, b"".join(not_a_status_byte() for _ in range(8)))
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            with self._lock:
                self._received.extend(chunk)
            self._answer(len(STATUS_QUESTION.findall(chunk)))

    def switch_off(self) -> None:
        """The printer is switched off: the port goes away."""
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join()
            with self._port_lock:
                os.close(self.master)
                os.close(self.slave)


class PtyDevice:
    """A board or keypad end of a pty pair, reached through a by-id style symlink."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = self.slave = -1
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = raw_pty()
        if self.link.is_symlink():
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self.slave))

    def unplug(self) -> None:
        """The cable is pulled: the link goes, unless another device has taken it over since."""
        if self.master >= 0:
            if self.link.is_symlink() and os.readlink(self.link) == os.ttyname(self.slave):
                self.link.unlink()
            os.close(self.master)
            os.close(self.slave)
            self.master = self.slave = -1

    def drain(self) -> None:
        """Read what the server sent (a board keeps showing what it is sent)."""
        if self.master >= 0 and select.select([self.master], [], [], 0)[0]:
            with contextlib.suppress(OSError):
                os.read(self.master, 65536)

    def noise(self) -> None:
        if self.master >= 0:
            os.write(self.master, os.urandom(random.randint(1, 24)))
