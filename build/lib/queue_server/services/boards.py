"""Device workers: LED window boards (条屏) follow their window, evaluator keypads (评价器) rate.

Boards and keypads are `devices` rows (kind "board" or "evaluator") bound to a window, with
config {"url": "serial:///dev/ttyUSB0?baudrate=9600&address=3"} (keypads may add
"protocol": "ascii"). Devices on one port share one owner and are told apart by address. The
workers listen to the message bus after each commit: a `window_changed` message carries the
window view, which is all a board shows. Serial I/O stays on the owners' threads, so a slow or
unplugged device never delays a clerk; link health raises and clears device alarms.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from devices.evaluator import AsciiDigitProtocol, EvaluatorKeypad
from devices.led_board import LedBoard, LedTextError
from devices.serial_link import Backoff, DeviceConfigError, SerialLink, parse_serial_url

from ..domain.errors import QueueError
from ..domain.model import Window
from ..store import tables
from . import alarms, evaluation, views
from .bus import Message
from .context import Deps

log = logging.getLogger(__name__)

BOARD_ALARM = "board_offline"
KEYPAD_ALARM = "evaluator_offline"


@dataclass(frozen=True)
class DeviceRow:
    """A board or keypad as configured in the device settings."""

    id: int
    hall_id: int
    kind: str
    name: str
    window_id: int | None
    url: str
    link: SerialLink
    protocol: str = ""


def board_text_args(view: dict[str, Any]) -> tuple[str | None, str, str | None]:
    """What a board shows for a window view: (number, window name, pause reason or None)."""
    name = str(view["number"])
    if view["status"] == "paused":
        return None, name, view.get("pause_reason") or ""
    if view["status"] == "closed":
        return None, name, ""  # 暂停服务: nobody serves at a closed window
    current = view.get("current")
    return (current["number"] if current else None), name, None


class DeviceWorkers:
    """Owns the serial links of every board and keypad of this server."""

    def __init__(
        self,
        deps: Deps,
        *,
        backoff: Backoff | None = None,
        board_factory: Callable[..., Any] = LedBoard,
        keypad_factory: Callable[..., Any] = EvaluatorKeypad,
    ) -> None:
        self.deps = deps
        self.backoff = backoff
        self.board_factory = board_factory
        self.keypad_factory = keypad_factory
        self._lock = threading.RLock()
        self._devices: dict[int, DeviceRow] = {}
        self._boards: dict[str, Any] = {}  # port → LedBoard
        self._keypads: dict[str, Any] = {}  # port → EvaluatorKeypad
        self._subscribed = False
        self._running = False
        self._stopped = threading.Event()

    # -- life ----------------------------------------------------------------------------------
    def start(self) -> DeviceWorkers:
        """Open every configured device, show each board its window, follow the bus."""
        with self._lock:
            self._running = True
            self.reload()
            if not self._subscribed:
                self.deps.bus.subscribe(self.on_messages)
                self._subscribed = True
        return self

    def watch(self, interval: float = 30.0) -> None:
        """Re-read the device settings every `interval` seconds (a manager's edits apply)."""

        def loop() -> None:
            while not self._stopped.wait(interval):
                try:
                    self.reload()
                except Exception:  # a bad row or a busy database must not end the watch
                    log.exception("reloading the device settings failed")

        threading.Thread(target=loop, name="device-settings", daemon=True).start()

    def stop(self) -> None:
        """Close every link (shutdown, tests)."""
        self._stopped.set()
        with self._lock:
            self._running = False
            owners = [*self._boards.values(), *self._keypads.values()]
            self._boards.clear()
            self._keypads.clear()
            self._devices.clear()
        for owner in owners:
            owner.stop()

    def reload(self) -> None:
        """Read the device settings again: new devices start, changed ports are followed."""
        rows = self._read_devices()
        with self._lock:
            if not self._running:
                return
            before = self._devices
            self._devices = {row.id: row for row in rows}
            self._sync_owners(
                self._boards, [r for r in rows if r.kind == "board"], self._make_board
            )
            self._sync_owners(
                self._keypads, [r for r in rows if r.kind == "evaluator"], self._make_keypad
            )
        for row in rows:
            # A new or re-bound board learns its window's state; the others keep theirs.
            if row.kind == "board" and row.window_id is not None and before.get(row.id) != row:
                self._show_window(row.window_id)

    def _read_devices(self) -> list[DeviceRow]:
        D = tables.devices
        rows: list[DeviceRow] = []
        with self.deps.db.reading() as session:
            found = session.execute(
                select(D.c.id, D.c.hall_id, D.c.kind, D.c.name, D.c.window_id, D.c.config)
                .where(D.c.kind.in_(["board", "evaluator"]))
                .order_by(D.c.id)
            ).all()
        for row in found:
            config = row.config if isinstance(row.config, dict) else {}
            url = config.get("url")
            if not isinstance(url, str) or not url.strip():
                continue
            try:
                link = parse_serial_url(url)
            except DeviceConfigError as error:
                log.warning("device %s (%s): %s", row.id, row.name, error)
                continue
            protocol = str(config.get("protocol") or "")
            rows.append(
                DeviceRow(
                    row.id, row.hall_id, row.kind, row.name, row.window_id, url, link, protocol
                )
            )
        return rows

    def _sync_owners(
        self, owners: dict[str, Any], rows: list[DeviceRow], make: Callable[[DeviceRow], Any]
    ) -> None:
        wanted: dict[str, DeviceRow] = {}
        for row in rows:
            wanted.setdefault(row.link.port, row)  # one owner per port, any address on it
        for port in list(owners):
            if port not in wanted:
                owners.pop(port).stop()
        for port, row in wanted.items():
            if port not in owners:
                try:
                    owners[port] = make(row)
                except DeviceConfigError as error:
                    log.warning("device %s (%s): %s", row.id, row.name, error)

    def _health(self, port: str, kind: str) -> Callable[[bool, str, str], None]:
        alarm_kind = BOARD_ALARM if kind == "board" else KEYPAD_ALARM

        def report(connected: bool, message: str, message_en: str) -> None:
            with self._lock:
                rows = [r for r in self._devices.values() if r.link.port == port and r.kind == kind]
            for row in rows:
                try:
                    if connected:
                        alarms.clear_alarms(self.deps, row.hall_id, alarm_kind, row.id)
                    else:
                        alarms.raise_alarm(
                            self.deps,
                            row.hall_id,
                            alarm_kind,
                            f"{row.name}：{message}",
                            f"{row.name}: {message_en}",
                            device_id=row.id,
                            detail={"port": port, "window_id": row.window_id},
                        )
                except QueueError as error:  # a busy database must not kill the device link
                    log.warning("device alarm for %s not recorded: %s", row.name, error)

        return report

    def _make_board(self, row: DeviceRow) -> Any:
        return self.board_factory(
            row.url, on_health=self._health(row.link.port, "board"), backoff=self.backoff
        )

    def _make_keypad(self, row: DeviceRow) -> Any:
        port = row.link.port

        def on_rating(address: int, level: str) -> None:
            self.rate_from_keypad(port, address, level)

        protocol = AsciiDigitProtocol() if row.protocol == "ascii" else None
        return self.keypad_factory(
            row.url,
            on_rating,
            protocol,
            on_health=self._health(port, "evaluator"),
            backoff=self.backoff,
        )

    # -- boards --------------------------------------------------------------------------------
    def on_messages(self, batch: list[Message]) -> None:
        """Follow committed changes: each window's latest view goes to its boards."""
        latest: dict[int, dict[str, Any]] = {}
        for message in batch:
            if message.event == "window_changed" and message.room.startswith("window:"):
                latest[int(message.payload["id"])] = message.payload
        for window_id, view in latest.items():
            self.show(window_id, view)

    def show(self, window_id: int, view: dict[str, Any]) -> None:
        """Put a window's state on every board bound to it; never blocks."""
        with self._lock:
            targets = [
                (self._boards.get(row.link.port), row)
                for row in self._devices.values()
                if row.kind == "board" and row.window_id == window_id
            ]
        number, name, paused = board_text_args(view)
        for board, row in targets:
            if board is None:
                continue
            try:
                board.show_window_state(number, name, paused, address=row.link.address)
            except LedTextError as error:
                # A pause reason with a rare character: show the plain pause instead.
                log.warning("board %s cannot show the text: %s", row.name, error)
                board.show_window_state(number, name, "" if paused is not None else None,
                                        address=row.link.address)  # fmt: skip

    def _show_window(self, window_id: int) -> None:
        with self.deps.db.reading() as session:
            window = session.get(Window, window_id)
            if window is None:
                return
            view = views.window_view(session, window)
        self.show(window_id, view)

    # -- keypads -------------------------------------------------------------------------------
    def rate_from_keypad(self, port: str, address: int, level: str) -> dict[str, Any] | None:
        """A key press on the keypad at `address` of `port` rates that window's last visit."""
        with self._lock:
            row = next(
                (
                    r
                    for r in self._devices.values()
                    if r.kind == "evaluator" and r.link.port == port and r.link.address == address
                ),
                None,
            )
        if row is None or row.window_id is None:
            log.info("key press from unknown keypad %s at %s ignored", address, port)
            return None
        try:
            return evaluation.rate_at_window(self.deps, row.window_id, level, source="keypad")
        except QueueError as error:
            log.info("keypad rating at window %s refused: %s", row.window_id, error.message_en)
            return None


def start_device_workers(deps: Deps) -> DeviceWorkers:
    """Start the workers of every configured board and keypad (the real server calls this).

    A database that cannot be read yet leaves the devices idle rather than the server down.
    """
    workers = DeviceWorkers(deps)
    try:
        workers.start()
    except QueueError as error:
        log.warning("device workers not started: %s", error.message_en)
    workers.watch()
    return workers
