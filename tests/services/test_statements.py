"""The issuing statements go straight to the driver: what they store reads back through
SQLAlchemy exactly as if SQLAlchemy had written it, on SQLite and PostgreSQL, and their errors
are SQLAlchemy's (a taken number is still a clear 409, never a 500)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from queue_server.domain.errors import Conflict
from queue_server.domain.model import Priority, Ticket, TicketState
from queue_server.services import issuing
from queue_server.services import queue as q
from queue_server.services.auth import actor_for_token
from queue_server.store import tables
from queue_server.store.statements import DriverStatement

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)


def kiosk(deps: Any, demo: dict[str, Any]) -> Any:
    actor = actor_for_token(deps, demo["kiosk_token"])
    assert actor is not None
    return actor


def test_a_ticket_written_by_the_driver_reads_back_as_issued(deps, demo, clock):
    shown = issuing.issue_ticket(
        deps, kiosk(deps, demo), demo["hall"], "A", "elderly", phone="13800138000"
    )
    with deps.db.reading() as s:
        ticket = s.get(Ticket, shown["id"])
        assert ticket is not None
        assert ticket.issued_at == clock.now() and ticket.issued_at.utcoffset() == timedelta(0)
        assert ticket.issued_at.tzinfo is not None and ticket.issued_at.astimezone(UTC)
        assert ticket.service_day.isoformat() == shown["service_day"] == "2026-11-26"
        assert (ticket.number, ticket.seq, ticket.token) == ("A001", 1, shown["token"])
        assert ticket.priority is Priority.ELDERLY and ticket.state is TicketState.WAITING
        assert (ticket.phone, ticket.items, ticket.note, ticket.source) == (
            "13800138000",
            [],
            "",
            "kiosk",
        )
        entry = s.execute(
            select(tables.audit_log).where(tables.audit_log.c.action == "ticket.issue")
        ).one()
        assert entry.detail == {"ticket": ticket.id, "category": "A", "priority": "elderly"}
        assert entry.at.replace(tzinfo=UTC) == clock.now()


def test_the_counted_places_follow_the_queue_order(deps, demo, clock):
    actor = kiosk(deps, demo)
    first = issuing.issue_ticket(deps, actor, demo["hall"], "A")
    clock.advance(minutes=1)
    second = issuing.issue_ticket(deps, actor, demo["hall"], "A")
    clock.advance(minutes=1)
    priority = issuing.issue_ticket(deps, actor, demo["hall"], "A", "disabled")
    assert (first["position"], second["position"], priority["position"]) == (0, 1, 0)
    assert q.ticket_status(deps, second["token"])["position"] == 2  # the priority went ahead
    other = issuing.issue_ticket(deps, actor, demo["hall"], "B")
    assert other["position"] == 0


def test_a_taken_number_is_sqlalchemys_integrity_error_and_a_clear_conflict(deps, demo):
    actor = kiosk(deps, demo)
    shown = issuing.issue_ticket(deps, actor, demo["hall"], "A")
    statement = DriverStatement(
        insert(tables.tickets).returning(tables.tickets.c.id), column_keys=issuing._TICKET_FIELDS
    )
    with deps.db.reading() as s:
        row = s.execute(select(tables.tickets).where(tables.tickets.c.id == shown["id"])).one()
    copy = {name: getattr(row, name) for name in issuing._TICKET_FIELDS}
    copy["token"] = "another-token-000000001"
    with pytest.raises(IntegrityError), deps.db.transaction() as s:
        statement.scalar(s.connection(), copy)
    # The database refusing the issuing insert (here: a ticket token already given out) is a
    # clear 409 for the kiosk to retry, and nothing of that request is written.
    deps.new_token = lambda: shown["token"]
    with pytest.raises(Conflict):
        issuing.issue_ticket(deps, actor, demo["hall"], "B")
    with deps.db.reading() as s:
        assert len(s.execute(select(tables.tickets.c.id)).all()) == 1
        issued = tables.audit_log.c.action == "ticket.issue"
        assert len(s.execute(select(tables.audit_log.c.id).where(issued)).all()) == 1


def test_cached_tables_are_never_written_past_the_caches_and_values_are_required(deps):
    with pytest.raises(ValueError, match="cached"):
        DriverStatement(insert(tables.categories))
    statement = DriverStatement(
        select(tables.tickets.c.id).where(tables.tickets.c.hall_id == bindparam("hall"))
    )
    with pytest.raises(ValueError, match="no value"), deps.db.reading() as s:
        statement.scalar(s.connection(), {})
