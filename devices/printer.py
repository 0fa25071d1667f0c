"""Ticket printers reached by URL and their real-time status.

The ticket's bytes come from devices.escpos_ticket; its names are re-exported here so callers
need only this module. Printing in the background, with retries and alarms, is
devices.print_worker.
"""

from __future__ import annotations

import enum
import errno
import functools
import logging
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import IO, Any, ClassVar, Protocol, TypeGuard, TypeVar

import serial

from devices.addresses import parse_device_url
from devices.errors import DeviceConfigError, DeviceError
from devices.escpos_ticket import (
    CJK_FONT_CANDIDATES,
    EncodingProblem,
    FontNotFound,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterTimeout,
    TicketPrint,
    find_cjk_font,
    render_ticket,
)
from devices.serial_link import (
    SerialLink,
    SerialPortInUse,
    claim_port,
    open_serial_port,
    release_port,
)

try:  # pyusb is needed only for usb:// printers; every other link works without it
    import usb.backend.libusb1 as usb_libusb1
    import usb.core as usb_core
except ImportError:  # pragma: no cover - depends on the installation
    usb_core = usb_libusb1 = None

__all__ = [
    "CJK_FONT_CANDIDATES",
    "BlockingRunner",
    "DeviceConfigError",
    "DeviceError",
    "DummyPrinterLink",
    "EncodingProblem",
    "FilePrinterLink",
    "FontNotFound",
    "PaperOut",
    "PrinterError",
    "PrinterLink",
    "PrinterOffline",
    "PrinterStatus",
    "PrinterTimeout",
    "SerialPrinterLink",
    "TcpPrinterLink",
    "TicketPrint",
    "UsbPrinterLink",
    "find_cjk_font",
    "open_printer",
    "render_ticket",
    "run_directly",
    "run_in_gevent_threadpool",
]

log = logging.getLogger(__name__)

_T = TypeVar("_T")


# --- printer status -------------------------------------------------------------------------------


class PrinterStatus(enum.Enum):
    """What the printer said about itself; UNKNOWN whenever it did not answer clearly."""

    OK = "ok"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


_ASK_PRINTER = b"\x10\x04\x01"  # DLE EOT 1: printer status, bit 3 set = offline
_ASK_PAPER = b"\x10\x04\x04"  # DLE EOT 4: roll paper sensor, bits 5 and 6 set = paper end
_OFFLINE_BIT = 0x08
_PAPER_END_BITS = 0x60


def _is_status_byte(reply: int | None) -> TypeGuard[int]:
    """Every DLE EOT reply has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0; anything else is noise."""
    return reply is not None and reply & 0x93 == 0x12


def _decode_status(printer_reply: int | None, paper_reply: int | None) -> PrinterStatus:
    if not _is_status_byte(printer_reply):
        return PrinterStatus.UNKNOWN
    if _is_status_byte(paper_reply) and paper_reply & _PAPER_END_BITS:
        return PrinterStatus.PAPER_OUT
    if printer_reply & _OFFLINE_BIT:
        return PrinterStatus.OFFLINE
    return PrinterStatus.OK if _is_status_byte(paper_reply) else PrinterStatus.UNKNOWN


# --- links ------------------------------------------------------------------------------------------


class BlockingRunner(Protocol):
    """Runs one blocking I/O call and returns its result (directly, or in a threadpool)."""

    def __call__(self, call: Callable[[], _T], /) -> _T: ...


def run_directly(call: Callable[[], _T]) -> _T:
    """Run blocking I/O in the calling thread."""
    return call()


def run_in_gevent_threadpool(call: Callable[[], _T]) -> _T:
    """Run blocking I/O (pyusb, device files) in the gevent hub's threadpool, so greenlets go on."""
    import gevent  # imported here: only the server runs under gevent

    def capture() -> tuple[bool, Any]:
        # gevent prints a traceback for an exception escaping a threadpool task even though the
        # caller gets it too; a printer fault is routine, so carry it across and raise it here
        try:
            return True, call()
        except Exception as error:
            return False, error

    succeeded, outcome = gevent.get_hub().threadpool.apply(capture)
    if not succeeded:
        raise outcome
    result: _T = outcome
    return result


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class PrinterLink(ABC):
    """One ticket printer reached by URL: opens lazily, and reopens on next use after a fault."""

    can_read_status: ClassVar[bool] = False

    def __init__(self, url: str, *, run_blocking: BlockingRunner = run_directly) -> None:
        self.url = url
        self._run_blocking = run_blocking
        self._lock = threading.Lock()  # one conversation with the printer at a time
        self._is_open = False

    def send(self, data: bytes) -> None:
        """Send bytes to the printer; raises PrinterOffline or PrinterTimeout."""
        with self._lock:
            self._run_blocking(lambda: self._send_now(data))

    def status(self) -> PrinterStatus:
        """Ask the printer for its real-time status (DLE EOT); UNKNOWN unless it answers clearly."""
        if not self.can_read_status:
            return PrinterStatus.UNKNOWN
        with self._lock:
            return self._run_blocking(self._status_now)

    def close(self) -> None:
        """Close the connection; the next send() or status() opens it again."""
        with self._lock:
            self._run_blocking(self._close_now)

    def __enter__(self) -> PrinterLink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    def _ensure_open(self) -> None:
        if not self._is_open:
            self._open()
            self._is_open = True

    def _send_now(self, data: bytes) -> None:
        self._ensure_open()
        try:
            self._write(data)
        except PrinterError:
            # a connection that failed once is suspect (cable pulled, printer rebooted): start afresh
            self._close_now()
            raise

    def _status_now(self) -> PrinterStatus:
        try:
            self._ensure_open()
            printer_reply = self._ask(_ASK_PRINTER)
            # after silence or noise there is nothing to learn from a second question
            paper_reply = self._ask(_ASK_PAPER) if _is_status_byte(printer_reply) else None
        except Exception as error:  # status is advisory: failing to learn it just means UNKNOWN
            log.info("printer %s: no status: %s", self.url, error)
            self._close_now()
            return PrinterStatus.UNKNOWN
        return _decode_status(printer_reply, paper_reply)

    def _close_now(self) -> None:
        if not self._is_open:
            return
        self._is_open = False
        try:
            self._close()
        except OSError as error:
            log.debug("printer %s: error while closing: %s", self.url, error)

    @abstractmethod
    def _open(self) -> None:
        """Connect; raises PrinterOffline."""

    @abstractmethod
    def _write(self, data: bytes) -> None:
        """Write all the bytes; raises PrinterOffline or PrinterTimeout."""

    def _ask(self, command: bytes) -> int | None:
        """Send a real-time status command; the one reply byte, or None if the printer is silent."""
        raise NotImplementedError

    @abstractmethod
    def _close(self) -> None:
        """Disconnect."""


# Waits (seconds) before trying again to lock a serial port that is still locked: long enough
# for a close the link itself just made to complete (longer on a busy machine), short enough
# never to hold up a ticket much: the print worker is in the background anyway.
_RELOCK_WAITS = (0.0, 0.01, 0.05, 0.1, 0.25)


class SerialPrinterLink(PrinterLink):
    """A printer on an RS-232 port or USB-serial adapter (pyserial).

    The port is opened and claimed through devices.serial_link, the one owner of serial ports
    in a process, so a board or keypad can never be set to the printer's port at the same time.
    """

    can_read_status = True

    def __init__(self, url: str, link: SerialLink) -> None:
        super().__init__(url)
        self.link = link
        self.port = link.port
        self.write_timeout = link.write_timeout
        # about a quarter second of line time per write, so write_timeout means "no progress"
        # rather than "the whole ticket took too long" (an image ticket takes tens of seconds)
        self._chunk_size = max(16, link.baudrate // 40)
        self._serial: serial.Serial | None = None
        self._claimed: str | None = None

    def _open(self) -> None:
        try:
            self._claimed = claim_port(self.link)
        except SerialPortInUse as error:
            raise PrinterOffline(error.message, error.message_en) from error
        # Under gevent, closing a port only schedules the close for the hub's next turn, so the
        # port this link closed a moment ago may still hold its lock: let the hub turn, retry.
        for wait in (*_RELOCK_WAITS, None):
            try:
                # exclusive: two processes writing to one printer would interleave their tickets
                self._serial = open_serial_port(self.link)
                return
            except (serial.SerialException, ValueError) as error:
                if wait is not None and getattr(error, "errno", None) == errno.EAGAIN:
                    time.sleep(wait)
                    continue
                release_port(self._claimed)
                self._claimed = None
                raise PrinterOffline(
                    f"无法打开串口打印机 {self.port}：{error}",
                    f"cannot open serial printer {self.port}: {error}",
                ) from error

    def _port(self) -> serial.Serial:
        assert self._serial is not None, "the link opens the port first"
        return self._serial

    def _lost(self, error: Exception) -> PrinterOffline:
        return PrinterOffline(
            f"串口打印机 {self.port} 连接中断：{error}",
            f"serial printer {self.port} connection lost: {error}",
        )

    def _write(self, data: bytes) -> None:
        port = self._port()
        try:
            for chunk in _chunks(data, self._chunk_size):
                port.write(chunk)
        except serial.SerialTimeoutException as error:
            raise PrinterTimeout(
                f"串口打印机 {self.port} 超过 {self.write_timeout:g} 秒未接收数据",
                f"serial printer {self.port} took no data for {self.write_timeout:g} s",
            ) from error
        except serial.SerialException as error:
            raise self._lost(error) from error

    def _ask(self, command: bytes) -> int | None:
        port = self._port()
        try:
            # a late reply to an earlier question, or a printer answering DLE EOT bytes that
            # happened to occur inside raster data, must not be taken for this answer
            port.reset_input_buffer()
            port.write(command)
            reply = port.read(1)
        except serial.SerialException as error:
            raise self._lost(error) from error
        return reply[0] if reply else None

    def _close(self) -> None:
        try:
            if self._serial is not None:
                self._serial.close()
                self._serial = None
        finally:
            release_port(self._claimed)
            self._claimed = None


class TcpPrinterLink(PrinterLink):
    """A network printer on its raw port (usually 9100)."""

    can_read_status = True

    def __init__(
        self,
        url: str,
        host: str,
        port: int = 9100,
        *,
        connect_timeout: float = 3.0,
        write_timeout: float = 5.0,
        status_timeout: float = 0.5,
    ) -> None:
        super().__init__(url)
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.write_timeout = write_timeout
        self.status_timeout = status_timeout
        self._socket: socket.socket | None = None

    def _open(self) -> None:
        try:
            self._socket = socket.create_connection((self.host, self.port), self.connect_timeout)
        except OSError as error:
            raise PrinterOffline(
                f"无法连接网络打印机 {self.host}:{self.port}：{error}",
                f"cannot connect to network printer {self.host}:{self.port}: {error}",
            ) from error

    def _connection(self) -> socket.socket:
        assert self._socket is not None, "the link connects first"
        return self._socket

    def _lost(self, error: OSError | str) -> PrinterOffline:
        return PrinterOffline(
            f"网络打印机 {self.host}:{self.port} 连接中断：{error}",
            f"network printer {self.host}:{self.port} connection lost: {error}",
        )

    def _write(self, data: bytes) -> None:
        connection = self._connection()
        connection.settimeout(self.write_timeout)
        try:
            # sendall's timeout covers the whole call, so chunks make it a "no progress" timeout
            for chunk in _chunks(data, 4096):
                connection.sendall(chunk)
        except TimeoutError as error:
            raise PrinterTimeout(
                f"网络打印机 {self.host}:{self.port} 超过 {self.write_timeout:g} 秒未接收数据",
                f"network printer {self.host}:{self.port} took no data for {self.write_timeout:g} s",
            ) from error
        except OSError as error:
            raise self._lost(error) from error

    def _ask(self, command: bytes) -> int | None:
        connection = self._connection()
        try:
            self._discard_pending_input(connection)
            connection.settimeout(self.status_timeout)
            connection.sendall(command)
            reply = connection.recv(1)
        except TimeoutError:
            return None
        except OSError as error:
            raise self._lost(error) from error
        if not reply:
            raise self._lost("closed by the printer")
        return reply[0]

    def _discard_pending_input(self, connection: socket.socket) -> None:
        connection.setblocking(False)
        try:
            while True:
                if not connection.recv(256):
                    raise self._lost("closed by the printer")
        except BlockingIOError:
            pass

    def _close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class FilePrinterLink(PrinterLink):
    """A file or device node (such as /dev/usb/lp0) that ticket bytes are appended to."""

    def __init__(self, url: str, path: str, *, run_blocking: BlockingRunner = run_directly) -> None:
        super().__init__(url, run_blocking=run_blocking)
        self.path = path
        self._file: IO[bytes] | None = None

    def _open(self) -> None:
        try:
            self._file = open(self.path, "ab")  # noqa: SIM115 - held open across sends
        except OSError as error:
            raise PrinterOffline(
                f"无法打开打印机文件 {self.path}：{error}",
                f"cannot open printer file {self.path}: {error}",
            ) from error

    def _write(self, data: bytes) -> None:
        assert self._file is not None, "the link opens the file first"
        try:
            self._file.write(data)
            self._file.flush()
        except OSError as error:
            raise PrinterOffline(
                f"写入打印机文件 {self.path} 失败：{error}",
                f"cannot write printer file {self.path}: {error}",
            ) from error

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class DummyPrinterLink(PrinterLink):
    """An in-memory printer for tests and the demo; status and faults set by hand.

    It keeps only the last `keep_bytes` bytes it was sent (a few hundred tickets), so a demo
    server that prints all day does not grow with every ticket; `sent_bytes` counts them all.
    """

    can_read_status = True
    KEEP_BYTES = 256 * 1024

    def __init__(self, url: str = "dummy://", *, keep_bytes: int = KEEP_BYTES) -> None:
        super().__init__(url)
        self._received = bytearray()
        self.keep_bytes = keep_bytes
        self.sent_bytes = 0
        self.reported_status = PrinterStatus.OK
        self.offline = False  # when True, send() fails as an unplugged printer would

    @property
    def received(self) -> bytes:
        """The bytes sent so far: the last `keep_bytes` of them."""
        return bytes(self._received)

    def _open(self) -> None:
        if self.offline:
            raise PrinterOffline("模拟打印机离线", "dummy printer is offline")

    def _write(self, data: bytes) -> None:
        self._open()
        self.sent_bytes += len(data)
        self._received.extend(data)
        excess = len(self._received) - self.keep_bytes
        if excess > 0:
            del self._received[:excess]

    def _ask(self, command: bytes) -> int | None:
        # answer as a real printer in that state would, so the status decoding is exercised too
        replies = {
            PrinterStatus.OK: {_ASK_PRINTER: 0x12, _ASK_PAPER: 0x12},
            PrinterStatus.OFFLINE: {_ASK_PRINTER: 0x1A, _ASK_PAPER: 0x12},
            PrinterStatus.PAPER_OUT: {_ASK_PRINTER: 0x1A, _ASK_PAPER: 0x72},
            PrinterStatus.UNKNOWN: {},
        }
        return replies[self.reported_status].get(command)

    def _close(self) -> None:
        pass


@functools.cache
def _libusb_backend() -> Any:
    """pyusb's libusb1 backend, looked up once, outside any threadpool.

    The lookup runs ctypes' find_library, which starts a subprocess; under gevent that fails in a
    threadpool thread, and pyusb then reports "No backend available".
    """
    return usb_libusb1.get_backend() if usb_libusb1 is not None else None


class UsbPrinterLink(PrinterLink):
    """A printer on USB, found and configured by python-escpos, written through pyusb."""

    can_read_status = True

    def __init__(
        self,
        url: str,
        vendor_id: int,
        product_id: int,
        *,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
        write_timeout: float = 5.0,
        status_timeout: float = 0.5,
        run_blocking: BlockingRunner = run_directly,
    ) -> None:
        super().__init__(url, run_blocking=run_blocking)
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.in_ep = in_ep
        self.out_ep = out_ep
        self.write_timeout = write_timeout
        self.status_timeout = status_timeout
        self._backend = _libusb_backend()
        self._printer: Any = None  # escpos.printer.Usb

    @property
    def _name(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    def _lost(self, error: Exception) -> PrinterOffline:
        return PrinterOffline(
            f"USB 打印机 {self._name} 连接中断：{error}",
            f"USB printer {self._name} connection lost: {error}",
        )

    def _open(self) -> None:
        try:
            # imported here: python-escpos pulls in its barcode and image stack
            from escpos.exceptions import Error as EscposError
            from escpos.printer import Usb
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise PrinterOffline(
                "USB 打印机需要安装 python-escpos 和 pyusb",
                "USB printers need python-escpos and pyusb",
            ) from error
        if usb_core is None or not Usb.is_usable():  # pragma: no cover
            raise PrinterOffline("USB 打印机需要安装 pyusb", "USB printers need pyusb")
        printer = Usb(
            self.vendor_id,
            self.product_id,
            usb_args={"backend": self._backend} if self._backend is not None else {},
            timeout=int(self.write_timeout * 1000),
            in_ep=self.in_ep,
            out_ep=self.out_ep,
        )
        try:
            printer.open()
        except (EscposError, OSError, ValueError) as error:  # ValueError: libusb is missing
            log.info("printer %s: cannot open: %s", self.url, error)
            raise PrinterOffline(
                f"找不到 USB 打印机 {self._name}，或无权访问（{type(error).__name__}）",
                f"USB printer {self._name} not found or not accessible ({type(error).__name__})",
            ) from error
        self._printer = printer

    def _write(self, data: bytes) -> None:
        assert usb_core is not None and self._printer is not None
        try:
            for chunk in _chunks(data, 4096):
                self._printer.device.write(self.out_ep, chunk, int(self.write_timeout * 1000))
        except usb_core.USBTimeoutError as error:
            raise PrinterTimeout(
                f"USB 打印机 {self._name} 超过 {self.write_timeout:g} 秒未接收数据",
                f"USB printer {self._name} took no data for {self.write_timeout:g} s",
            ) from error
        except usb_core.USBError as error:
            raise self._lost(error) from error

    def _ask(self, command: bytes) -> int | None:
        assert usb_core is not None and self._printer is not None
        device = self._printer.device
        try:
            self._write(command)
            reply = device.read(self.in_ep, 16, int(self.status_timeout * 1000))
        except usb_core.USBTimeoutError:
            return None
        except usb_core.USBError as error:
            raise self._lost(error) from error
        # the last byte is the newest: earlier ones may be late answers to earlier questions
        return int(reply[-1]) if len(reply) else None

    def _close(self) -> None:
        if self._printer is not None:
            self._printer.close()
            self._printer = None


# --- printer URLs -----------------------------------------------------------------------------------


def open_printer(url: str, *, run_blocking: BlockingRunner = run_directly) -> PrinterLink:
    """The link for a printer URL; nothing is opened until the first send() or status().

    usb://VID:PID (hex), serial:///dev/ttyUSB0?baudrate=9600, tcp://HOST:9100,
    file:///path (appended to), dummy:// (kept in memory). Query options: write_timeout and
    status_timeout (seconds) everywhere but file and dummy; serial: baudrate, bytesize, parity,
    stopbits, rtscts, xonxoff; tcp: connect_timeout; usb: in_ep, out_ep. `run_blocking` runs the
    I/O that blocks even under gevent (pyusb, device files); serial and tcp I/O is cooperative.
    The URL is read by devices.addresses (DeviceConfigError if unusable); whether a web user may
    set it is that module's DevicePolicy, asked where the setting is saved.
    """
    address = parse_device_url(url, "printer")
    options = dict(address.options)
    if address.scheme == "dummy":
        return DummyPrinterLink(url)
    if address.scheme == "file":
        return FilePrinterLink(url, address.port, run_blocking=run_blocking)
    if address.scheme == "serial":
        if "status_timeout" in options:
            options["read_timeout"] = options.pop("status_timeout")
        options.setdefault("read_timeout", 0.5)
        options.setdefault("write_timeout", 5.0)
        return SerialPrinterLink(url, SerialLink(port=address.port, **options))
    if address.scheme == "tcp":
        return TcpPrinterLink(url, address.host, address.tcp_port, **options)
    vendor_id, product_id = address.usb_id
    return UsbPrinterLink(url, vendor_id, product_id, run_blocking=run_blocking, **options)
