"""Printing kiosk tickets: a kiosk's printer settings, what goes on its ticket, and printing it
in the background.

Printing never holds up a citizen. The kiosk's ticket is committed first; the message bus then
hands `ticket_issued` to `PrintDispatcher`, whose own worker renders the ticket and gives the
bytes to the kiosk printer's `devices.print_worker.PrintWorker`. A fault raises a device alarm
(`services.alarms`) and a `print_status` event, so the kiosk can tell the citizen to take a
photo of the ticket on screen instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from devices.addresses import DevicePolicy
from devices.errors import DeviceConfigError, DeviceNotAllowed
from devices.escpos_ticket import REPLACEMENT, printable_ticket
from devices.print_worker import (
    ALARM_PAPER_OUT,
    ALARM_PRINT_FAILED,
    ALARM_PRINTER_OFFLINE,
    PrintWorker,
)
from devices.printer import (
    BlockingRunner,
    PrinterError,
    PrinterLink,
    PrinterStatus,
    TicketPrint,
    open_printer,
    render_ticket,
    run_directly,
    run_in_gevent_threadpool,
)

from ..domain.errors import InvalidInput, NotFound
from ..domain.model import (
    PRIORITY_NAMES,
    Category,
    Hall,
    Priority,
    ServiceItem,
    Ticket,
    TicketState,
)
from ..store import tables
from ..store.db import ACCOUNTS_GENERATION
from . import access, alarms, views
from .bus import Message
from .context import Actor, Deps, audit
from .unit_of_work import unit_of_work

log = logging.getLogger(__name__)


D = tables.devices
PRINTER_ALARMS = (ALARM_PRINTER_OFFLINE, ALARM_PAPER_OUT, ALARM_PRINT_FAILED, "printer_no_reply")
ALARM_NO_REPLY = "printer_no_reply"


# A name printed with □ for characters the printer cannot print; open until a manager clears it.
ALARM_CHARACTERS_REPLACED = "print_characters_replaced"


def device_row(session: Any, device_id: int) -> Any:
    row = session.execute(select(D).where(D.c.id == device_id)).first()
    if row is None:
        raise NotFound("找不到该设备", "No such device")
    return row


def printer_view(row: Any, open_device_alarms: list[dict[str, Any]]) -> dict[str, Any]:
    """A kiosk's printer as its settings page and the kiosk see it (no secrets in it)."""
    config = row.config or {}
    url = config.get("printer") or ""
    health = (row.health or {}).get("printer") or {}
    state = health.get("state", "idle") if url else "none"
    if open_device_alarms and url:
        state = "fault"
    return {
        "configured": bool(url),
        "url": url,
        "scheme": url.split(":", 1)[0] if url else None,
        "paper_mm": config.get("paper_mm", 80),
        "mode": config.get("mode", "text"),
        "encoding": config.get("encoding", "gb18030"),
        "state": state,
        "last_number": health.get("last_number"),
        "updated_at": health.get("updated_at"),
        "alarms": open_device_alarms,
    }


def device_alarms(deps: Deps, hall_id: int, device_id: int) -> list[dict[str, Any]]:
    """The open printer alarms of one device."""
    return [
        a
        for a in alarms.open_alarms(deps, hall_id)
        if a["device_id"] == device_id and a["kind"] in PRINTER_ALARMS
    ]


PRINTER_KEYS = ("printer", "paper_mm", "mode", "encoding", "check_status")
PAPER_SIZES = (58, 80)
MODES = ("text", "image")
ENCODINGS = ("gb18030", "gbk")


@dataclass(frozen=True)
class PrinterSettings:
    """One kiosk's ticket printer, from the device's `config` JSON."""

    url: str
    paper_mm: int = 80
    mode: Literal["text", "image"] = "text"
    encoding: Literal["gb18030", "gbk"] = "gb18030"
    check_status: bool = True

    @classmethod
    def from_config(cls, config: Any, policy: DevicePolicy | None = None) -> PrinterSettings | None:
        """The printer of a device config, None when it has none; InvalidInput when unusable.

        With `policy` (a web user sets the printer), a URL outside the administrator's lists
        is refused too; without, a stored setting is only read.
        """
        if not isinstance(config, dict):
            raise InvalidInput("设备设置须为对象", "Device settings must be an object")
        url = config.get("printer")
        if url in (None, ""):
            return None
        if not isinstance(url, str) or len(url) > 300:
            raise InvalidInput("打印机地址须为文字", "The printer URL must be text")
        try:
            if policy is not None:
                policy.check(url, "printer")
            open_printer(url)  # parses only; nothing is opened
        except DeviceNotAllowed as error:
            raise InvalidInput(error.message, error.message_en) from None
        except DeviceConfigError as error:
            raise InvalidInput(
                f"{error.message}（支持 usb://VID:PID、serial:///dev/ttyUSB0、tcp://主机:9100）",
                error.message_en,
            ) from None
        paper = config.get("paper_mm", 80)
        if paper not in PAPER_SIZES:
            raise InvalidInput("纸宽须为 58 或 80 毫米", "paper_mm must be 58 or 80")
        mode = config.get("mode", "text")
        if mode not in MODES:
            raise InvalidInput(
                "打印方式须为 text（中文字库）或 image（图片）", "mode must be text or image"
            )
        encoding = config.get("encoding", "gb18030")
        if encoding not in ENCODINGS:
            raise InvalidInput("编码须为 gb18030 或 gbk", "encoding must be gb18030 or gbk")
        check = config.get("check_status", True)
        if not isinstance(check, bool):
            raise InvalidInput("check_status 须为是或否", "check_status must be true or false")
        return cls(url.strip(), int(paper), mode, encoding, check)

    def as_config(self) -> dict[str, Any]:
        """As the device's config keys."""
        return {
            "printer": self.url,
            "paper_mm": self.paper_mm,
            "mode": self.mode,
            "encoding": self.encoding,
            "check_status": self.check_status,
        }


def _check_printer_manager(session: Any, actor: Actor, row: Any) -> None:
    access.require(session, actor, row.hall_id, "device.manage")
    if row.kind != "kiosk":
        raise InvalidInput("只有自助取号机可以设置小票打印机", "Only a kiosk has a ticket printer")


def require_printer_manager(deps: Deps, actor: Actor, device_id: int) -> None:
    """Refuse unless the actor manages this kiosk's hall."""
    access.require_anywhere(actor, "device.manage")
    with deps.db.reading() as session:
        _check_printer_manager(session, actor, device_row(session, device_id))


def set_printer(deps: Deps, actor: Actor, device_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """A manager sets a kiosk's ticket printer (URL, paper, text or image mode, encoding)."""
    access.require_anywhere(actor, "device.manage")
    now = deps.clock.now()
    with unit_of_work(deps) as uow:
        session = uow.session
        row = device_row(session, device_id)
        _check_printer_manager(session, actor, row)
        config = {k: v for k, v in (row.config or {}).items() if k not in PRINTER_KEYS}
        settings = PrinterSettings.from_config(data, deps.devices)
        if settings is not None:
            config.update(settings.as_config())
        session.execute(update(D).where(D.c.id == device_id).values(config=config))
        audit(
            session,
            at=now,
            actor=actor,
            action="device.printer",
            hall_id=row.hall_id,
            subject=f"device {device_id}",
            detail={"printer": settings.as_config() if settings else None},
        )
        hall_id = row.hall_id
        row = device_row(session, device_id)
    if settings is None:
        for kind in PRINTER_ALARMS:
            alarms.clear_alarms(deps, hall_id, kind, device_id)
    return {
        "device": {"id": row.id, "name": row.name, "kind": row.kind, "hall_id": row.hall_id},
        "printer": printer_view(row, device_alarms(deps, hall_id, device_id)),
    }


@dataclass(frozen=True)
class PrintRef:
    """Which ticket a print job belongs to, and where to report."""

    hall_id: int
    device_id: int
    ticket_id: int
    number: str


@dataclass
class KioskPrinter:
    """The printer of one kiosk: its settings, its link, its worker while it has work."""

    device_id: int
    hall_id: int
    settings: PrinterSettings
    link: PrinterLink
    worker: PrintWorker[PrintRef] | None = None
    state: str | None = None  # the last state written to the device's health
    alarms_checked: float = 0.0  # when a print last looked for open alarms to clear (monotonic)


def default_runner() -> BlockingRunner:
    """Blocking printer I/O (pyusb, device files) runs in gevent's threadpool under gevent."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return run_directly
    return run_in_gevent_threadpool if monkey.is_module_patched("socket") else run_directly


def _STOP() -> None:
    """Queued by close(): the dispatcher thread ends."""


@dataclass
class _Issued:
    hall_id: int
    number: str
    category_id: int
    device_id: int
    printed: KioskTicket | None = None  # what the issuing handed over, if anything


# How long a kiosk found without a printer is taken to have none, and how long a kiosk's
# printer settings are used, before its device row is read again (a change made through this
# process counts at once; one made through another process after that long).
WITHOUT_PRINTER_SECONDS = 1.0
PRINTER_SETTINGS_SECONDS = 5.0


# While a printer prints fine, how often a print looks for open printer alarms to clear
# (raised by another process of the deployment, say).
ALARM_CHECK_SECONDS = 5.0
_Settings = PrinterSettings | tuple[str, str] | None  # a tuple: why the settings are unusable


@dataclass
class PrintDispatcher:
    """Prints each kiosk ticket on that kiosk's printer, after the commit and off the request.

    `on_messages` is a bus subscriber: it only queues, under a lock that nothing slow holds.
    One dispatcher thread (a greenlet under gevent) renders each ticket from what the issuing
    handed over with `ticket_issued` (or looks the ticket up) and submits it to the printer's
    PrintWorker, letting the requests run between two tickets; the thread and the idle workers
    stop after `idle_seconds` without work and start again on the next ticket.
    """

    deps: Deps
    attempts: int = 3
    base_delay: float = 0.5
    idle_seconds: float = 30.0
    run_blocking: BlockingRunner | None = None
    open_link: Callable[..., PrinterLink] = open_printer
    printers: dict[int, KioskPrinter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._jobs: queue.Queue[_Issued | Callable[[], None]] = queue.Queue()
        # The printers and their workers (held while a worker stops or a link opens).
        self._lock = threading.RLock()
        # The queue's bookkeeping, all a request ever waits for: never held for long.
        self._queue_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._busy = 0
        self._idle = threading.Condition(self._queue_lock)
        self._closed = False
        # Kiosks found without a printer: (accounts generation, until when, monotonic). Their
        # tickets are not looked up again for a while. A printer set up on a kiosk through this
        # process prints the next ticket; one set up through another process within a second.
        self._without_printer: dict[int, tuple[int, float]] = {}
        # Each kiosk's printer settings as last read: (accounts generation, until, settings).
        self._settings: dict[int, tuple[int, float, _Settings]] = {}

    # -- the bus side ----------------------------------------------------------------------
    def on_messages(self, messages: list[Message]) -> None:
        """Queue every issued ticket for printing (never blocks the use case)."""
        for message in messages:
            device_id = message.device_id
            if (
                message.event != "ticket_issued"
                or device_id is None  # issued by staff: nothing to print here
                or not message.room.startswith("hall:")
                or self._known_without_printer(device_id)
            ):
                continue
            number = message.payload.get("number")
            category_id = message.payload.get("category_id")
            if not isinstance(number, str) or not isinstance(category_id, int):
                continue
            hall_id = int(message.room.split(":", 1)[1])
            printed = message.detail if isinstance(message.detail, KioskTicket) else None
            self._put(_Issued(hall_id, number, category_id, device_id, printed))

    def _known_without_printer(self, device_id: int) -> bool:
        found = self._without_printer.get(device_id)
        return (
            found is not None
            and found[0] == self.deps.db.cache.get(ACCOUNTS_GENERATION, 0)
            and found[1] > time.monotonic()
        )

    def print_test_page(self, device_id: int) -> None:
        """Queue a sample ticket on a kiosk's printer (for setting it up)."""
        self._without_printer.pop(device_id, None)
        self._settings.pop(device_id, None)
        self._put(lambda: self._print_sample(device_id))

    def print_bytes(
        self, hall_id: int, device_id: int, settings: PrinterSettings, label: str, data: bytes
    ) -> None:
        """Queue a document already rendered for this printer (a case's receipt) behind the
        tickets it is printing; faults raise the same alarms as a ticket's."""
        ref = PrintRef(hall_id, device_id, 0, label)

        def job() -> None:
            with self._lock:
                self._worker_for(ref, settings).submit(ref, data)

        self._put(job)

    def _put(self, job: _Issued | Callable[[], None]) -> None:
        with self._queue_lock:
            if self._closed:
                return
            self._busy += 1
            self._jobs.put(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="kiosk-print-dispatcher", daemon=True
                )
                self._thread.start()

    # -- for tests and shutdown ------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the dispatcher thread is up (it stops after idle_seconds without work)."""
        with self._queue_lock:
            return self._thread is not None

    def link_for(self, device_id: int) -> PrinterLink | None:
        """The link of a kiosk's printer, once it has printed (a dummy:// link keeps bytes)."""
        with self._lock:
            printer = self.printers.get(device_id)
            return printer.link if printer else None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued ticket has been printed or alarmed."""
        deadline = time.monotonic() + timeout
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, timeout):
                return False
        with self._lock:
            workers = [p.worker for p in self.printers.values() if p.worker is not None]
        return all(w.join(max(0.0, deadline - time.monotonic())) for w in workers)

    def close(self) -> None:
        """Stop printing: workers stop and links close."""
        with self._queue_lock:
            self._closed = True
            if self._thread is not None:
                self._jobs.put(_STOP)  # the dispatcher thread ends now, not after idle_seconds
        with self._lock:
            printers = list(self.printers.values())
        for printer in printers:
            if printer.worker is not None:
                printer.worker.stop(timeout=2.0)
                printer.worker = None
            else:
                printer.link.close()

    # -- the dispatcher thread -------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._queue_lock:
                    if not self._jobs.empty():
                        continue
                    self._thread = None
                with self._lock:
                    self._stop_idle_workers()
                return
            if job is _STOP:
                with self._queue_lock:
                    self._thread = None
                return
            try:
                if self._closed:
                    pass  # printing was switched off: the job is dropped
                elif isinstance(job, _Issued):
                    self._dispatch(job)
                else:
                    job()
            except Exception:  # one bad ticket must not end printing for the hall
                log.exception("kiosk printing: job %r failed", job)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()
            # Let the requests waiting run before the next ticket (under gevent this thread is
            # a greenlet: with a backlog it would otherwise render ticket after ticket).
            time.sleep(0)

    def _stop_idle_workers(self) -> None:
        for printer in self.printers.values():
            worker = printer.worker
            if worker is not None and worker.join(0):
                printer.worker = None
                worker.stop(timeout=1.0)

    def _dispatch(self, issued: _Issued) -> None:
        settings = self._device_settings(issued.device_id)
        if settings is None:
            return
        printed = issued.printed or self._look_up(issued)
        if printed is None:
            return  # gone: nothing to print
        ref = PrintRef(issued.hall_id, issued.device_id, printed.ticket_id, printed.content.number)
        if isinstance(settings, tuple):  # unusable device settings
            self._report_failure(ref, ALARM_PRINT_FAILED, *settings)
            return
        self._render_and_submit(ref, settings, printed.content)

    def _device_settings(self, device_id: int) -> _Settings:
        """A kiosk's printer settings, read again after a change or a second."""
        generation = self.deps.db.cache.get(ACCOUNTS_GENERATION, 0)
        now = time.monotonic()
        known = self._settings.get(device_id)
        if known is not None and known[0] == generation and known[1] > now:
            return known[2]
        settings: _Settings = None
        with self.deps.db.reading() as session:
            row = session.execute(select(D).where(D.c.id == device_id)).first()
        config = row.config if row is not None else None
        if row is not None and row.kind == "kiosk" and config:
            try:
                settings = PrinterSettings.from_config(config)
            except InvalidInput as error:
                settings = (error.message, error.message_en)
        if len(self._settings) > 10_000:  # forget kiosks long gone
            self._settings.clear()
        fresh_for = PRINTER_SETTINGS_SECONDS if settings is not None else WITHOUT_PRINTER_SECONDS
        self._settings[device_id] = (generation, now + fresh_for, settings)
        if settings is None:
            self._without_printer[device_id] = (generation, now + WITHOUT_PRINTER_SECONDS)
            if len(self._without_printer) > 10_000:
                self._without_printer.clear()
        return settings

    def _look_up(self, issued: _Issued) -> KioskTicket | None:
        """The ticket's print content from the database, if the issuing handed none over."""
        with self.deps.db.reading() as session:
            ticket = session.scalars(
                select(Ticket)
                .where(
                    tables.tickets.c.hall_id == issued.hall_id,
                    tables.tickets.c.category_id == issued.category_id,
                    tables.tickets.c.number == issued.number,
                )
                .order_by(tables.tickets.c.id.desc())
                .limit(1)
            ).first()
            if ticket is None or ticket.device_id != issued.device_id:
                return None
            hall = views.get_hall(session, issued.hall_id)
            return KioskTicket(ticket.id or 0, ticket_print(self.deps, session, hall, ticket))

    def _render_and_submit(
        self, ref: PrintRef, settings: PrinterSettings, content: TicketPrint
    ) -> None:
        content, replaced = printable_ticket(
            content, mode=settings.mode, encoding=settings.encoding
        )
        if replaced:
            self._report_replaced(ref, replaced)
        try:
            data = render_ticket(
                content, paper_mm=settings.paper_mm, mode=settings.mode, encoding=settings.encoding
            )
        except (PrinterError, ValueError) as error:
            zh = getattr(error, "message", str(error))
            en = getattr(error, "message_en", str(error))
            self._report_failure(
                ref, ALARM_PRINT_FAILED, f"小票无法生成：{zh}", f"cannot render the ticket: {en}"
            )
            return
        with self._lock:  # so that the worker is not stopped as idle before it has the job
            self._worker_for(ref, settings).submit(ref, data)

    def _worker_for(self, ref: PrintRef, settings: PrinterSettings) -> PrintWorker[PrintRef]:
        with self._lock:
            printer = self.printers.get(ref.device_id)
            if printer is not None and printer.settings != settings:
                if printer.worker is not None:
                    printer.worker.stop(timeout=2.0)
                else:
                    printer.link.close()
                printer = None
            if printer is None:
                link = self.open_link(
                    settings.url, run_blocking=self.run_blocking or default_runner()
                )
                printer = KioskPrinter(ref.device_id, ref.hall_id, settings, link)
                self.printers[ref.device_id] = printer
            if printer.worker is None:
                printer.worker = PrintWorker(
                    printer.link,
                    on_printed=self._on_printed,
                    on_alarm=self._on_alarm,
                    attempts=self.attempts,
                    base_delay=self.base_delay,
                    check_status=settings.check_status,
                )
            return printer.worker

    def _print_sample(self, device_id: int) -> None:
        with self.deps.db.reading() as session:
            row = device_row(session, device_id)
            hall = views.hall_view(views.get_hall(session, row.hall_id))
            settings = PrinterSettings.from_config(row.config or {})
        if settings is None:
            return
        now = self.deps.clock.now().astimezone(ZoneInfo(hall["timezone"]))
        sample = TicketPrint(
            hall_name=hall["name"],
            number="A000",
            category_name="测试打印 Test print",
            people_ahead=0,
            estimated_wait_minutes=0,
            issued_at=now,
            phone_url=f"{self.deps.public_url.rstrip('/')}/kiosk/{hall['id']}",
            materials=("打印机工作正常 Printer OK",),
            footer="这是一张测试小票 This is a test ticket",
        )
        self._render_and_submit(PrintRef(row.hall_id, row.id, 0, "A000"), settings, sample)

    # -- outcomes (run on the printer's worker thread) -------------------------------------
    def _on_printed(self, ref: PrintRef) -> None:
        printer = self.printers.get(ref.device_id)
        status = PrinterStatus.OK
        if printer is not None and printer.settings.check_status and printer.link.can_read_status:
            # A serial line takes bytes whether or not a printer is listening: only an answer
            # to DLE EOT says the ticket came out. Silence is "unknown", and the citizen is told.
            status = printer.link.status()
        if status is PrinterStatus.UNKNOWN:
            self._report_failure(
                ref,
                ALARM_NO_REPLY,
                "打印机无应答，无法确认小票已打出，请检查打印机电源和连接线",
                "The printer does not answer; the ticket may not have printed. "
                "Check its power and cable",
                state="unconfirmed",
            )
            return
        if status is PrinterStatus.PAPER_OUT:
            self._report_failure(
                ref, ALARM_PAPER_OUT, "打印机缺纸，请更换纸卷", "The printer is out of paper"
            )
            return
        if status is PrinterStatus.OFFLINE:
            self._report_failure(
                ref,
                ALARM_PRINTER_OFFLINE,
                "打印机报告离线（上盖打开或故障），请检查打印机",
                "The printer reports offline (cover open or fault)",
            )
            return
        now = time.monotonic()
        if (
            printer is None
            or printer.state != "ok:None"
            or now - printer.alarms_checked >= ALARM_CHECK_SECONDS
        ):
            for kind in {a["kind"] for a in device_alarms(self.deps, ref.hall_id, ref.device_id)}:
                alarms.clear_alarms(self.deps, ref.hall_id, kind, ref.device_id)
            if printer is not None:
                printer.alarms_checked = now
        self._record(ref, "ok", None, "", "")
        self._announce(ref, "printed", None, "", "")

    def _report_replaced(self, ref: PrintRef, replaced: tuple[str, ...]) -> None:
        """A name on the ticket has characters the printer cannot print: it prints with □,
        and the hall is told which characters to change (the ticket itself is not lost)."""
        # control characters are named by code point only: the message is shown and stored
        shown = "".join(c for c in replaced[:8] if unicodedata.category(c)[0] != "C")
        codes = ", ".join(f"U+{ord(char):04X}" for char in replaced[:8])
        alarms.raise_alarm(
            self.deps,
            ref.hall_id,
            ALARM_CHARACTERS_REPLACED,
            f"小票上有打印机无法打印的字符「{shown}」，已用“{REPLACEMENT}”代替打印；"
            "请在管理台把相关名称改为常用字",
            f"The ticket has characters the printer cannot print ({codes}); they were printed "
            f"as {REPLACEMENT}. Change the name in the console to common characters",
            device_id=ref.device_id,
            detail={"ticket": ref.number, "characters": list(replaced[:8])},
        )

    def _on_alarm(self, kind: str, message: str, message_en: str, ref: PrintRef) -> None:
        self._report_failure(ref, kind, message, message_en)

    def _report_failure(
        self, ref: PrintRef, kind: str, message: str, message_en: str, state: str = "failed"
    ) -> None:
        alarms.raise_alarm(
            self.deps,
            ref.hall_id,
            kind,
            f"取号机小票打印故障：{message}",
            f"Kiosk ticket printer: {message_en}",
            device_id=ref.device_id,
            detail={"ticket": ref.number},
        )
        self._record(ref, "fault", kind, message, message_en)
        self._announce(ref, state, kind, message, message_en)

    def _announce(
        self, ref: PrintRef, state: str, kind: str | None, message: str, message_en: str
    ) -> None:
        self.deps.bus.publish(
            [
                Message(
                    "print_status",
                    f"hall:{ref.hall_id}",
                    {
                        "device_id": ref.device_id,
                        "number": ref.number,
                        "state": state,
                        "kind": kind,
                        "message": message,
                        "message_en": message_en,
                    },
                )
            ]
        )

    def _record(
        self, ref: PrintRef, state: str, kind: str | None, message: str, message_en: str
    ) -> None:
        """Keep the printer's state in the device's health (written only when it changes)."""
        printer = self.printers.get(ref.device_id)
        key = f"{state}:{kind}"
        if printer is not None and printer.state == key:
            return
        now = self.deps.clock.now()
        with unit_of_work(self.deps) as uow:
            session = uow.session
            row = session.execute(select(D.c.health).where(D.c.id == ref.device_id)).first()
            if row is None:
                return
            health = dict(row.health or {})
            health["printer"] = {
                "state": state,
                "kind": kind,
                "message": message,
                "message_en": message_en,
                "last_number": ref.number,
                "updated_at": views.iso(now),
            }
            session.execute(update(D).where(D.c.id == ref.device_id).values(health=health))
        if printer is not None:
            printer.state = key


def ticket_print(deps: Deps, session: Any, hall: Hall, ticket: Ticket) -> TicketPrint:
    """What goes on a kiosk ticket, read from the database (a ticket printed again)."""
    category = session.get(Category, ticket.category_id)
    item = session.get(ServiceItem, ticket.service_item_id) if ticket.service_item_id else None
    ahead, minutes = 0, 0
    if ticket.state == TicketState.WAITING:
        status = views.QueueStatus(session, hall, deps.clock.now())
        ahead, minutes = status.position_of(ticket)
    return kiosk_ticket(deps, hall, ticket, category, item, ahead, minutes).content


@dataclass(frozen=True)
class KioskTicket:
    """A kiosk's ticket as the issuing made it: handed to the printing with `ticket_issued`."""

    ticket_id: int
    content: TicketPrint


def kiosk_ticket(
    deps: Deps,
    hall: Hall,
    ticket: Ticket,
    category: Category | None,
    item: ServiceItem | None,
    ahead: int,
    minutes: int,
) -> KioskTicket:
    """What goes on a kiosk ticket: hall, number, category, place, wait, QR, materials."""
    settings = hall.settings.get("kiosk") if isinstance(hall.settings, dict) else None
    footer = (settings or {}).get("ticket_footer") if isinstance(settings, dict) else None
    extra: dict[str, Any] = {"footer": footer} if isinstance(footer, str) and footer else {}
    materials: Iterable[str] = item.materials if item is not None else ()
    category_name = category.name if category else ""
    if item is not None:
        category_name = f"{category_name}·{item.name}" if category_name else item.name
    content = TicketPrint(
        hall_name=hall.name,
        number=ticket.number,
        category_name=category_name,
        people_ahead=ahead,
        estimated_wait_minutes=minutes,
        issued_at=ticket.issued_at.astimezone(ZoneInfo(hall.timezone)),
        phone_url=f"{deps.public_url.rstrip('/')}/t/{ticket.token}",
        materials=tuple(str(m) for m in materials),
        priority_label=f"绿色通道·{PRIORITY_NAMES[ticket.priority][0]}"
        if ticket.priority != Priority.NONE
        else "",
        **extra,
    )
    return KioskTicket(ticket.id or 0, content)
