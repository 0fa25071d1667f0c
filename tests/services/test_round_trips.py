"""Round trips to PostgreSQL: a pooled connection is pinged only after sitting idle (a server
restart is still survived), and a ticket costs a bounded number of trips, counted exactly from
libpq's trace of the protocol (one ReadyForQuery a trip)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from queue_server.store import db as store_db
from queue_server.store.db import Database

pytestmark = pytest.mark.parametrize("db_url", ["pg"], indirect=True)


@contextmanager
def counting_trips(database: Database, folder: Path) -> Iterator[list[int]]:
    """Trace every connection checked out meanwhile; the list gets the trips when done."""
    traced: dict[int, tuple[Any, Any]] = {}

    def checkout(dbapi_conn: Any, *_: Any) -> None:
        if id(dbapi_conn) not in traced:
            handle = open(folder / f"{len(traced)}.trace", "w")  # noqa: SIM115
            traced[id(dbapi_conn)] = (dbapi_conn, handle)
            dbapi_conn.pgconn.trace(handle.fileno())

    result: list[int] = []
    for record in list(database.engine.pool._pool.queue):  # type: ignore[attr-defined]
        checkout(record.dbapi_connection)  # pooled ones from now: a ping at checkout counts
    event.listen(database.engine.pool, "checkout", checkout)
    try:
        yield result
    finally:
        event.remove(database.engine.pool, "checkout", checkout)
        for dbapi_conn, handle in traced.values():
            if not dbapi_conn.closed:
                dbapi_conn.pgconn.untrace()
            handle.close()
    result.append(
        sum(
            "\tReadyForQuery" in line
            for path in folder.glob("*.trace")
            for line in path.read_text().splitlines()
        )
    )


def _backend_pid(database: Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_used_moments_ago_is_not_pinged(db_url, tmp_path):
    database = Database(db_url)
    try:
        _backend_pid(database)  # the pool holds one connection now, just used
        with counting_trips(database, tmp_path) as trips, database.engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
        # BEGIN, the statement, ROLLBACK: no ping before them
        assert trips == [3]
    finally:
        database.dispose()


def test_an_idle_connection_whose_server_went_away_is_replaced(db_url):
    database = Database(db_url)
    other = Database(db_url)
    try:
        pid = _backend_pid(database)
        with other.engine.connect() as conn:  # the server ends that session (a restart)
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        # ... and the pooled connection has been idle past the threshold
        for record in list(database.engine.pool._pool.queue):  # type: ignore[attr-defined]
            record.info[store_db._IDLE_SINCE] -= 3600
        assert _backend_pid(database) != pid  # served by a fresh connection, no error
    finally:
        database.dispose()
        other.dispose()


class _Later:
    """The deployment's throttle, as `hallq serve` has it: queue figures sent after the commit."""

    def __init__(self) -> None:
        self.halls: list[int] = []

    def touch(self, hall_id: int) -> None:
        self.halls.append(hall_id)


def test_a_kiosk_ticket_is_eight_round_trips_once_the_halls_settings_are_kept(deps, demo, tmp_path):
    from queue_server.services import issuing as q
    from queue_server.services.auth import actor_for_token

    deps.queue_changes = _Later()
    kiosk = actor_for_token(deps, demo["kiosk_token"])
    assert kiosk is not None
    for category in "AB":  # the hall's first change gives it its version row; then settings
        q.issue_ticket(deps, kiosk, demo["hall"], category)  # are read and kept
    with counting_trips(deps.db, tmp_path) as trips:
        ticket = q.issue_ticket(deps, kiosk, demo["hall"], "B")
    assert ticket["number"] == "B002" and ticket["position"] == 1
    # BEGIN; the hall's lock with its settings version; the last number; the ticket; its audit
    # entry; the people ahead with the waiting counts; the hall's version; COMMIT
    assert trips == [8]
    assert deps.queue_changes.halls == [demo["hall"]] * 3
