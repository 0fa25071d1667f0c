"""The database: engine set-up, one transaction per use case, and the per-hall lock."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..domain.errors import Unavailable
from . import tables

# Keys, in `Database.cache`, of counters bumped by every write to the tables that cached
# values are built from: a hall's settings (services/views.py `hall_config`; booking rules
# decide walk-in refusals) and the accounts: staff, devices and their tokens (services/auth.py,
# the kiosk print dispatcher).
CONFIG_GENERATION = "config_generation"
ACCOUNTS_GENERATION = "accounts_generation"
# ... and the holiday schedules an admin entered (services/hours.py `official_calendar`).
CALENDAR_GENERATION = "calendar_generation"
CACHED_TABLES = {
    "halls": CONFIG_GENERATION,
    "categories": CONFIG_GENERATION,
    "windows": CONFIG_GENERATION,
    "booking_rules": CONFIG_GENERATION,
    "auth_tokens": ACCOUNTS_GENERATION,
    "clerks": ACCOUNTS_GENERATION,
    "devices": ACCOUNTS_GENERATION,
    "calendar_years": CALENDAR_GENERATION,
    "calendar_days": CALENDAR_GENERATION,
}
CONFIG_TABLES = frozenset(t for t, key in CACHED_TABLES.items() if key == CONFIG_GENERATION)
_WRITTEN = "hallq_cached_tables_written"
# Key, in a session's `info`, of the settings versions of halls it has read
# (services/versions.py `settings_version`).
SETTINGS_VERSIONS = "hallq_settings_versions"


def default_sqlite_url(instance_path: str | Path) -> str:
    """The embedded database file of a single hall."""
    path = Path(instance_path) / "hallq.db"
    return f"sqlite:///{path}"


def make_engine(
    url: str, *, for_writing: bool = True, busy_timeout: float = 30.0, **options: Any
) -> Engine:
    """An engine tuned for the queue: SQLite in WAL mode, PostgreSQL as it comes.

    hide_parameters: a database error's message (logged with its traceback) shows the SQL but
    never the values bound to it, which are citizens' names, phone and ID numbers.
    """
    options.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout},
            pool_size=10,
            max_overflow=20,
            **options,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide where transactions begin.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock up front: no two interleave, none fails half-way.
            # Readers begin deferred and, in WAL mode, never wait for a writer.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if for_writing else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    cooperative_postgres_waits()
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        connect_args={"connect_timeout": max(1, int(busy_timeout))},
        **options,
    )
    ping_when_idle(engine)
    return engine


# A pooled connection idle this long is checked (one round trip) before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "hallq_idle_since"


def ping_when_idle(engine: Engine, after: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Check a pooled connection before use only when it has been idle a while.

    SQLAlchemy's `pool_pre_ping` costs a round trip at every checkout, two of them per request
    that reads and then writes. A connection used moments ago is alive unless the server went
    away since; then the statement fails, SQLAlchemy sees the disconnect and drops every
    pooled connection of that moment, and the request gets a clear 503 (one request per
    process, on a server restart under load). A connection left idle longer (where a restart,
    a failover or a firewall's idle cut is likely to have happened unseen) is pinged, and
    replaced by a fresh one when the ping fails, as `pool_pre_ping` does.
    """

    @event.listens_for(engine.pool, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < after:
            return  # a new connection, or one in use moments ago
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_conn, None):  # type: ignore[arg-type]
                raise
            alive = False
        if not alive:
            # The pool discards this connection and checks out another (a fresh one).
            raise DisconnectionError("a pooled connection went away while idle")


def cooperative_postgres_waits() -> bool:
    """Under gevent, make psycopg wait for the server through gevent, not in C.

    psycopg chooses how to wait when it is first imported: after gevent's monkey patching (as
    `hallq serve` does it) it chooses a loop on the patched `select.poll`; imported before, it
    keeps its C loop, which blocks the whole process, so one slow query would stop every request.
    Then switch to psycopg's own poll loop (and the patched selector for connecting): the choice
    psycopg makes by itself when it sees gevent. Returns whether anything had to change.
    """
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    if not monkey.is_module_patched("select"):
        return False
    import selectors

    from psycopg import waiting

    changed = False
    if waiting.wait is getattr(waiting, "wait_c", None):
        waiting.wait = waiting.wait_poll
        changed = True
    if waiting.DefaultSelector is not selectors.DefaultSelector:
        waiting.DefaultSelector = selectors.DefaultSelector  # type: ignore[misc]
        changed = True
    return changed


def wrote_settings(conn: Any) -> bool:
    """Whether the transaction on this connection has written a hall's settings rows."""
    return CONFIG_GENERATION in conn.info.get(_WRITTEN, ())


class FifoLock:
    """A lock taken in the order it was asked for (first come, first served).

    A plain lock (and gevent's, once monkey-patched) lets whoever asks at the moment it is
    released take it: under gevent the greenlet that has just released it and goes on to its
    next request, without ever yielding, takes it again before those waiting, which can wait
    for seconds while it is served over and over. Here a release hands the lock to the
    longest waiter. Built on threading's primitives, so it works for threads and greenlets.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self) -> None:
        """Wait for the lock; whoever asked earlier gets it first."""
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by the holder handing the lock over: it is ours now

    def release(self) -> None:
        """Hand the lock to the longest waiter, or free it."""
        with self._mutex:
            if not self._held:
                raise RuntimeError("release of an unheld FifoLock")
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False

    def waiting(self) -> int:
        """How many are waiting for the lock."""
        with self._mutex:
            return len(self._waiters)


class Database:
    """Sessions for use cases: each `transaction()` is one unit of work."""

    def __init__(self, url: str, busy_timeout: float = 30.0) -> None:
        tables.map_domain()
        self.url = url
        # How long a writer waits for a lock before the request gets a clear 503.
        self.engine = make_engine(url, busy_timeout=busy_timeout)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # Small per-database caches that use cases share (e.g. recent service times).
        self.cache: dict[str, Any] = {}
        self._sessions = sessionmaker(
            self.engine, expire_on_commit=False, info={"cache": self.cache}
        )
        self.read_engine = (
            make_engine(url, for_writing=False, busy_timeout=busy_timeout)
            if self.is_sqlite
            else self.engine
        )
        self._read_sessions = sessionmaker(
            self.read_engine, expire_on_commit=False, info={"cache": self.cache}
        )
        self._loose_sessions = (
            self._read_sessions
            if self.is_sqlite
            else sessionmaker(
                self.read_engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                info={"cache": self.cache},
            )
        )
        # SQLite has one writer: queue writers in this process politely (a gevent-aware lock
        # once monkey-patched) instead of blocking the whole process in the driver, and in
        # the order they came: a writer that just finished does not go before those waiting.
        self._write_lock = FifoLock() if self.is_sqlite else None
        event.listen(self.engine, "after_cursor_execute", self._note_cached_write)

    def _note_cached_write(
        self, conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        # A write to a cached table makes what was cached from it stale: at once (a read in
        # between is not kept), and again at the commit (what was read before it is dropped).
        if context is None or not (context.isinsert or context.isupdate or context.isdelete):
            return
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        key = CACHED_TABLES.get(getattr(table, "name", None) or "")
        if key is not None:
            conn.info.setdefault(_WRITTEN, set()).add(key)
            self.changed(key)

    def changed(self, key: str = CONFIG_GENERATION) -> None:
        """Forget cached values built from the tables of `key` (called on writes to them)."""
        self.cache[key] = self.cache.get(key, 0) + 1

    def config_changed(self) -> None:
        """Forget cached hall settings."""
        self.changed(CONFIG_GENERATION)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error."""
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with self._sessions() as session:
                try:
                    yield session
                    written = (
                        session.connection().info.pop(_WRITTEN, ())
                        if session.in_transaction()
                        else ()
                    )
                    session.commit()
                    for key in written:
                        self.changed(key)
                except OperationalError as exc:
                    session.rollback()
                    raise Unavailable(
                        "系统繁忙，请稍候再试", "The database is busy or unavailable; try again"
                    ) from exc
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def reading(self, *, one_snapshot: bool = True) -> Iterator[Session]:
        """A session for reads only; nothing it changes is kept.

        `one_snapshot=False`: on PostgreSQL each statement sees what is committed when it runs
        (no transaction, so no BEGIN and ROLLBACK round trips), for reads that need no
        consistency between their statements."""
        sessions = self._read_sessions if one_snapshot else self._loose_sessions
        with sessions() as session:
            try:
                yield session
            except OperationalError as exc:
                raise Unavailable(
                    "系统繁忙，请稍候再试", "The database is busy or unavailable; try again"
                ) from exc
            finally:
                session.rollback()

    def read_rows(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        """The rows of one read-only statement, without a session (checks on every request)."""
        try:
            with self.read_engine.connect() as conn:
                if not self.is_sqlite:
                    # One statement needs no transaction: no BEGIN and ROLLBACK round trips.
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                return list(conn.execute(statement, params).all())
        except OperationalError as exc:
            raise Unavailable(
                "系统繁忙，请稍候再试", "The database is busy or unavailable; try again"
            ) from exc

    def lock_hall(self, session: Session, hall_id: int) -> None:
        """Serialise queue changes of one hall across processes (SQLite locks the whole file).

        On PostgreSQL the same round trip reads the hall's settings version
        (services/versions.py `settings_version`)."""
        if not self.is_sqlite:
            halls, versions = tables.halls, tables.hall_versions
            row = session.execute(
                select(halls.c.id, versions.c.config)
                .outerjoin(versions, versions.c.hall_id == halls.c.id)
                .where(halls.c.id == hall_id)
                .with_for_update(of=halls)
            ).first()
            known = session.info.setdefault(SETTINGS_VERSIONS, {})
            known[hall_id] = None if row is None else row.config

    def lock_names(self, session: Session, *names: str) -> None:
        """Serialise transactions about the same names (a staff number, an address) across
        processes until the commit; take them in the same order everywhere. SQLite's writers
        already lock the whole file."""
        if not self.is_sqlite:
            for name in names:
                session.execute(
                    text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
                    {"name": name},
                )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self.read_engine.dispose()
