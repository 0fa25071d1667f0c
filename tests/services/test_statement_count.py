"""Every statement a ticket sends to the database is seen by SQLAlchemy's before_cursor_execute
listeners (how a deployment's tracing, or the benchmark, counts round trips), the issuing
statements sent straight to the driver included."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from queue_server.services import issuing
from queue_server.services.auth import actor_for_token

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)


def test_the_issuing_statements_reach_before_cursor_execute(deps, demo):
    actor = actor_for_token(deps, demo["kiosk_token"])
    assert actor is not None
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()).upper())

    event.listen(deps.db.engine, "before_cursor_execute", count)
    try:
        issuing.issue_ticket(deps, actor, demo["hall"], "A")
    finally:
        event.remove(deps.db.engine, "before_cursor_execute", count)
    assert any(s.startswith("INSERT INTO TICKETS") for s in seen), seen
    assert any(s.startswith("INSERT INTO AUDIT_LOG") for s in seen), seen
    assert any("MAX(TICKETS.SEQ)" in s for s in seen), seen
