"""Periodic jobs, run once per deployment however many `hallq serve` processes there are.

Registering a job is one decorator on a function that takes the `Deps`:

    from datetime import timedelta
    from queue_server.services.scheduler import periodic

    @periodic("booking_reminders", every=timedelta(minutes=5))
    def send_booking_reminders(deps: Deps) -> None:
        ...

and the module's name in `JOB_MODULES` of `queue_server/bootstrap.py`, where every periodic job
and event handler is wired. A job
should be idempotent (do only what is still to do, as of `deps.clock.now()`), because after a
process dies another one takes its jobs over and may repeat the last run.

Every process runs the same scheduler; a per-job lease decides which one runs a job:

- PostgreSQL: a session-level advisory lock per job, held on a connection of its own by the
  process that runs the job for as long as that process lives. The others try again now and
  then; when the holder dies, PostgreSQL ends its session, the lock is free, and another process
  takes the job over at its next try (within `STANDBY_SECONDS`).
- SQLite: one process per database, so no lease is needed.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from .context import Deps

log = logging.getLogger(__name__)

# A process that does not hold a job's lease asks for it again this often.
STANDBY_SECONDS = 10.0


@dataclass(frozen=True)
class Job:
    """A named piece of work the deployment does every `every`."""

    name: str
    every: timedelta
    run: Callable[[Deps], Any]


_REGISTRY: dict[str, Job] = {}


JobFunction = TypeVar("JobFunction", bound=Callable[..., Any])


def periodic(name: str, every: timedelta) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as a job run every `every` by one process (called with
    the `Deps` alone; it may take more arguments with defaults, for callers of its own)."""
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")

    def register(function: JobFunction) -> JobFunction:
        _REGISTRY[name] = Job(name, every, function)
        return function

    return register


def registered_jobs(modules: Iterable[str]) -> list[Job]:
    """Every registered job, once the modules that register them are imported."""
    for module in modules:
        importlib.import_module(module)
    return sorted(_REGISTRY.values(), key=lambda job: job.name)


# -- leases --------------------------------------------------------------------------------------


class Lease(Protocol):
    """Says whether this process may run a job now."""

    def hold(self, name: str) -> bool:
        """Take (or keep) the job's lease; True when this process runs it."""

    def close(self) -> None:
        """Give every lease back."""


class SingleProcessLease:
    """SQLite: the only process runs every job."""

    def hold(self, name: str) -> bool:
        """Always this process."""
        return True

    def close(self) -> None:
        """Nothing to give back."""


# pg_try_advisory_lock(int4, int4): the first number keeps hallq's locks apart from others'.
_LOCK_SPACE = int.from_bytes(b"hlq1", "big") - 2**31


def job_lock_key(name: str) -> int:
    """A job's advisory lock number (a signed 32-bit integer)."""
    key = zlib.crc32(name.encode())
    return key - 2**32 if key >= 2**31 else key


class AdvisoryLease:
    """PostgreSQL: session advisory locks on a connection of their own, one lock per job."""

    def __init__(self, url: str) -> None:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._conn: Any = None
        self._held: set[str] = set()

    def hold(self, name: str) -> bool:
        """Keep a lock this session holds, or try to take it; a lost connection loses them all."""
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            if name in self._held:
                self._conn.exec_driver_sql("SELECT 1")  # the session is alive, so is the lock
                return True
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:space, :key)"),
                {"space": _LOCK_SPACE, "key": job_lock_key(name)},
            ).scalar()
        except DBAPIError as error:
            log.warning("scheduler: lease connection lost (%s); trying again later", error)
            self._drop()
            return False
        if got:
            self._held.add(name)
        return bool(got)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # already broken: nothing more to give back
                log.debug("scheduler: closing a broken lease connection failed", exc_info=True)

    def close(self) -> None:
        """End the session: PostgreSQL frees every lock it held."""
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None:
            conn.close()
        self._engine.dispose()


def lease_for(deps: Deps) -> Lease:
    """The lease that fits the database: advisory locks on PostgreSQL, none on SQLite."""
    if deps.db.is_sqlite:
        return SingleProcessLease()
    return AdvisoryLease(deps.db.url)


# -- the runner ----------------------------------------------------------------------------------


class Scheduler:
    """Runs each due job whose lease this process holds; `start` does so in the background."""

    def __init__(
        self,
        deps: Deps,
        jobs: Iterable[Job],
        lease: Lease,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        standby_seconds: float = STANDBY_SECONDS,
    ) -> None:
        self.deps = deps
        self.jobs = {job.name: job for job in jobs}
        self.lease = lease
        self.standby_seconds = standby_seconds
        self._monotonic = monotonic
        now = monotonic()
        self._next: dict[str, float] = {name: now for name in self.jobs}  # all due at start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_pending(self) -> list[str]:
        """Run every job that is due and whose lease this process holds; their names."""
        ran = []
        for name, job in self.jobs.items():
            now = self._monotonic()
            if self._next[name] > now:
                continue
            if not self.lease.hold(name):
                self._next[name] = now + min(job.every.total_seconds(), self.standby_seconds)
                continue
            self._next[name] = now + job.every.total_seconds()
            started = time.perf_counter()
            try:
                job.run(self.deps)
            except Exception:  # a failing job is logged and tried again at its next turn
                log.exception("scheduler: job %s failed", name)
            else:
                log.info("scheduler: job %s ran in %.3f s", name, time.perf_counter() - started)
            ran.append(name)
        return ran

    def seconds_to_next(self) -> float:
        """How long until the next job is due."""
        if not self._next:
            return self.standby_seconds
        return max(0.0, min(self._next.values()) - self._monotonic())

    def start(self) -> Scheduler:
        """Run due jobs in a background thread (a greenlet under gevent) until `stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="hallq-scheduler", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_pending()
            self._stop.wait(min(self.seconds_to_next(), self.standby_seconds))

    def stop(self) -> None:
        """Stop the background thread and give the leases back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.lease.close()


def start_scheduler(deps: Deps, modules: Iterable[str]) -> Scheduler:
    """The scheduler of `hallq serve`: every registered job, the database's lease, running."""
    return Scheduler(deps, registered_jobs(modules), lease_for(deps)).start()
