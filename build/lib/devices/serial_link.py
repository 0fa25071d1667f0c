"""Serial links for hall devices: URL parsing and one owner thread per port.

A device URL names the port and its settings in one string an administrator can type:

    serial:///dev/ttyUSB0?baudrate=9600&address=3
    serial:///dev/serial/by-id/usb-FTDI_xxx-if00-port0?address=1&write_timeout=0.5
    serial://COM3?baudrate=19200              (Windows)
    /dev/pts/7                                (a bare path, as tests use)
    loop://?address=2                         (pyserial's loopback)
    socket://192.168.1.20:4001?address=5      (a serial device server, 串口服务器)

Query parameters: baudrate, address (0..255, the RS-485 bus address), bytesize (5..8),
parity (N/E/O/M/S), stopbits (1/1.5/2), read_timeout and write_timeout in seconds. The URL is
read by devices.addresses, the one parser of device URLs.

`SerialOwner` is the base of every serial device adapter. Exactly one owner thread per port
opens it, writes what callers queued, reads what the device sends, and on any error closes
the port and reopens it with exponential backoff. Callers only put bytes on a queue, so a
slow, hung or unplugged device never blocks a clerk's request. Under gevent monkey patching
the thread is a greenlet; every wait below (queue, event, select) is then cooperative.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import select
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import serial

from devices.addresses import parse_device_url
from devices.errors import DeviceConfigError

logger = logging.getLogger(__name__)

HealthCallback = Callable[[bool, str, str], None]


class SerialPortInUse(DeviceConfigError):
    """Another owner in this process already drives the port."""


@dataclass(frozen=True)
class SerialLink:
    """Where a serial device is and how to talk to it, parsed from a device URL."""

    port: str
    baudrate: int = 9600
    address: int = 1
    bytesize: int = 8
    parity: str = serial.PARITY_NONE
    stopbits: float = 1.0
    read_timeout: float = 0.2
    write_timeout: float = 1.0
    rtscts: bool = False  # hardware and software flow control (ticket printers)
    xonxoff: bool = False

    @property
    def is_native(self) -> bool:
        """True for an OS device path, False for a pyserial URL such as loop://."""
        return "://" not in self.port


def parse_serial_url(url: str) -> SerialLink:
    """Parse a device URL such as serial:///dev/ttyUSB0?baudrate=9600&address=3.

    The form is read by the one device-URL parser (devices.addresses); whether a web user
    may set the URL is its DevicePolicy.
    """
    address = parse_device_url(url, "serial")
    return SerialLink(port=address.port, **address.options)


def open_serial_port(link: SerialLink) -> Any:
    """Open the link's port with its read and write timeouts (a pyserial Serial object)."""
    options: dict[str, Any] = {
        "baudrate": link.baudrate,
        "bytesize": link.bytesize,
        "parity": link.parity,
        "stopbits": link.stopbits,
        "timeout": link.read_timeout,
        "write_timeout": link.write_timeout,
        "rtscts": link.rtscts,
        "xonxoff": link.xonxoff,
    }
    if link.is_native and os.name == "posix":
        # flock: a second hallq process (city-scale deployment) must not share the port.
        options["exclusive"] = True
    return serial.serial_for_url(link.port, **options)


def _errno_of(error: BaseException) -> int | None:
    # pyserial re-raises OSError as SerialException without errno; the cause keeps it.
    seen: BaseException | None = error
    for _ in range(8):  # chains are short; the bound guards against a cyclic one
        if seen is None:
            break
        code = getattr(seen, "errno", None)
        if isinstance(code, int):
            return code
        seen = seen.__cause__ or seen.__context__
    return None


def describe_serial_error(error: BaseException) -> tuple[str, str]:
    """Say in Chinese and English what a serial error means for the person at the hall."""
    code = _errno_of(error)
    if isinstance(error, serial.SerialTimeoutException):
        return "写入超时，设备无响应", f"write timed out, the device does not respond ({error})"
    if code == errno.ENOENT or isinstance(error, FileNotFoundError):
        return (
            "找不到串口，设备可能已拔出",
            f"port not found, the device may be unplugged ({error})",
        )
    if code in (errno.EACCES, errno.EPERM):
        return "没有串口访问权限", f"no permission to open the port ({error})"
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK):
        return "串口被其他程序占用", f"the port is busy in another program ({error})"
    if code == errno.EIO or "disconnected" in str(error):
        return "设备已断开", f"the device was disconnected ({error})"
    return "串口读写出错", f"serial error: {type(error).__name__}: {error}"


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: initial, then times factor, up to maximum."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0

    def next_delay(self, delay: float) -> float:
        """The delay to wait after the attempt that followed `delay`."""
        return min(self.maximum, max(self.initial, delay * self.factor))


# Ports claimed by a running owner in this process, by the path they were given. Two paths are
# the same port when they resolve to the same device now (a by-id symlink and /dev/ttyUSB0):
# resolved at each claim, since a replugged adapter's by-id link may point elsewhere since.
_claimed_ports: set[str] = set()
_claim_lock = threading.Lock()


def _claim_key(link: SerialLink) -> str | None:
    if link.port.startswith("loop://"):
        return None  # every loop:// port is a private loopback
    return os.path.abspath(link.port) if link.is_native else link.port


def _same_port(key: str, claimed: str) -> bool:
    if key == claimed:
        return True
    if "://" in key or "://" in claimed:
        return False
    return os.path.realpath(key) == os.path.realpath(claimed)


def claim_port(link: SerialLink) -> str | None:
    """Take the link's port for one device object of this process (printer, board or keypad);
    SerialPortInUse if another holds it. The key to give back to `release_port`."""
    key = _claim_key(link)
    if key is None:
        return None
    with _claim_lock:
        if any(_same_port(key, claimed) for claimed in _claimed_ports):
            raise SerialPortInUse(
                f"串口 {link.port} 已由另一设备对象使用；同一总线上的多台设备请共用一个对象、按地址区分",
                f"port {link.port} is already owned by another device object; devices "
                "sharing a bus share one owner and are told apart by address",
            )
        _claimed_ports.add(key)
    return key


def release_port(key: str | None) -> None:
    """Give back a port taken with `claim_port` (None: nothing was taken)."""
    if key is not None:
        with _claim_lock:
            _claimed_ports.discard(key)


def _fileno(port: Any) -> int | None:
    try:
        fileno = port.fileno()
    except (AttributeError, OSError, ValueError):
        return None  # loop:// and socket-less handlers have no file descriptor
    return fileno if isinstance(fileno, int) else None


class SerialOwner:
    """Base adapter: one owner thread per port; callers hand it bytes through a queue."""

    device_label_zh: ClassVar[str] = "串口设备"
    device_label_en: ClassVar[str] = "serial device"
    # Readers poll the port (waking every read_timeout); writers sleep on the queue.
    reads_input: ClassVar[bool] = False
    idle_tick: ClassVar[float] = 1.0

    def __init__(
        self,
        url: str | SerialLink,
        *,
        on_health: HealthCallback | None = None,
        backoff: Backoff | None = None,
        queue_size: int = 64,
    ) -> None:
        self._link = url if isinstance(url, SerialLink) else parse_serial_url(url)
        self._on_health = on_health
        self._backoff = backoff or Backoff()
        self._jobs: queue.Queue[bytes | None] = queue.Queue(maxsize=queue_size)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._claimed: str | None = None
        self._port: Any = None
        self._connected = False
        self._health_reported = False
        self.last_error: str | None = None

    @property
    def link(self) -> SerialLink:
        """The link the owner is (re)connecting to."""
        return self._link

    @property
    def connected(self) -> bool:
        """True while the port is open and the device took the state sent on connecting."""
        return self._connected

    def start(self) -> SerialOwner:
        """Claim the port and start its owner thread; safe to call twice."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._claim(self._link)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"serial-owner {self._link.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the owner thread, close the port and release it (tests, shutdown)."""
        self._stopping.set()
        self._wake.set()
        self._put_nowait(None)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._release()

    def retarget(self, url: str | SerialLink) -> None:
        """Point the owner at another port (a replugged adapter); it reconnects at once."""
        link = url if isinstance(url, SerialLink) else parse_serial_url(url)
        if self._thread is not None and self._thread.is_alive():
            self._claim(link)
        self._link = link
        self._wake.set()
        self._put_nowait(None)

    def __enter__(self) -> SerialOwner:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- for subclasses -------------------------------------------------------------

    def handle_connected(self) -> None:
        """Hook run on the owner thread after each (re)connect: resend the current state."""

    def handle_bytes(self, data: bytes) -> None:
        """Hook run on the owner thread with bytes read from the device (readers only)."""

    def handle_idle(self) -> None:
        """Hook run on the owner thread when nothing happened for a tick."""

    def send(self, frame: bytes) -> None:
        """Queue bytes for the device and return at once; the oldest are dropped if full."""
        while True:
            try:
                self._jobs.put_nowait(bytes(frame))
                return
            except queue.Full:
                # Only the latest state matters to a board, and a link that is down piles
                # up frames that are dropped on reconnect anyway.
                with contextlib.suppress(queue.Empty):
                    self._jobs.get_nowait()
                    logger.debug("%s: queue full, dropped the oldest frame", self._link.port)

    def write_now(self, frame: bytes) -> None:
        """Write on the owner thread, raising if the device does not take the bytes in time."""
        port = self._port
        if port is None:
            raise serial.SerialException("port is not open")
        fd = _fileno(port)
        if fd is not None:
            # Wait for room with a cooperative select: pyserial's own write timeout spins
            # on EAGAIN, which under gevent would freeze every greenlet in the process.
            _, ready, _ = select.select([], [fd], [], self._link.write_timeout)
            if not ready:
                raise serial.SerialTimeoutException("Write timeout")
        written = port.write(frame)
        if written is not None and written != len(frame):
            raise serial.SerialTimeoutException("Write timeout (partial frame)")

    # --- the owner thread -----------------------------------------------------------

    def _run(self) -> None:
        delay = self._backoff.initial
        while not self._stopping.is_set():
            link = self._link
            try:
                self._port = open_serial_port(link)
            except Exception as error:
                self._report_down(error)
                self._pause(delay)
                delay = self._backoff.next_delay(delay)
                continue
            failed = False
            try:
                self.discard_pending()
                self.handle_connected()
                self._report_up()
                delay = self._backoff.initial
                self._serve(link)
            except Exception as error:
                failed = True
                self._report_down(error)
            finally:
                self._close_port()
            if failed:
                self._pause(delay)
                delay = self._backoff.next_delay(delay)
        self._connected = False

    def _serve(self, link: SerialLink) -> None:
        port = self._port
        while not self._stopping.is_set() and self._link is link:
            if self.reads_input:
                self._write_pending()
                data = port.read(max(1, port.in_waiting))
                self.handle_bytes(data)
                if not data:
                    self.handle_idle()
                continue
            try:
                frame = self._jobs.get(timeout=self.idle_tick)
            except queue.Empty:
                self.handle_idle()
                continue
            if frame is not None:
                self.write_now(frame)

    def _write_pending(self) -> None:
        while True:
            try:
                frame = self._jobs.get_nowait()
            except queue.Empty:
                return
            if frame is not None:
                self.write_now(frame)

    def discard_pending(self) -> None:
        """Drop queued frames; done on connect, since handle_connected resends the state."""
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                return

    def _pause(self, delay: float) -> None:
        # stop() and retarget() set _wake so a long backoff never delays them.
        self._wake.wait(delay)
        self._wake.clear()

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception:
                logger.debug("%s: error while closing", self._link.port, exc_info=True)

    def _put_nowait(self, item: bytes | None) -> None:
        # A full queue means the owner has work queued, so it wakes up anyway.
        with contextlib.suppress(queue.Full):
            self._jobs.put_nowait(item)

    # --- health ---------------------------------------------------------------------

    def _report_up(self) -> None:
        self.last_error = None
        if self._connected and self._health_reported:
            return
        self._connected = True
        logger.info("%s %s connected", self.device_label_en, self._link.port)
        self._notify(
            True,
            f"{self.device_label_zh}（{self._link.port}）已连接",
            f"{self.device_label_en} ({self._link.port}) connected",
        )

    def _report_down(self, error: BaseException) -> None:
        zh, en = describe_serial_error(error)
        self.last_error = en
        if not self._connected and self._health_reported:
            logger.debug("%s %s still down: %s", self.device_label_en, self._link.port, en)
            return
        self._connected = False
        # A serial error is the device's fault; anything else is a bug worth a traceback.
        unexpected = not isinstance(error, (serial.SerialException, OSError))
        logger.warning(
            "%s %s down: %s", self.device_label_en, self._link.port, en, exc_info=unexpected
        )
        self._notify(
            False,
            f"{self.device_label_zh}（{self._link.port}）连接异常：{zh}",
            f"{self.device_label_en} ({self._link.port}) is down: {en}",
        )

    def _notify(self, connected: bool, message: str, message_en: str) -> None:
        self._health_reported = True
        if self._on_health is None:
            return
        try:
            self._on_health(connected, message, message_en)
        except Exception:
            # A failing alarm handler must not take the device link down with it.
            logger.exception("on_health callback failed for %s", self._link.port)

    # --- one owner per port -----------------------------------------------------------

    def _claim(self, link: SerialLink) -> None:
        """Take the port for this owner, giving back the one it held before."""
        if _claim_key(link) != self._claimed:
            key = claim_port(link)
            self._release()
            self._claimed = key

    def _release(self) -> None:
        key, self._claimed = self._claimed, None
        release_port(key)
