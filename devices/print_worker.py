"""The background print worker: a slow or broken printer never blocks a citizen. PrintWorker
prints in the background, retries, and turns faults into alarms."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from devices.printer import (
    PaperOut,
    PrinterError,
    PrinterLink,
    PrinterOffline,
    PrinterStatus,
)

log = logging.getLogger(__name__)

TicketIdT = TypeVar("TicketIdT")

ALARM_PRINTER_OFFLINE = "printer_offline"
ALARM_PAPER_OUT = "paper_out"
ALARM_PRINT_FAILED = "print_failed"


def _alarm_kind(error: PrinterError) -> str:
    if isinstance(error, PaperOut):
        return ALARM_PAPER_OUT
    if isinstance(error, PrinterOffline):
        return ALARM_PRINTER_OFFLINE
    return ALARM_PRINT_FAILED


def _refusal(status: PrinterStatus) -> PrinterError | None:
    """The error a printer's own status report amounts to, if any."""
    if status is PrinterStatus.PAPER_OUT:
        return PaperOut("打印机缺纸，请更换纸卷", "the printer is out of paper")
    if status is PrinterStatus.OFFLINE:
        return PrinterOffline(
            "打印机报告离线（上盖打开或故障），请检查打印机",
            "the printer reports offline (cover open or fault)",
        )
    return None


@dataclass(frozen=True)
class PrintJob(Generic[TicketIdT]):
    """The bytes of one ticket and the ticket they belong to."""

    ticket_id: TicketIdT
    data: bytes


class PrintWorker(Generic[TicketIdT]):
    """Prints tickets in the background with retries, then reports; submit() never waits.

    A printer that reports paper out or offline gets no retries: its job is dropped at once with
    an alarm (the citizen still has the ticket on screen and phone). Transport faults are retried
    with exponential backoff; after the last attempt the alarm kind follows the last error.
    Callbacks run on the worker's thread (a greenlet under gevent).
    """

    def __init__(
        self,
        link: PrinterLink,
        *,
        on_printed: Callable[[TicketIdT], None],
        on_alarm: Callable[[str, str, str, TicketIdT], None],
        attempts: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 10.0,
        check_status: bool = True,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.link = link
        self._on_printed = on_printed
        self._on_alarm = on_alarm
        self._attempts = attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._check_status = check_status
        self._jobs: queue.Queue[PrintJob[TicketIdT] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._unfinished = 0
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, ticket_id: TicketIdT, data: bytes) -> None:
        """Queue a ticket's bytes for printing and return at once."""
        if self._stopping.is_set():
            raise RuntimeError("the print worker is stopped")
        with self._progress:
            self._unfinished += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"print-worker {self.link.url}", daemon=True
                )
                self._thread.start()
        self._jobs.put(PrintJob(ticket_id, data))

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every job is printed or alarmed (or the worker stopped); False on timeout."""
        with self._progress:
            return self._progress.wait_for(
                lambda: self._unfinished == 0 or self._stopping.is_set(), timeout
            )

    def stop(self, timeout: float | None = 10.0) -> None:
        """Finish the attempt in hand, drop queued jobs without callbacks, and close the link."""
        self._stopping.set()
        self._jobs.put(None)  # wakes the thread if it is waiting for work
        with self._progress:
            self._progress.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self.link.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            job = self._jobs.get()
            if job is None:
                continue
            try:
                self._print(job)
            except Exception:  # a bug in a link or a callback must not end ticket printing
                log.exception("print worker %s: job for ticket %s", self.link.url, job.ticket_id)
            finally:
                with self._progress:
                    self._unfinished -= 1
                    self._progress.notify_all()

    def _print(self, job: PrintJob[TicketIdT]) -> None:
        last_error: PrinterError | None = None
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                delay = min(self._base_delay * 2 ** (attempt - 2), self._max_delay)
                if self._stopping.wait(delay):
                    return
            if self._check_status:
                refusal = _refusal(self.link.status())
                if refusal is not None:
                    self._alarm(_alarm_kind(refusal), refusal, job.ticket_id)
                    return
            try:
                self.link.send(job.data)
            except Exception as error:
                # a driver bug is reported like any failed print rather than losing the job quietly
                last_error = (
                    error
                    if isinstance(error, PrinterError)
                    else PrinterError(
                        f"打印机驱动错误：{error!r}", f"printer driver error: {error!r}"
                    )
                )
                log.warning(
                    "printer %s: ticket %s, attempt %d of %d failed: %s",
                    self.link.url, job.ticket_id, attempt, self._attempts, last_error.message_en,
                )  # fmt: skip
                continue
            self._on_printed(job.ticket_id)
            return
        assert last_error is not None
        failure = PrinterError(
            f"{last_error.message}（已尝试 {self._attempts} 次）",
            f"{last_error.message_en} (after {self._attempts} attempts)",
        )
        self._alarm(_alarm_kind(last_error), failure, job.ticket_id)

    def _alarm(self, kind: str, error: PrinterError, ticket_id: TicketIdT) -> None:
        log.error("printer %s: %s for ticket %s: %s", self.link.url, kind, ticket_id, error)
        self._on_alarm(kind, error.message, error.message_en, ticket_id)
