"""Set-up shared by the console's service tests: staff actors (the demo passwords are hashed
once by the root conftest's `demo_passwords_hashed_once`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.services import auth
from queue_server.services.context import Actor
from queue_server.store import tables


def staff(deps: Any, staff_no: str) -> Actor:
    """The actor of a member of staff, as their sign-in makes it."""
    with deps.db.reading() as s:
        clerk_id = s.scalar(select(tables.clerks.c.id).where(tables.clerks.c.staff_no == staff_no))
    actor = auth.actor_for_clerk(deps, int(clerk_id))
    assert actor is not None
    return actor
